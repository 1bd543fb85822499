"""The password change is a sign-in attempt: a wrong old password counts toward LOGIN_FAILURE_LIMIT
for the same username and address as a wrong sign-in; while the account is locked out no change is
accepted and no answer tells a right old password from a wrong one; a change ends the person's
other sessions and is in the security log and the activity log, never with a password."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client as DjangoClient
from django.utils import timezone

from dashboard.models import AuditEntry
from tests.helpers import PASSWORD, logged_in

pytestmark = pytest.mark.django_db

HOME = "10.1.2.3"
ELSEWHERE = "10.9.8.7"
WRONG = "not-the-password-1"
NEW = "a-much-better-pass-2026"
URL = "/accounts/password_change/"


def change(http: DjangoClient, old: str, new: str = NEW, ip: str = HOME):
    return http.post(URL, {"old_password": old, "new_password1": new, "new_password2": new}, REMOTE_ADDR=ip)


def sign_in(username: str, password: str, ip: str = HOME):
    return DjangoClient().post("/accounts/login/", {"login": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(http: DjangoClient) -> bool:
    return "_auth_user_id" in http.session


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dashboard.security"]


def test_a_wrong_old_password_is_refused_and_counted_as_a_failed_sign_in(manager, caplog):
    http = logged_in(manager)
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        refused = change(http, WRONG)
    assert refused.status_code == 200
    assert "Your old password was entered incorrectly" in refused.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (manager.username, HOME, 1)
    assert attempt.path_info == URL
    lines = security_lines(caplog)
    assert f"login failed user='{manager.username}' ip={HOME}" in lines
    assert f"password change refused user='{manager.username}' ip={HOME}: wrong old password" in lines


def test_wrong_old_passwords_and_wrong_sign_ins_add_up_to_the_lockout(manager):
    http = logged_in(manager)
    for _ in range(4):
        assert change(http, WRONG).status_code == 200
    # The fifth failure, at the sign-in from the same address: locked, even with the right password.
    assert sign_in(manager.username, WRONG).status_code == 429
    assert sign_in(manager.username, PASSWORD).status_code == 429
    # Per username and address, as at sign-in: the same person elsewhere is not locked out.
    assert sign_in(manager.username, PASSWORD, ip=ELSEWHERE).status_code == 302


def test_the_fifth_wrong_old_password_locks_the_account_and_says_so(manager, caplog):
    sign_in(manager.username, WRONG)
    sign_in(manager.username, WRONG)
    http = logged_in(manager)
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        assert change(http, WRONG).status_code == 200
        assert change(http, WRONG).status_code == 200
        fifth = change(http, WRONG)
    assert fifth.status_code == 429
    text = fifth.content.decode()
    assert "this account is locked from this address for 15 minutes" in text
    assert "incorrectly" not in text
    assert any(
        line.startswith(f"login locked out user='{manager.username}' ip={HOME}")
        for line in security_lines(caplog)
    )
    assert sign_in(manager.username, PASSWORD).status_code == 429  # the sign-in is locked too


def _answer(response) -> str:
    """What a person sees, without the per-request CSRF token and CSP nonce."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    text = re.sub(r'"x-csrftoken": "[^"]*"', "", text, flags=re.IGNORECASE)
    return re.sub(r'nonce="[^"]*"', "", text)


def test_while_locked_out_no_change_is_accepted_and_right_and_wrong_answer_alike(manager):
    for _ in range(5):
        sign_in(manager.username, WRONG)
    http = logged_in(manager)
    right = change(http, PASSWORD)
    wrong = change(http, WRONG)
    assert right.status_code == wrong.status_code == 429
    assert _answer(right) == _answer(wrong)
    assert "locked from this address" in right.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD) and not manager.check_password(NEW)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.STAFF_PASSWORD_CHANGE).exists()
    # The session itself goes on (the lock is on the password, as at sign-in); the change waits.
    assert signed_in(http) and http.get("/clients/").status_code == 200


def test_a_try_during_the_lock_starts_it_again_and_it_ends_after_the_cool_off(manager):
    for _ in range(5):
        sign_in(manager.username, WRONG)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    http = logged_in(manager)
    assert change(http, PASSWORD).status_code == 429  # 10 minutes in: still locked...
    restarted = AccessAttempt.objects.get(username=manager.username).attempt_time
    assert timezone.now() - restarted < timedelta(minutes=1)  # ...and the 15 minutes run from now
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert change(http, PASSWORD).status_code == 302
    manager.refresh_from_db()
    assert manager.check_password(NEW)


def test_the_lock_from_another_address_does_not_stop_a_change_from_here(manager):
    for _ in range(5):
        sign_in(manager.username, WRONG, ip=ELSEWHERE)
    assert change(logged_in(manager), PASSWORD).status_code == 302


def test_an_empty_old_password_is_a_form_error_not_a_failure(manager):
    response = logged_in(manager).post(URL, {"new_password1": NEW, "new_password2": NEW}, REMOTE_ADDR=HOME)
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_a_change_ends_the_other_sessions_and_is_logged_and_audited(manager, caplog):
    here, elsewhere = logged_in(manager), logged_in(manager)
    change(here, WRONG)  # a failure first: the change clears it, as a sign-in does
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        done = change(here, PASSWORD)
    assert done.status_code == 302 and done["Location"] == "/accounts/password_change/done/"
    manager.refresh_from_db()
    assert manager.check_password(NEW)
    assert signed_in(here) and here.get("/clients/").status_code == 200
    assert not signed_in(elsewhere) and elsewhere.get("/clients/").status_code == 302
    assert not AccessAttempt.objects.exists()

    assert f"password changed user='{manager.username}' ip={HOME} other sessions ended=1" in security_lines(
        caplog
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.STAFF_PASSWORD_CHANGE)
    assert (entry.actor, entry.actor_username, entry.outcome, entry.ip_address) == (
        manager,
        manager.username,
        "saved",
        HOME,
    )
    assert entry.details == {"staff": manager.username, "other_sessions_ended": 1}
    activity = here.get("/activity/").content.decode()
    assert "Staff member&#x27;s password changed" in activity or "Staff member's password changed" in activity

    # Never a password: not in the log, not in the activity log, not in the failed attempts kept.
    everything = "\n".join(r.getMessage() + repr(vars(r)) for r in caplog.records)
    stored = repr(list(AuditEntry.objects.values())) + repr(list(AccessAttempt.objects.values()))
    for secret in (PASSWORD, WRONG, NEW):
        assert secret not in everything and secret not in stored


def test_the_failed_attempts_kept_for_administrators_hold_no_password(manager):
    change(logged_in(manager), WRONG)
    kept = AccessAttempt.objects.get().post_data
    assert "old_password=" in kept and WRONG not in kept and NEW not in kept


def test_the_new_password_still_meets_the_validators(manager):
    response = change(logged_in(manager), PASSWORD, new="123")
    assert response.status_code == 200 and "too short" in response.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    assert not AccessAttempt.objects.exists()  # the old password was right: nothing counted


def test_the_admins_own_password_change_leads_to_this_one(admin_user):
    """Django's admin has its own password change, which checks the old password outside the
    sign-in path: administrators are sent to the dashboard's."""
    http = logged_in(admin_user)
    for method in ("get", "post"):
        response = getattr(http, method)(
            "/admin/password_change/",
            {"old_password": WRONG, "new_password1": NEW, "new_password2": NEW},
            REMOTE_ADDR=HOME,
        )
        assert response.status_code == 302 and response["Location"] == URL
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)
