"""A second factor (allauth's MFA: an authenticator app, recovery codes, passkeys) and a fresh
confirmation before risky actions: sign-in in two steps, codes counted toward the lockout, recovery
codes used once, MFA_REQUIRED, the administrator's audited reset, and risky actions that ask again
and then carry on with what was typed. Passkeys themselves are exercised in Chromium
(tests/browser/test_mfa.py)."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from axes.models import AccessAttempt
from django.test import Client as DjangoClient
from django.test import override_settings

from dashboard.models import AuditEntry
from tests.helpers import (
    HTMX,
    PASSWORD,
    FormValues,
    client_with_service,
    client_with_token_holder,
    client_with_user_without_tokens,
    finished,
    form_data,
    linked,
    live_ids,
    live_tokens,
    logged_in,
    open_form,
    open_service_form,
    post_service,
    preview,
    user_ids,
    writes,
)

pytestmark = pytest.mark.django_db

HOME = "10.1.2.3"


def with_totp(user) -> pyotp.TOTP:
    """Gives `user` an authenticator app and recovery codes, as the setup page does; returns the app."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return pyotp.TOTP(secret)


def recovery_codes(user) -> list[str]:
    return RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()


def password_step(username: str, password: str = PASSWORD) -> tuple[DjangoClient, object]:
    http = DjangoClient(REMOTE_ADDR=HOME)
    return http, http.post("/accounts/login/", {"login": username, "password": password})


def signed_in(http: DjangoClient) -> bool:
    return "_auth_user_id" in http.session


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """allauth says "factor added / removed" once the change is committed; tests run in a transaction."""
    return django_capture_on_commit_callbacks


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dashboard.security"]


# -- setting up a second factor -----------------------------------------------------------------------


def test_the_setup_page_shows_the_secret_as_text_beside_the_qr_code(support, caplog, on_commit):
    http = logged_in(support)
    page = http.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    body = page.content.decode()
    secret = page.context["form"].secret
    assert f'id="authenticator_secret" type="text" value="{secret}" readonly' in body
    assert 'class="totp-qr" src="data:image/svg+xml;base64,' in body
    assert "otpauth://totp/" in body  # the setup link, for apps that take one

    wrong = http.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    assert 'value="000000"' in wrong.content.decode()  # what was typed stays

    with caplog.at_level(logging.INFO, logger="dashboard.security"), on_commit(execute=True):
        done = http.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == "/accounts/2fa/recovery-codes/"
    assert set(Authenticator.objects.filter(user=support).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }
    assert any(line.startswith("second factor added user='sam.support'") for line in security_lines(caplog))
    codes = http.get("/accounts/2fa/recovery-codes/").content.decode()
    assert all(code in codes for code in recovery_codes(support))


def test_the_account_page_lists_each_kind_of_factor_and_what_can_be_done(support):
    http = logged_in(support)
    before = http.get("/accounts/2fa/").content.decode()
    assert "Sign-in security" in before and "Set up an authenticator app" in before
    assert "Add a passkey or key" in before
    with_totp(support)
    after = http.get("/accounts/2fa/").content.decode()
    assert "Codes from your authenticator app are accepted at sign-in." in after
    assert "10 of 10 codes left." in after
    for action in ("Remove", "View codes", "Download", "New codes"):
        assert f">{action}</a>" in after


def test_removing_ones_own_authenticator_app_is_logged(support, caplog, on_commit):
    with_totp(support)
    http = logged_in(support)
    with caplog.at_level(logging.INFO, logger="dashboard.security"), on_commit(execute=True):
        response = http.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=support, type="totp").exists()
    assert any(line.startswith("second factor removed user='sam.support'") for line in security_lines(caplog))


def test_new_recovery_codes_replace_the_old_ones_and_are_logged(support, caplog, on_commit):
    with_totp(support)
    old = recovery_codes(support)
    http = logged_in(support)
    with caplog.at_level(logging.INFO, logger="dashboard.security"), on_commit(execute=True):
        assert http.post("/accounts/2fa/recovery-codes/generate/").status_code == 302
    new = recovery_codes(support)
    assert len(new) == 10 and not set(new) & set(old)
    assert any(
        line.startswith("recovery codes renewed user='sam.support'") for line in security_lines(caplog)
    )


