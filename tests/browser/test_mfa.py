"""Second factors in Chromium: an authenticator app set up and used (codes computed here with pyotp),
a recovery code, a passkey registered and used through Chromium's virtual authenticator, a risky
action that asks the person to confirm who they are and then completes, a password change that
an account with a factor confirms with the factor (a code or the passkey), never the password, and
an administrator setting a staff member's password in the admin only once confirmed."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from tests.helpers import (
    PASSWORD,
    assert_no_csp_violation,
    client_with_service,
    client_with_user_without_tokens,
    log_in,
    services_of,
    user_ids,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def watched(watched):
    """The conftest's watched page, checked once more when the test ends."""
    yield watched
    assert_no_csp_violation(watched)


def log_out(page) -> None:
    page.locator("header details.dropdown summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def second_step(page):
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    return page.get_by_label("Code from your authenticator app, or a recovery code")


def test_an_authenticator_app_is_set_up_from_the_account_page(watched, support):
    page = watched
    log_in(page, support.username)
    page.locator("header details.dropdown summary").click()
    page.get_by_role("link", name="Second factor").click()
    expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
    page.get_by_role("button", name="Set up an authenticator app").click()

    # The secret as text beside the QR code, for password managers.
    expect(page.locator("img.totp-qr")).to_be_visible()
    secret = page.get_by_label("Secret (base32)").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    expect(page.get_by_label("Secret (base32)")).to_have_value(secret)  # the same secret, still to hand
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()

    # Recovery codes come with it, shown once on the next page and kept on the account page.
    expect(page.locator("#alerts")).to_contain_text("Authenticator app activated.")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10 and set(codes) == set(
        RecoveryCodes(Authenticator.objects.get(user=support, type="recovery_codes")).get_unused_codes()
    )
    page.goto("/accounts/2fa/")
    expect(page.locator("#totp-status")).to_contain_text("On")
    expect(page.locator("#recovery-status")).to_contain_text("10 of 10 codes left.")


def test_signing_in_with_an_authenticator_code_then_with_a_recovery_code(watched, support):
    page = watched
    secret = generate_totp_secret()
    TOTP.activate(support, secret)
    codes = RecoveryCodes.activate(support).get_unused_codes()

    log_in(page, support.username)
    code = second_step(page)
    code.fill("123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#code-error")).to_contain_text("Incorrect code.")
    second_step(page).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()

    log_out(page)
    log_in(page, support.username)
    second_step(page).fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    page.goto("/accounts/2fa/")
    expect(page.locator("#recovery-status")).to_contain_text("9 of 10 codes left.")

    # The same recovery code a second time is refused.
    log_out(page)
    log_in(page, support.username)
    second_step(page).fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#code-error")).to_contain_text("Incorrect code.")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))


def virtual_authenticator(page, live_server) -> None:
    """Chromium's virtual authenticator, which says yes to every request (a passkey on the device)."""
    # WebAuthn needs a domain name (not an IP address); localhost is a secure context over http.
    assert "localhost" in live_server.url
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def add_passkey(page, name: str) -> None:
    page.goto("/accounts/2fa/")
    page.get_by_role("button", name="Add a passkey or key").click()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#alerts")).to_contain_text("Security key added.")


def test_a_passkey_is_registered_and_signs_in(watched, support, live_server):
    page = watched
    virtual_authenticator(page, live_server)
    log_in(page, support.username)
    page.goto("/accounts/2fa/")
    page.get_by_role("button", name="Add a passkey or key").click()
    page.get_by_label("Name").fill("Laptop passkey")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#alerts")).to_contain_text("Security key added.")
    key = Authenticator.objects.get(user=support, type="webauthn")
    assert key.wrap().name == "Laptop passkey"
    page.goto("/accounts/2fa/")
    expect(page.locator("#webauthn-status")).to_contain_text("1 key added")

    log_out(page)
    log_in(page, support.username)
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    key.refresh_from_db()
    assert key.last_used_at is not None


def confirmed_long_ago(page) -> None:
    """Moves the browser session's last sign-in or confirmation back beyond REAUTH_MINUTES."""
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import SessionStore

    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    long_ago = time.time() - (settings.REAUTH_MINUTES + 1) * 60
    session["account_authentication_methods"] = [
        dict(record, at=long_ago) for record in session["account_authentication_methods"]
    ]
    session.save()


