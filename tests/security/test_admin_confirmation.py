"""Every change in the admin (a staff account made with a chosen password, a superuser tick, other
groups, second factors reset, staff deleted, and any other POST there) is accepted only within
REAUTH_MINUTES of a confirmation (the factor, for an account with one), so a stolen administrator's
session cannot take accounts over. Stale: a form that changes something first leads to the
confirmation and back; a POST is refused (403) with nothing changed and nothing kept. Lists,
history, read-only pages and logging out are not held up."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client as DjangoClient

from dashboard.models import AuditEntry, SavedView
from dashboard.roles import MANAGERS
from dashboard.services.audit import Action, Outcome, audit_record
from tests.helpers import PASSWORD, logged_in

pytestmark = pytest.mark.django_db

HOME = "10.1.2.3"
NEW = "a-chosen-pass-for-new-2026"
User = get_user_model()


def with_totp(user) -> pyotp.TOTP:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return pyotp.TOTP(secret)


def signed_in(http: DjangoClient) -> bool:
    return "_auth_user_id" in http.session


def confirmed_minutes_ago(http: DjangoClient, minutes: int) -> None:
    session = http.session
    session["account_authentication_methods"] = [
        dict(record, at=time.time() - minutes * 60) for record in session["account_authentication_methods"]
    ]
    session.save()


def assert_refused(response, http: DjangoClient, *, back_to: str) -> None:
    """The stale POST's answer: 403, why, and the way to confirm and come back; nothing of the POST
    kept in the session (it may hold a password)."""
    assert response.status_code == 403
    page = response.content.decode()
    assert "Nothing was changed: your confirmation is older than 10 minutes" in page
    where = urlparse(_confirm_link(page))
    assert where.path == "/accounts/reauthenticate/" and parse_qs(where.query)["next"] == [back_to]
    assert "account_reauthentication_state" not in http.session
    assert all(NEW not in repr(value) for value in http.session.values())
    assert NEW not in page


def _confirm_link(page: str) -> str:
    before, _ = page.split(">Confirm who you are</a>", 1)
    return before.rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def add_user(http: DjangoClient, username: str = "eve.new", **extra: str):
    data = {"username": username, "usable_password": "true", "password1": NEW, "password2": NEW, "_save": "1"}
    return http.post("/admin/auth/user/add/", data | extra, REMOTE_ADDR=HOME)


def change_user(http: DjangoClient, user, *, superuser: bool = False, groups: tuple[int, ...] = ()):
    """The change form as Django's page sends it, with the superuser tick and the groups given."""
    data: dict = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": list(groups),
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "_save": "1",
    }
    if superuser:
        data |= {"is_staff": "on", "is_superuser": "on"}
    return http.post(f"/admin/auth/user/{user.pk}/change/", data, REMOTE_ADDR=HOME)


def reset_factors(http: DjangoClient, user):
    data = {"action": "reset_second_factors", "_selected_action": [user.pk], "index": 0}
    return http.post("/admin/auth/user/", data, REMOTE_ADDR=HOME)


# -- the pages that change something ask first ---------------------------------------------------------


