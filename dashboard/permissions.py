"""Each staff member's permissions, read once and shared by every app server through the cache.

Django's ModelBackend reads a user's permissions with two queries on every request (it only keeps
them for the length of one request). Every dashboard page checks permissions, so those queries
were part of the time the dashboard adds to each Gcore call. Here they are kept in Django's cache
(Redis in production) under a version number: any change to who holds what (a user's groups or
own permissions, a group's permissions, a group, permission or user created or deleted) bumps the
version, and every server stops using what it kept on the very next request.

Only the cached *set of permission names* is new; the rules stay Django's: an inactive user has
none, a superuser has all (checked on the user row itself, read fresh on every request).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from dashboard.services import versions

# A safety net only: every change made through Django invalidates at once.
TIMEOUT_SECONDS = 10 * 60


def _user_key(user_id: object) -> str:
    return f"auth:perms:user:{user_id}"


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend whose permission sets come from the shared cache while they are current."""

    def get_all_permissions(self, user_obj: Any, obj: object = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = self._shared_permissions(user_obj)
        return user_obj._perm_cache

    def _shared_permissions(self, user_obj: Any) -> set[str]:
        key = _user_key(user_obj.pk)
        found = cache.get_many([versions.PERMISSIONS, key])  # one round trip to Redis
        version = found.get(versions.PERMISSIONS)
        if version is None:
            version = versions.version_of(versions.PERMISSIONS)
        entry = found.get(key)
        # A superuser's set is every permission: it holds only while the user row still says so
        # (the row is read fresh on every request), so a demotion takes effect at once.
        if entry is not None and entry[0] == version and entry[1] == user_obj.is_superuser:
            return set(entry[2])
        # Read under the version seen *before* the queries: a change made meanwhile bumps the
        # version, so this entry is never taken for current afterwards.
        permissions = {*self.get_user_permissions(user_obj), *self.get_group_permissions(user_obj)}
        cache.set(key, (version, user_obj.is_superuser, sorted(permissions)), timeout=TIMEOUT_SECONDS)
        return permissions


def _bump() -> None:
    versions.bump(versions.PERMISSIONS)


def invalidate_permissions() -> None:
    """Every cached permission set is stale (on every app server).

    Bumped at once, and again when the transaction commits: a request on another server that
    read the old rows before the commit may have kept them under the first new number.
    """
    _bump()
    transaction.on_commit(_bump)


def _membership_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        invalidate_permissions()


def _row_changed(sender: Any, created: bool = True, **kwargs: Any) -> None:
    # A new or deleted user, group or permission (a deleted group takes its memberships with it,
    # without an m2m signal); a saved group or permission may have a new name or codename.
    if created or sender is not get_user_model():
        invalidate_permissions()


def connect_signals() -> None:
    """Called once at start-up (DashboardConfig.ready)."""
    user_model = get_user_model()
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(
            _membership_changed, sender=through, dispatch_uid=f"dashboard.permissions.{through.__name__}"
        )
    for model in (user_model, Group, Permission):
        for signal in (post_save, post_delete):
            signal.connect(_row_changed, sender=model, dispatch_uid=f"dashboard.permissions.{model.__name__}")