def test_managing_factors_long_after_signing_in_asks_for_the_password_first(support):
    """Without a factor yet, the password confirms (setting up the first one)."""
    http = logged_in(support, confirmed=False)
    response = http.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    page = http.get(response["Location"]).content.decode()
    assert 'name="password"' in page


def with_the_password_given_again(user, path: str) -> DjangoClient:
    """A session signed in with the factor long ago, whose holder then types the right password at
    the password confirmation: what a stolen session can do by guessing the password."""
    http = logged_in(user, confirmed=False)
    refused = http.post(f"/accounts/reauthenticate/?next={path}", {"password": PASSWORD})
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/2fa/reauthenticate/")
    return http


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/accounts/2fa/totp/deactivate/"),  # removing a factor
        ("get", "/accounts/2fa/webauthn/add/"),  # adding a passkey
        ("get", "/accounts/2fa/recovery-codes/"),  # viewing recovery codes
        ("get", "/accounts/2fa/recovery-codes/download/"),
        ("post", "/accounts/2fa/recovery-codes/generate/"),  # renewing them
        ("get", "/accounts/password_change/"),  # changing the password
        ("post", "/accounts/password_change/"),
    ],
)
def test_with_a_factor_only_the_factor_confirms_never_the_password(support, method, path):
    with_totp(support)
    codes = recovery_codes(support)
    http = with_the_password_given_again(support, path)
    response = getattr(http, method)(path)
    assert response.status_code == 302
    where = urlparse(response["Location"])
    assert where.path == "/accounts/2fa/reauthenticate/" and parse_qs(where.query)["next"] == [path]
    assert recovery_codes(support) == codes
    assert Authenticator.objects.filter(user=support, type="totp").exists()


def test_with_a_factor_the_password_page_is_neither_offered_nor_taken(support, caplog):
    app = with_totp(support)
    http = logged_in(support, confirmed=False)
    asked = http.get("/accounts/2fa/recovery-codes/")
    page = http.get(asked["Location"]).content.decode()
    assert 'name="code"' in page and 'name="password"' not in page
    assert "/accounts/reauthenticate/" not in page  # the password is not among the other ways
    # Asked for directly, the password page sends on to the factor, and takes no password.
    shown = http.get("/accounts/reauthenticate/?next=/accounts/2fa/recovery-codes/")
    assert shown.status_code == 302
    assert shown["Location"] == "/accounts/2fa/reauthenticate/?next=%2Faccounts%2F2fa%2Frecovery-codes%2F"
    posted = http.post("/accounts/reauthenticate/?next=/accounts/2fa/recovery-codes/", {"password": PASSWORD})
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/2fa/reauthenticate/")
    again = http.get("/accounts/2fa/recovery-codes/")
    assert again.status_code == 302 and again["Location"].startswith("/accounts/2fa/reauthenticate/")
    # The factor confirms, and the codes show.
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        done = http.post(asked["Location"], {"code": app.now()})
    assert done.status_code == 302 and done["Location"] == "/accounts/2fa/recovery-codes/"
    codes = http.get("/accounts/2fa/recovery-codes/").content.decode()
    assert all(code in codes for code in recovery_codes(support))
    assert any(
        line.startswith("re-authenticated user='sam.support'") and "method=mfa" in line
        for line in security_lines(caplog)
    )


def test_with_a_factor_a_recent_factor_confirmation_or_sign_in_is_enough(support):
    with_totp(support)
    assert logged_in(support).get("/accounts/2fa/recovery-codes/").status_code == 200
    assert logged_in(support).get("/accounts/password_change/").status_code == 200


def test_with_a_factor_the_password_change_asks_for_it_first_then_opens(support):
    app = with_totp(support)
    http = logged_in(support, confirmed=False)
    asked = http.get("/accounts/password_change/")
    assert asked["Location"] == "/accounts/2fa/reauthenticate/?next=%2Faccounts%2Fpassword_change%2F"
    # A change posted meanwhile is not taken, nor kept for later: it holds passwords.
    new = "a-much-better-pass-2026"
    posted = http.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert posted.status_code == 302 and posted["Location"] == asked["Location"]
    assert "account_reauthentication_state" not in http.session
    assert all(new not in repr(value) for value in http.session.values())
    page = http.get(asked["Location"]).content.decode()
    assert "What you typed is kept" not in page  # nothing was
    done = http.post(asked["Location"], {"code": app.now()})
    assert done["Location"] == "/accounts/password_change/"
    assert http.get("/accounts/password_change/").status_code == 200
    changed = http.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert changed.status_code == 302
    support.refresh_from_db()
    assert support.check_password(new)


def test_without_a_factor_the_old_password_is_the_confirmation(support):
    """Asking for the password on a page of its own first would only ask for it twice."""
    http = logged_in(support, confirmed=False)
    assert http.get("/accounts/password_change/").status_code == 200
    new = "a-much-better-pass-2026"
    response = http.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    support.refresh_from_db()
    assert support.check_password(new)


# -- signing in with a second factor -------------------------------------------------------------------


def test_with_a_factor_the_password_alone_does_not_sign_in(support, caplog):
    app = with_totp(support)
    http, response = password_step(support.username)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert not signed_in(http)
    assert http.get("/clients/").status_code == 302  # still the login wall
    step = http.get("/accounts/2fa/authenticate/").content.decode()
    assert "Use a passkey or security key" in step  # a passkey is offered beside the code

    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        done = http.post("/accounts/2fa/authenticate/", {"code": app.now()})
    assert done.status_code == 302 and done["Location"] == "/clients/"
    assert signed_in(http)
    assert http.get("/clients/").status_code == 200
    assert any(line.startswith("login succeeded user='sam.support'") for line in security_lines(caplog))


def test_wrong_codes_count_toward_the_lockout_like_wrong_passwords(support, caplog):
    app = with_totp(support)
    http, _ = password_step(support.username)
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        for _ in range(4):
            wrong = http.post("/accounts/2fa/authenticate/", {"code": "000000"})
            assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
        fifth = http.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert fifth.status_code == 429 and "locked for 15 minutes" in fifth.content.decode()
    lines = security_lines(caplog)
    assert sum(line.startswith("second factor failed user='sam.support'") for line in lines) == 5
    assert any(line.startswith("login locked out user='sam.support'") for line in lines)
    # The failed attempts kept for administrators (admin: Access attempts) mask the codes typed.
    kept = AccessAttempt.objects.get(username="sam.support").post_data
    assert "code=" in kept and "000000" not in kept

    # Locked out: the right code is refused as well, and so is the password on a new attempt.
    refused = http.post("/accounts/2fa/authenticate/", {"code": app.now()})
    assert refused.status_code == 429 and not signed_in(http)
    again, response = password_step(support.username)
    assert response.status_code == 429 and not signed_in(again)


def test_a_wrong_password_then_wrong_codes_add_up(support):
    with_totp(support)
    for _ in range(2):
        password_step(support.username, "not-the-password")
    http, _ = password_step(support.username)
    for _ in range(2):
        assert http.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    assert http.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 429


def test_a_recovery_code_signs_in_once_and_is_logged(support, caplog):
    with_totp(support)
    code = recovery_codes(support)[0]
    http, _ = password_step(support.username)
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        done = http.post("/accounts/2fa/authenticate/", {"code": code})
    assert done.status_code == 302 and signed_in(http)
    assert any(line.startswith("recovery code used user='sam.support'") for line in security_lines(caplog))
    assert code not in recovery_codes(support) and len(recovery_codes(support)) == 9

    again, _ = password_step(support.username)
    refused = again.post("/accounts/2fa/authenticate/", {"code": code})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    assert not signed_in(again)


# -- MFA_REQUIRED ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # allauth's "factor added" runs on commit, within the request
@override_settings(MFA_REQUIRED=True)
def test_when_required_a_staff_member_without_a_factor_sets_one_up_first(support):
    http, response = password_step(support.username)
    assert response.status_code == 302
    landing = http.get(response["Location"])
    assert landing.status_code == 302 and landing["Location"] == "/accounts/2fa/"
    page = http.get("/accounts/2fa/").content.decode()
    assert 'id="mfa-required"' in page and "other pages open once it is done" in page
    for path in ("/", "/clients/", "/activity/", "/accounts/password_change/", "/clients/export.csv"):
        assert http.get(path)["Location"] == "/accounts/2fa/", path
    htmx = http.get("/clients/?page=2", headers=HTMX)
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == "/accounts/2fa/"
    assert http.post("/views/new/", {"name": "x"})["Location"] == "/accounts/2fa/"

    # Setting up an authenticator app (and signing out) stays open; then everything else is.
    setup = http.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    secret = setup.context["form"].secret
    done = http.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302
    assert http.get("/clients/").status_code == 200  # this session set the factor up: it goes on