@pytest.mark.parametrize("page", ["add/", "{pk}/change/", "{pk}/delete/", "{pk}/password/"])
def test_opening_a_form_that_changes_something_leads_to_the_confirmation_and_back(admin_user, support, page):
    path = "/admin/auth/user/" + page.format(pk=support.pk)
    http = logged_in(admin_user, confirmed=False)
    asked = http.get(path)
    where = urlparse(asked["Location"])
    assert asked.status_code == 302 and where.path == "/accounts/reauthenticate/"
    assert parse_qs(where.query)["next"] == [path]
    confirmed = http.post(asked["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302 and confirmed["Location"] == path
    assert http.get(path).status_code == 200


def test_with_a_factor_only_the_factor_confirms_and_then_a_staff_account_is_made(admin_user):
    app = with_totp(admin_user)
    http = logged_in(admin_user, confirmed=False)
    asked = http.get("/admin/auth/user/add/")
    assert asked.status_code == 302
    assert asked["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2Fauth%2Fuser%2Fadd%2F"
    # The password is not taken for an account with a factor: the form still refuses.
    http.post("/accounts/reauthenticate/?next=/admin/auth/user/add/", {"password": PASSWORD})
    assert http.get("/admin/auth/user/add/")["Location"] == asked["Location"]
    assert add_user(http).status_code == 403
    assert not User.objects.filter(username="eve.new").exists()

    done = http.post(asked["Location"], {"code": app.now()})
    assert done.status_code == 302 and done["Location"] == "/admin/auth/user/add/"
    made = add_user(http)
    assert made.status_code == 302
    assert User.objects.get(username="eve.new").check_password(NEW)


# -- a stale POST changes nothing -----------------------------------------------------------------------


def test_a_staff_account_with_a_chosen_password_is_made_only_when_fresh(admin_user, caplog):
    http = logged_in(admin_user)
    assert http.get("/admin/auth/user/add/").status_code == 200  # fresh when the form opened...
    confirmed_minutes_ago(http, 11)  # ...stale (REAUTH_MINUTES is 10) when it is sent
    with caplog.at_level(logging.INFO, logger="dashboard.security"):
        refused = add_user(http)
    assert_refused(refused, http, back_to="/admin/auth/user/add/")
    assert not User.objects.filter(username="eve.new").exists()
    line = "admin change refused, confirmation stale user='ada.admin' ip=10.1.2.3 path=/admin/auth/user/add/"
    assert line in [r.getMessage() for r in caplog.records]
    assert all(NEW not in r.getMessage() + repr(vars(r)) for r in caplog.records)

    fresh = logged_in(admin_user)
    doctored = add_user(fresh, password2="something-else-2026")  # the form again, with why
    assert doctored.status_code == 200 and "The two password fields" in doctored.content.decode()
    assert not User.objects.filter(username="eve.new").exists()
    assert add_user(fresh).status_code == 302
    assert User.objects.get(username="eve.new").check_password(NEW)


def test_making_someone_a_superuser_or_changing_their_groups_needs_a_fresh_confirmation(admin_user, support):
    managers = Group.objects.get(name=MANAGERS)
    stale = logged_in(admin_user, confirmed=False)
    path = f"/admin/auth/user/{support.pk}/change/"
    assert_refused(change_user(stale, support, superuser=True), stale, back_to=path)
    assert_refused(change_user(stale, support, groups=(managers.pk,)), stale, back_to=path)
    support.refresh_from_db()
    assert not support.is_superuser and not support.is_staff
    assert [g.name for g in support.groups.all()] == ["Support agents"]

    fresh = logged_in(admin_user)
    assert change_user(fresh, support, superuser=True, groups=(managers.pk,)).status_code == 302
    support.refresh_from_db()
    assert support.is_superuser and [g.name for g in support.groups.all()] == [MANAGERS]


def test_second_factors_are_reset_only_when_fresh(admin_user, support):
    with_totp(support)
    theirs = logged_in(support)
    stale = logged_in(admin_user, confirmed=False)
    assert stale.get("/admin/auth/user/").status_code == 200  # the list, with the action, opens
    assert_refused(reset_factors(stale, support), stale, back_to="/admin/auth/user/")
    assert Authenticator.objects.filter(user=support).count() == 2 and signed_in(theirs)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.STAFF_MFA_RESET).exists()

    assert reset_factors(logged_in(admin_user), support).status_code == 302
    assert not Authenticator.objects.filter(user=support).exists() and not signed_in(theirs)


def test_staff_are_deleted_only_when_fresh(admin_user, support, manager):
    stale = logged_in(admin_user, confirmed=False)
    path = f"/admin/auth/user/{support.pk}/delete/"
    assert_refused(stale.post(path, {"post": "yes"}, REMOTE_ADDR=HOME), stale, back_to=path)
    selected = {"action": "delete_selected", "_selected_action": [support.pk, manager.pk], "post": "yes"}
    assert_refused(stale.post("/admin/auth/user/", selected), stale, back_to="/admin/auth/user/")
    assert User.objects.filter(pk__in=[support.pk, manager.pk]).count() == 2

    fresh = logged_in(admin_user)
    assert fresh.post(path, {"post": "yes"}, REMOTE_ADDR=HOME).status_code == 302
    assert fresh.post("/admin/auth/user/", selected | {"_selected_action": [manager.pk]}).status_code == 302
    assert not User.objects.filter(pk__in=[support.pk, manager.pk]).exists()


def test_every_other_admin_post_is_held_to_the_same(admin_user, manager):
    """Not only staff accounts: any model's change or delete there, and the admin's own pages."""
    view = SavedView.objects.create(owner=manager, name="Paused", query="status=paused")
    attempt = AccessAttempt.objects.create(
        username=manager.username, ip_address=HOME, user_agent="x", failures_since_start=5
    )
    stale = logged_in(admin_user, confirmed=False)
    change = f"/admin/dashboard/savedview/{view.pk}/change/"
    assert stale.get(change).status_code == 302
    renamed = {"name": "Mine now", "owner": admin_user.pk, "query": "status=paused", "shared": "on"}
    assert_refused(stale.post(change, renamed), stale, back_to=change)
    unlock = f"/admin/axes/accessattempt/{attempt.pk}/delete/"
    assert_refused(stale.post(unlock, {"post": "yes"}), stale, back_to=unlock)
    view.refresh_from_db()
    assert (view.name, view.owner, view.shared) == ("Paused", manager, False)
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


# -- what only reads is not held up ------------------------------------------------------------------


def test_lists_history_read_only_pages_and_logging_out_are_not_held_up(admin_user, support):
    with_totp(support)
    factor = Authenticator.objects.get(user=support, type="totp")
    entry = audit_record(actor=admin_user, action=Action.STAFF_MFA_RESET, outcome=Outcome.SAVED, message="x")
    stale = logged_in(admin_user, confirmed=False)
    for path in (
        "/admin/",
        "/admin/auth/",
        "/admin/auth/user/",
        f"/admin/auth/user/{support.pk}/history/",
        "/admin/dashboard/auditentry/",
        f"/admin/dashboard/auditentry/{entry.pk}/change/",  # view-only: nothing to change there
        f"/admin/mfa/authenticator/{factor.pk}/change/",
        "/admin/axes/accessattempt/",
    ):
        assert stale.get(path).status_code == 200, path
    out = stale.post("/admin/logout/")
    assert out.status_code in (200, 302) and not signed_in(stale)