def test_a_risky_action_asks_to_confirm_and_then_completes(watched, support, sandbox):
    page = watched
    log_in(page, support.username)
    confirmed_long_ago(page)

    # A whole-page form: removing a user's access.
    client_id, user = client_with_user_without_tokens(sandbox)
    page.goto(f"/clients/{client_id}/users/{user['id']}/remove/")
    page.get_by_label("Reason").fill("Left the company in March")
    page.get_by_role("checkbox", name=re.compile("I understand")).check()
    page.get_by_role("button", name="Remove access").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert user["id"] in user_ids(sandbox, client_id)  # nothing sent yet
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".form-errors, .errorlist, small")).not_to_have_count(0)
    assert user["id"] in user_ids(sandbox, client_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client_id}/(#client-users)?$"))
    expect(page.locator("#alerts")).to_contain_text(f"Removed {user['email']}'s access")
    expect(page.locator("#client-history")).to_contain_text("Left the company in March")
    assert user["id"] not in user_ids(sandbox, client_id)

    # An htmx form inside the client page: pausing a service.
    confirmed_long_ago(page)
    other, service = client_with_service(sandbox, "active")
    page.goto(f"/clients/{other}/")
    page.get_by_role("link", name="Change the CDN service").click()
    editor = page.locator("#service-editor")
    editor.get_by_label("Status").select_option("paused")
    editor.get_by_label("Reason").fill("Invoice 2026-118 unpaid")
    editor.get_by_role("button", name="Change service").click()
    # First the form's own question, in plain words; then, once said yes to, who they are.
    expect(editor).to_contain_text("all of its CDN resources stop working")
    editor.get_by_role("checkbox", name=re.compile("I understand")).check()
    editor.get_by_role("button", name="Change service").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert services_of(sandbox, other)["CDN"]["status"] == "active"
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    # The change, carried out as posted, and back on the client's page.
    expect(page).to_have_url(re.compile(rf"/clients/{other}/(#client-services)?$"))
    expect(page.locator("#alerts")).to_contain_text("CDN service saved: Status.")
    expect(page.locator(f"#service-{service['id']}")).to_contain_text("paused")
    expect(page.locator("#client-history")).to_contain_text("Invoice 2026-118 unpaid")
    assert services_of(sandbox, other)["CDN"]["status"] == "paused"


def open_password_change(page) -> None:
    page.locator("header details.dropdown summary").click()
    page.get_by_role("link", name="Change password").click()


def change_password(page, old: str, new: str) -> None:
    page.get_by_label("Old password").fill(old)
    page.get_by_label(re.compile(r"^New password:?$")).fill(new)
    page.get_by_label("New password confirmation").fill(new)
    page.get_by_role("button", name="Change password").click()


def test_with_a_factor_the_password_change_is_confirmed_by_the_factor_first(watched, support):
    page = watched
    secret = generate_totp_secret()
    TOTP.activate(support, secret)
    RecoveryCodes.activate(support)
    log_in(page, support.username)
    second_step(page).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    confirmed_long_ago(page)

    # Long after signing in: the factor first, and the password is no way round it.
    open_password_change(page)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.locator("#reauth-factor")).to_contain_text("Your password alone does not.")
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    # Each code works once: the sign-in's is spent, the next step's is taken (MFA_TOTP_TOLERANCE).
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(next_code)
    page.get_by_role("button", name="Confirm").click()

    # Back on the form; a wrong current password is refused, then the right one changes it.
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    change_password(page, "not the password", "a-much-better-pass-2026")
    expect(page.get_by_text("Your old password was entered incorrectly.")).to_be_visible()
    change_password(page, PASSWORD, "a-much-better-pass-2026")
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    support.refresh_from_db()
    assert support.check_password("a-much-better-pass-2026")


def test_with_a_passkey_the_password_change_is_confirmed_by_the_passkey(watched, support, live_server):
    page = watched
    virtual_authenticator(page, live_server)
    log_in(page, support.username)
    add_passkey(page, "Laptop passkey")
    confirmed_long_ago(page)

    open_password_change(page)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Use a security key").click()  # the other way offered
    expect(page).to_have_url(re.compile(r"/accounts/2fa/webauthn/reauthenticate/"))
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    change_password(page, PASSWORD, "a-much-better-pass-2026")
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    support.refresh_from_db()
    assert support.check_password("a-much-better-pass-2026")


def test_an_administrator_sets_a_staff_members_password_only_once_confirmed(
    watched, admin_user, support, chromium, live_server
):
    """The admin's "set password" page asks no current password: with the page opened, then left
    beyond REAUTH_MINUTES, the form is refused with the way to confirm; the factor confirms and the
    password is set, ending every session of that staff member (theirs is a second browser). Stale
    again, the list opens but adding a staff account leads to the confirmation first."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    page = watched
    secret = generate_totp_secret()
    TOTP.activate(admin_user, secret)
    RecoveryCodes.activate(admin_user)
    log_in(page, admin_user.username)
    second_step(page).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    theirs = chromium.new_context(base_url=live_server.url)
    their_page = theirs.new_page()
    log_in(their_page, support.username)
    expect(their_page.get_by_role("heading", name="Clients")).to_be_visible()

    page.goto(f"/admin/auth/user/{support.pk}/change/")
    page.get_by_role("link", name="Reset password").click()
    expect(page.get_by_text("Setting or disabling the password here signs sam.support out")).to_be_visible()
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-much-better-pass-2026")
    page.get_by_label("Password confirmation").fill("a-much-better-pass-2026")
    confirmed_long_ago(page)  # the form left open meanwhile
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was changed")
    support.refresh_from_db()
    assert support.check_password(PASSWORD)

    page.get_by_role("link", name="Confirm who you are").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)  # the factor only
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the sign-in's code is spent
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(next_code)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(rf"/admin/auth/user/{support.pk}/password/$"))
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-much-better-pass-2026")
    page.get_by_label("Password confirmation").fill("a-much-better-pass-2026")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed successfully.")).to_be_visible()
    support.refresh_from_db()
    assert support.check_password("a-much-better-pass-2026")
    assert not any(s.get_decoded().get(SESSION_KEY) == str(support.pk) for s in Session.objects.all())
    try:
        their_page.reload()
        expect(their_page.get_by_role("button", name="Log in")).to_be_visible()  # signed out
    finally:
        theirs.close()

    # Later, stale again: the list still opens, adding a staff account first asks for the factor.
    confirmed_long_ago(page)
    page.goto("/admin/auth/user/")
    expect(page.get_by_role("link", name="sam.support")).to_be_visible()
    page.get_by_role("link", name=re.compile("Add user")).click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page).to_have_url(
        re.compile(r"/accounts/2fa/reauthenticate/\?next=%2Fadmin%2Fauth%2Fuser%2Fadd%2F$")
    )
