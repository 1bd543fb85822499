"""The admin's "set password" page (`/admin/auth/user/<id>/password/`) takes no current password, so
it is held to what stands in for one: one's own password is changed on the dashboard's page (which
counts and locks out); another staff member's only within REAUTH_MINUTES of a confirmation (the
factor, for an account with one), checked again when the form is sent, and never by keeping the
typed password for afterwards. A password set there ends every session of that staff member and
is in the security log and the activity log, never with a password."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client as DjangoClient

from dashboard.models import AuditEntry
from tests.helpers import PASSWORD, logged_in

pytestmark = pytest.mark.django_db

HOME = "10.1.2.3"
NEW = "a-much-better-pass-2026"
SET = AuditEntry.Action.STAFF_PASSWORD_SET


def url(user) -> str:
    return f"/admin/auth/user/{user.pk}/password/"


def set_password(http: DjangoClient, user, new: str = NEW, again: str | None = None, **extra: str):
    data = {"usable_password": "true", "password1": new, "password2": again or new, "set-password": "1"}
    return http.post(url(user), data | extra, REMOTE_ADDR=HOME)


def with_totp(user) -> pyotp.TOTP:
    """Gives `user` an authenticator app and recovery codes, as the setup page does; returns the app."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return pyotp.TOTP(secret)


def signed_in(http: DjangoClient) -> bool:
    return "_auth_user_id" in http.session


def confirmed_minutes_ago(http: DjangoClient, minutes: int) -> None:
    """The session's sign-in and confirmations, moved `minutes` into the past."""
    session = http.session
    session["account_authentication_methods"] = [
        dict(record, at=time.time() - minutes * 60) for record in session["account_authentication_methods"]
    ]
    session.save()


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dashboard.security"]


def unchanged(user) -> bool:
    user.refresh_from_db()
    return user.check_password(PASSWORD) and not AuditEntry.objects.filter(action=SET).exists()


def test_ones_own_password_is_changed_on_the_dashboards_page(admin_user):
    """There the current password is asked and counted as at sign-in: the admin's page would let a
    stolen administrator's session change it without."""
    http = logged_in(admin_user)
    for response in (http.get(url(admin_user)), set_password(http, admin_user)):
        assert response.status_code == 302 and response["Location"] == "/accounts/password_change/"
    assert unchanged(admin_user)


