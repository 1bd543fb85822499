"""A way back: which audit entries can be undone through their edit form, with which values, and
what is needed for those that cannot.

A client or user edit that was saved (wholly or in part) is reverted by opening the same edit
form with the entry's old values typed in and the values the entry set as the form's "opened
with" values: the one save pipeline then sends only what differs from Gcore's values now, and a
field changed since the entry (in Gcore or through the dashboard) is a conflict shown before
anything is sent. The new audit entry says which entry it reverts (`details["reverts"]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.gcore.models import GROUPS
from dashboard.models import AuditEntry
from dashboard.services.clients import CLIENT_FIELDS
from dashboard.services.users import USER_LABELS

Action, Outcome = AuditEntry.Action, AuditEntry.Outcome

REVERTIBLE = (Action.CLIENT_UPDATE, Action.USER_UPDATE)
SAVED = (Outcome.SAVED, Outcome.PARTIAL)
# The audit log names a client's fields as Gcore does ("companyName"); the form, in Python's way.
_CLIENT_NAMES = {gcore: name for name, (gcore, _) in CLIENT_FIELDS.items()}
_ROLE_IDS = {group.name: group.id for group in GROUPS}


class RevertRefused(Exception):
    """The entry is not one this form can undo (another client's, not a saved edit, no changes)."""


@dataclass(frozen=True)
class RevertPlan:
    """What reverting one audit entry puts in its edit form: the values before the entry (`undo`)
    and the values it set (`done`), under the form's field names."""

    entry: AuditEntry
    undo: Mapping[str, Any]
    done: Mapping[str, Any]

    def opened_with(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """The form's "opened with" values: Gcore's current ones, the entry's own where it set them,
        so a field changed since the entry is a conflict."""
        return {**current, **{name: value for name, value in self.done.items() if name in current}}


def may_revert(entry: AuditEntry) -> bool:
    """A client or user edit that was saved, wholly or in part, with changes recorded."""
    return entry.action in REVERTIBLE and entry.outcome in SAVED and bool(entry.changes)


def revert_plan(*, entry_id: int, client_id: int, user_id: int | None = None) -> RevertPlan:
    """The plan for reverting entry `entry_id` through the client's (or that user's) edit form."""
    entry = AuditEntry.objects.filter(pk=entry_id, client_id=client_id).first()
    if entry is None or not may_revert(entry):
        raise RevertRefused(f"Entry {entry_id} is not a saved edit of this client that can be reverted.")
    wanted = Action.USER_UPDATE if user_id is not None else Action.CLIENT_UPDATE
    if entry.action != wanted or (user_id is not None and entry.user_id != user_id):
        raise RevertRefused(f"Entry {entry_id} is not an edit of this form's record.")
    undo: dict[str, Any] = {}
    done: dict[str, Any] = {}
    for change in entry.changes:
        if not isinstance(change, dict):
            continue
        name = _field_name(entry.action, str(change.get("field", "")))
        if name is None:
            continue
        old, new = change.get("old"), change.get("new")
        if name == "role":  # the audit log names the role; the form takes the group's id
            old, new = _ROLE_IDS.get(str(old)), _ROLE_IDS.get(str(new))
            if old is None:
                continue
        undo[name], done[name] = old, new
    if not undo:
        raise RevertRefused(f"Entry {entry_id} records no field this form can set back.")
    return RevertPlan(entry=entry, undo=undo, done=done)


def _field_name(action: str, logged: str) -> str | None:
    if action == Action.CLIENT_UPDATE:
        return _CLIENT_NAMES.get(logged) or (logged if logged in CLIENT_FIELDS else None)
    return logged if logged in USER_LABELS else None


# What undoing needs where no form can do it: said on the timeline, without a button.
NOT_UNDONE: dict[str, str] = {
    Action.USER_REMOVE: (
        "Cannot be undone here: invite the user again (Invite a user) to give their access back."
    ),
    Action.TOKEN_REVOKE: (
        "Cannot be undone: a revoked token is gone for good. The token's owner creates a new one in "
        "Gcore's portal and puts it in their applications."
    ),
}


def revert_note(entry: AuditEntry) -> str:
    """For an entry no edit form can undo, what would be needed instead; "" for the others."""
    if entry.outcome not in SAVED:
        return ""
    if entry.action == Action.SERVICE_UPDATE and _sets(entry, "status", "deleted"):
        return (
            "Cannot be undone: Gcore deletes a deleted service's resources. Activating the product "
            "again (Change on the service) starts it afresh, without its old resources."
        )
    return NOT_UNDONE.get(entry.action, "")


def _sets(entry: AuditEntry, field: str, value: str) -> bool:
    return any(
        # A service's fields are logged under its product: "CDN.status".
        isinstance(change, dict)
        and str(change.get("field", "")).rpartition(".")[2] == field
        and change.get("new") == value
        for change in entry.changes
    )