@override_settings(MFA_REQUIRED=True)
def test_when_required_recovery_codes_alone_are_not_a_second_factor(support):
    RecoveryCodes.activate(support)
    http = logged_in(support)
    assert http.get("/clients/")["Location"] == "/accounts/2fa/"


@override_settings(MFA_REQUIRED=True)
def test_when_required_signing_out_still_works(support):
    http = logged_in(support)
    response = http.post("/accounts/logout/")
    assert response.status_code == 302 and not signed_in(http)


@override_settings(MFA_REQUIRED=True)
def test_when_required_a_staff_member_with_a_factor_goes_on_as_usual(support):
    with_totp(support)
    assert logged_in(support).get("/clients/").status_code == 200


def test_a_session_signed_in_with_the_password_alone_ends_once_the_account_has_a_factor(support, caplog):
    """Signed in before a factor existed (or with a password stolen before): once the person sets
    one up elsewhere, that session must sign in again, with it."""
    http, _ = password_step(support.username)
    assert signed_in(http) and http.get("/clients/").status_code == 200
    with_totp(support)  # set up in the person's own browser
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        ended = http.get("/clients/?page=2")
    assert ended.status_code == 302 and ended["Location"] == "/accounts/login/?next=/clients/%3Fpage%3D2"
    assert not signed_in(http)
    assert any(
        line.startswith("session without second factor ended user='sam.support'")
        for line in security_lines(caplog)
    )
    again, _ = password_step(support.username)  # the password alone is now only the first step
    assert again.get("/clients/", headers=HTMX)["HX-Redirect"].startswith("/accounts/login/")


def test_an_htmx_request_of_such_a_session_goes_back_to_its_page_after_signing_in(support):
    http, _ = password_step(support.username)
    with_totp(support)
    ended = http.get(
        "/clients/?page=2", headers=HTMX | {"HX-Current-URL": "http://testserver/clients/?page=2&cdn=active"}
    )
    assert ended["HX-Redirect"] == "/accounts/login/?next=/clients/%3Fpage%3D2%26cdn%3Dactive"
    assert not signed_in(http)


def test_removing_a_factor_ends_the_other_sessions_not_this_one(support, on_commit):
    """A factor is removed when it is lost or not trusted any more: what it opened ends with it."""
    with_totp(support)
    here, elsewhere = logged_in(support), logged_in(support)
    with on_commit(execute=True):
        assert here.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert signed_in(here) and here.get("/clients/").status_code == 200
    assert not signed_in(elsewhere) and elsewhere.get("/clients/").status_code == 302


# -- the administrator's reset ---------------------------------------------------------------------------


def test_an_administrator_resets_a_lost_phone_in_the_admin_audited(admin_user, support, caplog):
    with_totp(support)
    on_the_lost_phone = logged_in(support)
    admin = logged_in(admin_user)
    users = admin.get("/admin/auth/user/").content.decode()
    assert "Reset second factors" in users
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        response = admin.post(
            "/admin/auth/user/",
            {"action": "reset_second_factors", "_selected_action": [support.pk], "index": 0},
            REMOTE_ADDR=HOME,
            follow=True,
        )
    assert "Second factors of sam.support reset (2 removed)" in response.content.decode()
    assert not Authenticator.objects.filter(user=support).exists()
    assert not signed_in(on_the_lost_phone)  # every session of theirs ended with the reset
    assert signed_in(admin)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.STAFF_MFA_RESET)
    assert entry.actor_username == "ada.admin" and entry.outcome == "saved"
    assert entry.details == {"staff": "sam.support"} and "Reset sam.support's second factors" in entry.message
    assert any(
        line.startswith("second factors reset user='sam.support' by='ada.admin'")
        for line in security_lines(caplog)
    )
    # The staff member signs in with the password alone again (and, with MFA_REQUIRED, sets one up).
    http, response = password_step(support.username)
    assert response.status_code == 302 and signed_in(http)


