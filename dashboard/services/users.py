"""Reading and changing a client's users: profile through PATCH /iam/users, role through PUT client-users."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.contrib.auth.models import User

from dashboard.gcore import GcoreNotFound, get_gcore_client
from dashboard.gcore.models import GROUPS_BY_ID, Client, ClientUser, UserUpdate
from dashboard.services import versions
from dashboard.services.audit import Action
from dashboard.services.saves import Save, SaveResult, Step, run_save

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
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
    reverts: int | None = None,
) -> SaveResult:
    """Save a user's profile (PATCH /iam/users/{id}), then their role (PUT client-users); `reverts`
    names the audit entry this change undoes (services/revert.py).

    The save pipeline's rules; when the role call fails after the profile was saved, the result is
    PARTIAL and says which fields reached Gcore.
    """
    gcore = get_gcore_client()
    save = Save(
        action=Action.USER_UPDATE,
        client_id=client_id,
        user_id=user_id,
        labels=USER_LABELS,
        read=lambda: client_user_get(client_id=client_id, user_id=user_id)[1],
        values=user_values,
        steps=[
            Step(PROFILE_FIELDS, lambda changes, _: gcore.update_user(user_id, UserUpdate(**changes))),
            Step(
                ("role",),
                lambda changes, _: gcore.set_user_role(client_id, user_id, GROUPS_BY_ID[changes["role"]]),
            ),
        ],
        # The client's users[] changed, or may have.
        invalidate=partial(versions.client_changed, client_id),
        audit_value=lambda name, value: _role_name(value) if name == "role" else value,
        details={"reverts": reverts} if reverts is not None else {},
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )
