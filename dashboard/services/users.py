"""Reading and changing a client's users: profile through PATCH /iam/users, role through PUT client-users."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from dashboard.gcore import GcoreError, GcoreNotFound, get_gcore_client
from dashboard.gcore.models import GROUPS_BY_ID, Client, ClientUser, UserUpdate
from dashboard.services.audit import Action, FieldChange, Outcome, audit_record
from dashboard.services.cache import invalidate_client
from dashboard.services.changes import (
    Conflict,
    SaveResult,
    audit_saved,
    find_changes,
    find_conflicts,
    pending_changes,
    refuse_conflicts,
)
from dashboard.services.clients import audit_failure, error_text, read_or_audit

# Pythonic name -> label. All but `role` go through PATCH /iam/users/{id}.
USER_LABELS: dict[str, str] = {
    "email": "Email",
    "name": "Name",
    "lang": "Language",
    "phone": "Phone",
    "company": "Company",
    "auth_types": "Sign-in methods",
    "role": "Role",
}
PROFILE_FIELDS = tuple(name for name in USER_LABELS if name != "role")


def user_values(user: ClientUser) -> dict[str, Any]:
    """The editable values of a user, under the form's names; `role` is the group id."""
    values = {name: getattr(user, name) for name in PROFILE_FIELDS}
    values["role"] = user.role.id if user.role else None
    return values


def client_user_get(*, client_id: int, user_id: int) -> tuple[Client, ClientUser]:
    """The client and its user; GcoreNotFound when the user does not belong to that client."""
    client = get_gcore_client().get_client(client_id)
    user = client.user(user_id)
    if user is None:
        raise GcoreNotFound(f"Client {client_id} has no user {user_id}.")
    return client, user


def _role_name(group_id: Any) -> str | None:
    group = GROUPS_BY_ID.get(group_id) if group_id is not None else None
    return group.name if group else None


def user_update(
    *,
    client_id: int,
    user_id: int,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: AbstractBaseUser,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Save a user's profile, then their role; say exactly which part reached Gcore.

    Same rules as `client_update`: only changed fields, conflicts need `overwrite`, every attempt
    audited. A failure of the first call saves nothing and is re-raised; a failure of the role
    call after the profile was saved is a PARTIAL result, not an exception.
    """
    changes = find_changes(original, desired)
    if not changes:
        return SaveResult(outcome=Outcome.UNCHANGED)
    _, user = read_or_audit(
        partial(client_user_get, client_id=client_id, user_id=user_id),
        actor=actor, action=Action.USER_UPDATE, client_id=client_id, user_id=user_id, ip_address=ip_address,
        changes=[FieldChange(name, original.get(name), value) for name, value in changes.items()],
    )  # fmt: skip
    current = user_values(user)
    conflicts = find_conflicts(changes, original, current, USER_LABELS)
    changes = pending_changes(changes, current)
    if not changes:
        return SaveResult(outcome=Outcome.UNCHANGED, record=user)
    audit = partial(
        audit_record,
        actor=actor,
        action=Action.USER_UPDATE,
        client_id=client_id,
        user_id=user_id,
        ip_address=ip_address,
        changes=[
            FieldChange("role", _role_name(current["role"]), _role_name(value))
            if name == "role"
            else FieldChange(name, current[name], value)
            for name, value in changes.items()
        ],
    )
    if (refused := refuse_conflicts(conflicts, overwrite=overwrite, audit=audit, record=user)) is not None:
        return refused

    try:
        return _send_user_changes(client_id, user_id, changes, user, audit, conflicts)
    finally:
        invalidate_client(client_id)  # the client's users[] changed, or may have


def _send_user_changes(
    client_id: int,
    user_id: int,
    changes: dict[str, Any],
    user: ClientUser,
    audit: Callable[..., object],
    conflicts: list[Conflict],
) -> SaveResult:
    gcore = get_gcore_client()
    profile = {name: value for name, value in changes.items() if name != "role"}
    saved: list[str] = []
    if profile:
        try:
            gcore.update_user(user_id, UserUpdate(**profile))
        except GcoreError as exc:
            audit_failure(exc, audit=audit)
            raise
        saved = [USER_LABELS[name] for name in profile]
    if "role" in changes:
        group = GROUPS_BY_ID[changes["role"]]
        try:
            gcore.set_user_role(client_id, user_id, group)
        except GcoreError as exc:
            if not saved:
                audit_failure(exc, audit=audit)
                raise
            audit(
                outcome=Outcome.PARTIAL,
                upstream_status=exc.status_code,
                message=f"Saved: {', '.join(saved)}. Not saved: role ({error_text(exc)}).",
            )
            return SaveResult(outcome=Outcome.PARTIAL, record=user, saved=saved, failed=["Role"], error=exc)
        saved.append("Role")
    audit_saved(audit, conflicts)
    return SaveResult(outcome=Outcome.SAVED, saved=saved)