def test_another_staff_members_password_asks_for_the_password_first_then_sets_it(admin_user, support, caplog):
    """An administrator without a second factor, signed in long ago: the password confirms."""
    theirs = logged_in(support)
    http = logged_in(admin_user, confirmed=False)
    asked = http.get(url(support))
    where = urlparse(asked["Location"])
    assert asked.status_code == 302 and where.path == "/accounts/reauthenticate/"
    assert parse_qs(where.query)["next"] == [url(support)]
    confirmed = http.post(asked["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302 and confirmed["Location"] == url(support)

    page = http.get(url(support))
    assert page.status_code == 200
    assert "Setting or disabling the password here signs sam.support out everywhere" in page.content.decode()
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        done = set_password(http, support)
    assert done.status_code == 302 and done["Location"] == f"/admin/auth/user/{support.pk}/change/"
    support.refresh_from_db()
    assert support.check_password(NEW)

    # Every session of theirs ended; the administrator's goes on.
    assert not signed_in(theirs) and theirs.get("/clients/").status_code == 302
    assert signed_in(http) and http.get("/admin/").status_code == 200
    line = "password set by an administrator user='sam.support' by='ada.admin' ip=10.1.2.3 sessions ended=1"
    assert line in security_lines(caplog)
    entry = AuditEntry.objects.get(action=SET)
    assert (entry.actor, entry.actor_username, entry.outcome, entry.ip_address) == (
        admin_user,
        "ada.admin",
        "saved",
        HOME,
    )
    assert entry.details == {"staff": "sam.support", "usable_password": True, "sessions_ended": 1}
    assert entry.message == "Set sam.support's password (1 sessions of theirs ended)."
    activity = http.get("/activity/").content.decode()
    assert "password set by an administrator" in activity.replace("&#x27;", "'")
    assert "Set sam.support&#x27;s password" in activity

    # Never a password: not in the log, the activity log or the session.
    everything = "\n".join(r.getMessage() + repr(vars(r)) for r in caplog.records)
    assert NEW not in everything and NEW not in repr(list(AuditEntry.objects.values()))
    assert NEW not in activity and all(NEW not in repr(value) for value in http.session.values())


def test_with_a_factor_only_the_factor_confirms(admin_user, support):
    app = with_totp(admin_user)
    http = logged_in(admin_user, confirmed=False)
    asked = http.get(url(support))
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    # The password page is not taken for an account with a factor: the page still asks.
    http.post(f"/accounts/reauthenticate/?next={url(support)}", {"password": PASSWORD})
    again = http.get(url(support))
    assert again.status_code == 302 and again["Location"] == asked["Location"]
    assert set_password(http, support).status_code == 403
    assert unchanged(support)

    done = http.post(asked["Location"], {"code": app.now()})
    assert done.status_code == 302 and done["Location"] == url(support)
    assert http.get(url(support)).status_code == 200
    assert set_password(http, support).status_code == 302
    support.refresh_from_db()
    assert support.check_password(NEW)


def test_a_form_sent_once_the_confirmation_is_stale_is_refused_and_not_kept(admin_user, support):
    theirs = logged_in(support)
    http = logged_in(admin_user)
    assert http.get(url(support)).status_code == 200  # fresh when the form opened...
    confirmed_minutes_ago(http, 11)  # ...stale (REAUTH_MINUTES is 10) when it is sent
    refused = set_password(http, support)
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "Nothing was changed: your confirmation is older than 10 minutes" in page
    assert 'href="/accounts/reauthenticate/?next=%2Fadmin%2Fauth%2Fuser%2F' in page  # the way to confirm
    assert NEW not in page
    # Nothing changed, nothing kept for afterwards (it holds a password), nobody signed out.
    assert unchanged(support)
    assert "account_reauthentication_state" not in http.session
    assert all(NEW not in repr(value) for value in http.session.values())
    assert signed_in(theirs)


def test_disabling_password_sign_in_is_held_to_the_same_and_ends_their_sessions(admin_user, support):
    theirs = logged_in(support)
    stale = logged_in(admin_user, confirmed=False)
    disable = {"usable_password": "false", "unset-password": "1"}
    assert stale.post(url(support), disable, REMOTE_ADDR=HOME).status_code == 403
    support.refresh_from_db()
    assert support.has_usable_password() and signed_in(theirs)

    done = logged_in(admin_user).post(url(support), disable, REMOTE_ADDR=HOME)
    assert done.status_code == 302
    support.refresh_from_db()
    assert not support.has_usable_password() and not signed_in(theirs)
    entry = AuditEntry.objects.get(action=SET)
    assert entry.message == "Disabled password sign-in for sam.support (1 sessions of theirs ended)."
    assert entry.details == {"staff": "sam.support", "usable_password": False, "sessions_ended": 1}


def test_doctored_forms_change_nothing(admin_user, support):
    theirs = logged_in(support)
    http = logged_in(admin_user)
    mismatched = set_password(http, support, again="something-else-2026")
    assert mismatched.status_code == 200 and "The two password fields" in mismatched.content.decode()
    too_short = set_password(http, support, new="123")
    assert too_short.status_code == 200 and "too short" in too_short.content.decode()
    assert http.post(url(support), {}, REMOTE_ADDR=HOME).status_code == 200
    assert http.post("/admin/auth/user/987654321/password/", {}, REMOTE_ADDR=HOME).status_code == 404
    assert http.post("/admin/auth/user/not-a-number/password/", {}, REMOTE_ADDR=HOME).status_code == 404
    assert unchanged(support) and signed_in(theirs)
    assert not Authenticator.objects.exists()


def test_only_administrators_reach_it(support, manager):
    for http in (logged_in(support), logged_in(manager)):
        response = set_password(http, manager)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert unchanged(manager)
