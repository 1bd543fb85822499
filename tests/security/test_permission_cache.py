"""Permissions are read once and kept in the shared cache, and any change to who holds what takes
effect on the very next request (dashboard/permissions.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.permissions import _user_key
from dashboard.roles import MANAGERS
from dashboard.services.versions import PERMISSIONS
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

PAGE = "/activity/"  # needs view_activity, and no call to Gcore


def permission_queries(http) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(PAGE).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "auth_permission" in q["sql"]]


def test_permissions_are_read_once_for_every_server(manager):
    first, second = logged_in(manager), logged_in(manager)  # two sessions, as on two app servers
    assert permission_queries(first)
    assert permission_queries(first) == []
    assert permission_queries(second) == []


def test_leaving_a_group_takes_effect_on_the_next_request(manager):
    http = logged_in(manager)
    assert http.get(PAGE).status_code == 200
    manager.groups.remove(Group.objects.get(name=MANAGERS))
    assert http.get(PAGE).status_code == 403


def test_a_group_losing_a_permission_takes_effect_on_the_next_request(manager):
    http = logged_in(manager)
    assert http.get(PAGE).status_code == 200
    group = Group.objects.get(name=MANAGERS)
    view_activity = Permission.objects.get(codename="view_activity")
    group.permissions.remove(view_activity)
    assert http.get(PAGE).status_code == 403
    group.permissions.add(view_activity)
    assert http.get(PAGE).status_code == 200


def test_a_deleted_group_takes_its_permissions_with_it(manager):
    http = logged_in(manager)
    assert http.get(PAGE).status_code == 200
    Group.objects.get(name=MANAGERS).delete()
    assert http.get(PAGE).status_code == 403


def test_a_permission_given_to_the_user_directly_takes_effect_at_once(nobody):
    http = logged_in(nobody)
    assert http.get(PAGE).status_code == 403
    nobody.user_permissions.add(Permission.objects.get(codename="view_activity"))
    assert http.get(PAGE).status_code == 200


def test_a_deactivated_account_has_no_permissions_whatever_is_cached(manager):
    http = logged_in(manager)
    assert http.get(PAGE).status_code == 200
    manager.is_active = False
    manager.save()
    # Signed out: the session no longer names a user who may log in, so the login page it is.
    response = http.get(PAGE)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={PAGE}")


def test_what_another_server_read_before_the_change_was_committed_is_not_used(
    manager, django_capture_on_commit_callbacks
):
    http = logged_in(manager)
    assert http.get(PAGE).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        manager.groups.remove(Group.objects.get(name=MANAGERS))
        # Another server reads the rows before this transaction commits, and keeps what it saw
        # under the version number current at that moment.
        cache.set(_user_key(manager.pk), (cache.get(PERMISSIONS), False, ["dashboard.view_activity"]))
    assert http.get(PAGE).status_code == 403


def test_a_demoted_superuser_loses_every_permission_at_once(admin_user):
    http = logged_in(admin_user)
    assert http.get(PAGE).status_code == 200
    # Another permission check reads the superuser's (complete) set into the cache.
    assert admin_user.get_all_permissions()
    admin_user.is_superuser = False
    admin_user.save()
    assert http.get(PAGE).status_code == 403