def test_factors_are_shown_in_the_admin_but_not_editable_there(admin_user, support):
    with_totp(support)
    admin = logged_in(admin_user)
    listing = admin.get("/admin/mfa/authenticator/").content.decode()
    assert "sam.support" in listing
    factor = Authenticator.objects.get(user=support, type="totp")
    page = admin.get(f"/admin/mfa/authenticator/{factor.pk}/change/").content.decode()
    assert factor.data["secret"] not in page  # the secret is never shown
    assert admin.post(f"/admin/mfa/authenticator/{factor.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Authenticator.objects.filter(pk=factor.pk).exists()


def test_the_admin_login_form_takes_no_password_from_someone_signed_in(admin_user, support):
    """A staff member's session cannot become a superuser's with the superuser's password alone."""
    with_totp(admin_user)
    http = logged_in(support)
    for method in ("get", "post"):
        response = getattr(http, method)(
            "/admin/login/", {"username": admin_user.username, "password": PASSWORD}
        )
        assert response.status_code == 403
    assert http.get("/clients/").wsgi_request.user == support
    assert logged_in(admin_user).get("/admin/login/")["Location"] == "/admin/"


def test_the_admin_login_form_cannot_skip_the_second_factor(admin_user):
    with_totp(admin_user)
    http = DjangoClient()
    response = http.post(
        "/admin/login/?next=/admin/", {"username": admin_user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not signed_in(http)


# -- a fresh confirmation before risky actions ------------------------------------------------------------


def stale(user) -> DjangoClient:
    """Signed in as `user` (password and factor) longer ago than REAUTH_MINUTES (10)."""
    http = logged_in(user)
    session = http.session
    session["account_authentication_methods"] = [
        dict(record, at=time.time() - 11 * 60) for record in session["account_authentication_methods"]
    ]
    session.save()
    return http


def test_a_risky_action_asks_again_then_carries_on_with_what_was_typed(support, sandbox, wire, caplog):
    client_id, user = client_with_user_without_tokens(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/remove/"
    http = stale(support)
    asked = http.post(url, {"reason": "Left the company", "confirm": "on"})
    assert asked.status_code == 302
    where = urlparse(asked["Location"])
    assert where.path == "/accounts/reauthenticate/" and parse_qs(where.query)["next"] == [url]
    assert writes(wire) == []  # nothing sent yet

    page = http.get(asked["Location"]).content.decode()
    assert "password" in page.lower()
    wrong = http.post(asked["Location"], {"password": "not-the-password"})
    assert wrong.status_code == 200 and writes(wire) == []
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        done = http.post(asked["Location"], {"password": PASSWORD})
    assert done.status_code == 302 and done["Location"] == f"/clients/{client_id}/#client-users"
    assert writes(wire) == [("DELETE", f"/iam/clients/{client_id}/client-users/{user['id']}", None)]
    assert user["id"] not in user_ids(sandbox, client_id)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.USER_REMOVE, outcome="saved")
    assert entry.details["reason"] == "Left the company"  # the reason typed before the question
    assert any(
        line.startswith("re-authenticated user='sam.support'") and "method=password" in line
        for line in security_lines(caplog)
    )
    # Confirmed now: the next risky action within REAUTH_MINUTES does not ask again.
    other = next(u for u in sandbox.client_json(client_id)["users"] if u["id"] != user["id"])
    again = http.post(
        f"/clients/{client_id}/users/{other['id']}/remove/", {"reason": "Gone", "confirm": "on"}
    )
    assert not again["Location"].startswith("/accounts/reauthenticate/")


def test_an_htmx_risky_action_goes_to_the_question_as_a_whole_page_then_carries_on(support, sandbox, wire):
    client_id, user = client_with_user_without_tokens(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/remove/"
    http = stale(support)
    asked = http.post(url, {"reason": "Left", "confirm": "on"}, headers=HTMX | {"HX-Target": "main"})
    assert asked.status_code == 200
    assert asked["HX-Redirect"].startswith("/accounts/reauthenticate/?next=")
    assert writes(wire) == []
    done = http.post(asked["HX-Redirect"], {"password": PASSWORD})
    # The action answers the browser's full page (not an htmx fragment) with what was posted.
    assert done.status_code == 302 and done["Location"] == f"/clients/{client_id}/#client-users"
    assert writes(wire) == [("DELETE", f"/iam/clients/{client_id}/client-users/{user['id']}", None)]


def test_with_a_factor_a_risky_action_is_confirmed_by_the_factor_not_the_password(
    support, sandbox, wire, caplog
):
    app = with_totp(support)
    client_id, user = client_with_user_without_tokens(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/remove/"
    http = stale(support)
    asked = http.post(url, {"reason": "Left", "confirm": "on"})
    where = urlparse(asked["Location"])
    assert where.path == "/accounts/2fa/reauthenticate/" and parse_qs(where.query)["next"] == [url]
    page = http.get(asked["Location"]).content.decode()
    assert 'name="password"' not in page and "What you typed is kept" in page
    # The password is no way round it: its page sends on to the factor's, the POST still waiting.
    password = http.post(f"/accounts/reauthenticate/?next={url}", {"password": PASSWORD})
    assert password["Location"].startswith("/accounts/2fa/reauthenticate/") and writes(wire) == []
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        wrong = http.post(asked["Location"], {"code": "000000"})
        assert wrong.status_code == 200 and writes(wire) == []
        done = http.post(asked["Location"], {"code": app.now()})
    assert done.status_code == 302 and done["Location"] == f"/clients/{client_id}/#client-users"
    assert writes(wire)[0][0] == "DELETE"
    lines = security_lines(caplog)
    assert any(
        "second factor failed user='sam.support'" in line and "reauthentication=True" in line
        for line in lines
    )
    assert any(
        line.startswith("re-authenticated user='sam.support'") and "method=mfa" in line for line in lines
    )


def test_safe_changes_do_not_ask(support, sandbox, wire):
    """Only the risky change asks: a service turned on, or looking at a removal page, does not."""
    http = stale(support)
    client_id, service = client_with_service(sandbox, "paused")
    form = open_service_form(http, client_id, service["id"])
    response = post_service(http, client_id, service["id"], form, status="active")
    assert response.status_code in (200, 302) and "reauthenticate" not in response.get("Location", "")
    assert [call[0] for call in writes(wire)] == ["PUT"]
    other, user = client_with_user_without_tokens(sandbox)
    assert http.get(f"/clients/{other}/users/{user['id']}/remove/").status_code == 200


def test_pausing_a_service_asks_and_keeps_the_reason(support, sandbox, wire):
    http = stale(support)
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(http, client_id, service["id"])
    asked = post_service(http, client_id, service["id"], form, status="paused", reason="Unpaid", confirm="on")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert writes(wire) == []
    http.post(asked["Location"], {"password": PASSWORD})
    put = [call for call in writes(wire) if call[0] == "PUT"]
    assert len(put) == 1 and put[0][2]["status"] == "paused"
    entry = AuditEntry.objects.filter(outcome="saved").latest("id")
    assert entry.details.get("reason") == "Unpaid"


def test_the_confirmation_window_follows_reauth_minutes(support, sandbox, wire):
    client_id, user = client_with_user_without_tokens(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/remove/"
    with override_settings(REAUTH_MINUTES=30):
        response = stale(support).post(url, {"reason": "Left", "confirm": "on"})  # 11 minutes ago
    assert response.status_code == 302 and response["Location"] == f"/clients/{client_id}/#client-users"


def confirm_with_password(http: DjangoClient, asked) -> object:
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/?next=")
    return http.post(asked["Location"], {"password": PASSWORD})


def test_revoking_a_token_asks_first(support, sandbox, wire):
    client_id, _, token = client_with_token_holder(sandbox)
    http = stale(support)
    asked = http.post(
        f"/clients/{client_id}/tokens/{token['id']}/revoke/", {"reason": "Leaked", "confirm": "on"}
    )
    assert writes(wire) == []
    confirm_with_password(http, asked)
    assert [call[0] for call in writes(wire)] == ["DELETE"]
    assert token["id"] not in [t["id"] for t in live_tokens(sandbox, client_id)]


@pytest.mark.django_db(transaction=True)  # the change runs in its own threads
def test_starting_a_bulk_change_asks_first_but_its_preview_does_not(admin_user, sandbox, wire):
    http = stale(admin_user)
    bulk = preview(http, scope="ids", client=live_ids(sandbox, 3))  # a draft: nothing changes yet
    asked = http.post(
        "/clients/bulk/", {"action": "start", "batch": bulk.pk, "reason": "Unpaid", "confirm": "on"}
    )
    bulk.refresh_from_db()
    assert bulk.state == "draft"
    confirm_with_password(http, asked)
    assert finished(bulk).state == "done" and bulk.reason == "Unpaid"


def test_moving_a_client_asks_first_other_edits_do_not(admin_user, sandbox, wire):
    client = next(
        c for i in sandbox.client_ids() if not (c := sandbox.client_json(i))["deleted"] and c["resellers"]
    )
    http = stale(admin_user)
    url = f"/clients/{client['id']}/edit/"
    form = FormValues("company_name")
    form.feed(http.get(url).content.decode())
    renamed = http.post(url, dict(form.values, company_name="Renamed GmbH"))
    assert renamed.status_code == 302 and renamed["Location"] == f"/clients/{client['id']}/"
    form = FormValues("company_name")
    form.feed(http.get(url).content.decode())
    other = next(r for r in sandbox.reseller_ids() if r != client["resellers"])
    asked = http.post(url, dict(form.values, reseller=str(other)))
    assert sandbox.client_json(client["id"])["resellers"] == client["resellers"]
    confirm_with_password(http, asked)
    assert sandbox.client_json(client["id"])["resellers"] == other


def test_a_support_agents_client_edit_never_asks(support, sandbox, wire):
    """Support agents cannot move clients: their form has the two fields disabled (not posted)."""
    client_id = next(i for i in sandbox.client_ids() if not sandbox.client_json(i)["deleted"])
    http = stale(support)
    url = f"/clients/{client_id}/edit/"
    form = FormValues("company_name")
    form.feed(http.get(url).content.decode())
    assert {"reseller", "seller"} <= form.disabled
    saved = http.post(url, dict(form.values, company_name="Renamed by support"))
    assert saved.status_code == 302 and saved["Location"] == f"/clients/{client_id}/"
    assert sandbox.client_json(client_id)["companyName"] == "Renamed by support"


def test_a_move_cannot_dodge_the_question_with_a_doctored_form(admin_user, sandbox, wire):
    """The question follows what the view would send: a seller left out of the POST (which clears
    it), or an `original` that claims the new reseller was already there."""
    client = next(
        c
        for i in sandbox.client_ids()
        if not (c := sandbox.client_json(i))["deleted"] and c["resellers"] and c["seller"]
    )
    http = stale(admin_user)
    url = f"/clients/{client['id']}/edit/"
    form = FormValues("company_name")
    form.feed(http.get(url).content.decode())
    without_seller = {name: value for name, value in form.values.items() if name != "seller"}
    asked = http.post(url, without_seller)
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    other = next(r for r in sandbox.reseller_ids() if r != client["resellers"])
    original = json.loads(form.values["original"]) | {"reseller": str(other)}
    doctored = dict(form.values, reseller=str(other), original=json.dumps(original), overwrite="on")
    asked = http.post(url, doctored)
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert writes(wire) == []
    after = sandbox.client_json(client["id"])
    assert (after["resellers"], after["seller"]) == (client["resellers"], client["seller"])


def test_changing_an_spp_balance_asks_first_other_billing_edits_do_not(admin_user, sandbox, spp_sandbox):
    http = stale(admin_user)
    client, spp_id = linked(http, sandbox, spp_sandbox)
    url = f"/clients/{client['id']}/billing/edit/"
    form = open_form(http, url)
    saved = http.post(url, form_data(form, tax_id="DE123"), headers=HTMX)
    assert saved.status_code == 200 and spp_sandbox.client_json(spp_id)["tax_id"] == "DE123"
    form = open_form(http, url)
    asked = http.post(url, form_data(form, balance="12.50", tax_id="DE456"))
    assert spp_sandbox.client_json(spp_id)["tax_id"] == "DE123"
    confirm_with_password(http, asked)
    record = spp_sandbox.client_json(spp_id)
    assert float(record["balance"]) == 12.5 and record["tax_id"] == "DE456"
    # A balance left out of the POST would be sent as empty: that asks too.
    form = open_form(stale(admin_user), url)
    data = {name: value for name, value in form_data(form).items() if name != "balance"}
    http = stale(admin_user)
    asked = http.post(url, data)
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")


def test_a_form_not_yet_said_yes_to_answers_first_and_asks_nothing(support, sandbox, wire):
    """Without its reason and tick the action's own form refuses (and says why) before any question:
    the question comes when the person has said yes, so that the action then runs at once."""
    client_id, user = client_with_user_without_tokens(sandbox)
    http = stale(support)
    refused = http.post(f"/clients/{client_id}/users/{user['id']}/remove/", {"reason": "Left"})
    assert refused.status_code == 422 and writes(wire) == []
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(http, client_id, service["id"])
    refused = post_service(http, client_id, service["id"], form, status="paused", reason="Unpaid")
    assert refused.status_code == 422 and "Tick to confirm what this change does." in refused.content.decode()
    assert writes(wire) == []
