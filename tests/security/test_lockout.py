"""Brute-force protection: 5 failed logins for one username from one address lock that pair for
15 minutes (django-axes, both numbers from the environment); the person is told; it is logged; an
administrator sees and lifts the lockout in the admin."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client as DjangoClient
from django.test import override_settings
from django.utils import timezone

from tests.helpers import PASSWORD, logged_in, run_manage

pytestmark = pytest.mark.django_db

HOME = "10.1.2.3"
ELSEWHERE = "10.9.8.7"
WRONG = "not-the-password-1"


def attempt(username: str, password: str, ip: str = HOME):
    return DjangoClient().post("/accounts/login/", {"login": username, "password": password}, REMOTE_ADDR=ip)


def fail(username: str, times: int, ip: str = HOME):
    return [attempt(username, WRONG, ip) for _ in range(times)]


def test_four_failures_are_only_wrong_passwords(manager):
    for response in fail(manager.username, 4):
        assert response.status_code == 200
        assert b"The username and/or password you specified are not correct." in response.content
        assert b"locked" not in response.content
    assert attempt(manager.username, PASSWORD).status_code == 302


def test_the_fifth_failure_locks_the_account_with_a_clear_message(manager):
    *_, fifth = fail(manager.username, 5)
    assert fifth.status_code == 429
    text = fifth.content.decode()
    assert 'id="lockout-message"' in text
    assert "locked for 15 minutes" in text
    assert "ask an administrator to unlock it" in text
    assert f'value="{manager.username}"' in text  # the form is still there, with the username

    # Now even the right password is refused, with the same message, and no session is made.
    client = DjangoClient()
    response = client.post(
        "/accounts/login/", {"login": manager.username, "password": PASSWORD}, REMOTE_ADDR=HOME
    )
    assert response.status_code == 429
    assert b"locked for 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_address(manager, support):
    fail(manager.username, 5)
    assert attempt(manager.username, PASSWORD, ELSEWHERE).status_code == 302  # same user, other address
    assert attempt(support.username, PASSWORD, HOME).status_code == 302  # other user, same address


def test_the_lock_ends_after_the_cool_off(manager):
    fail(manager.username, 5)
    assert attempt(manager.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(manager.username, PASSWORD).status_code == 302


@override_settings(AXES_FAILURE_LIMIT=2, AXES_COOLOFF_TIME=timedelta(minutes=30))
def test_limit_and_duration_follow_the_settings(manager):
    first, second = fail(manager.username, 2)
    assert first.status_code == 200
    assert second.status_code == 429
    assert b"locked for 30 minutes" in second.content


def test_limit_and_duration_come_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds())",
        LOGIN_FAILURE_LIMIT="7",
        LOGIN_LOCKOUT_MINUTES="45",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "7 2700.0"


def test_logins_failures_and_lockouts_are_logged_without_the_password(manager, caplog):
    caplog.set_level(logging.INFO, logger="dashboard.security")
    attempt(manager.username, PASSWORD)
    fail(manager.username, 5)
    lines = [r.getMessage() for r in caplog.records if r.name == "dashboard.security"]
    assert f"login succeeded user='{manager.username}' ip={HOME}" in lines
    assert lines.count(f"login failed user='{manager.username}' ip={HOME}") == 5
    assert any(line.startswith(f"login locked out user='{manager.username}' ip={HOME}") for line in lines)
    everything = "\n".join(r.getMessage() + repr(vars(r)) for r in caplog.records)
    assert WRONG not in everything
    assert PASSWORD not in everything


def test_administrators_see_lockouts_and_unlock(manager, admin_user):
    fail(manager.username, 5)
    admin = logged_in(admin_user)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert manager.username.encode() in listing.content
    locked = AccessAttempt.objects.get(username=manager.username)
    assert locked.failures_since_start == 5

    response = admin.post(f"/admin/axes/accessattempt/{locked.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=manager.username).exists()
    assert attempt(manager.username, PASSWORD).status_code == 302


def test_a_locked_out_admin_cannot_get_in_through_the_admin_login_form(admin_user):
    fail(admin_user.username, 5)
    http = DjangoClient()
    # The admin's own form takes no password: it sends to the dashboard's login, locked out here.
    response = http.post(
        "/admin/login/", {"username": admin_user.username, "password": PASSWORD}, REMOTE_ADDR=HOME
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in http.session
    assert attempt(admin_user.username, PASSWORD).status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_load_balancer_the_forwarded_address_counts(manager):
    def via_proxy(client_ip: str, password: str):
        return DjangoClient().post(
            "/accounts/login/",
            {"login": manager.username, "password": password},
            REMOTE_ADDR="10.0.0.2",  # the load balancer
            HTTP_X_FORWARDED_FOR=f"1.1.1.1, {client_ip}",  # a forged first entry, then what the LB saw
        )

    for _ in range(5):
        via_proxy("203.0.113.7", WRONG)
    assert via_proxy("203.0.113.7", PASSWORD).status_code == 429
    assert via_proxy("198.51.100.4", PASSWORD).status_code == 302


def test_trying_again_during_the_lock_starts_it_again(manager):
    fail(manager.username, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    assert attempt(manager.username, WRONG).status_code == 429  # 10 minutes in: still locked...
    restarted = AccessAttempt.objects.get(username=manager.username).attempt_time
    assert timezone.now() - restarted < timedelta(minutes=1)  # ...and the 15 minutes run from now
