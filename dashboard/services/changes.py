"""What a person changed, and what changed upstream meanwhile: shared by the client and user edits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dashboard.models import AuditEntry


def normalise(value: Any) -> Any:
    """Compare like with like: blank text is "no value", lists compare as sorted."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, list | tuple | set):
        return sorted(normalise(item) for item in value)
    return value


def find_changes(original: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the person changed since the form was opened, with their new values."""
    return {
        name: value for name, value in desired.items() if normalise(value) != normalise(original.get(name))
    }


def pending_changes(changes: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The changes Gcore does not already have."""
    return {
        name: value for name, value in changes.items() if normalise(value) != normalise(current.get(name))
    }


@dataclass(frozen=True)
class Conflict:
    """A field the person changed that someone else changed upstream since the form was opened."""

    field: str
    label: str
    original: Any
    current: Any
    mine: Any


def find_conflicts(
    changes: Mapping[str, Any],
    original: Mapping[str, Any],
    current: Mapping[str, Any],
    labels: Mapping[str, str],
) -> list[Conflict]:
    """Fields changed both here and upstream, to different values. Untouched fields never conflict."""
    return [
        Conflict(name, labels.get(name, name), original.get(name), current.get(name), mine)
        for name, mine in changes.items()
        if normalise(current.get(name)) != normalise(original.get(name))
        and normalise(current.get(name)) != normalise(mine)
    ]


@dataclass
class SaveResult:
    """What a save did: its audit outcome, the fresh record, and what to tell the person."""

    outcome: str
    record: Any = None
    conflicts: list[Conflict] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)  # labels of the parts that reached Gcore
    failed: list[str] = field(default_factory=list)  # labels of the parts that did not
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (AuditEntry.Outcome.SAVED, AuditEntry.Outcome.UNCHANGED)


def refuse_conflicts(
    conflicts: list[Conflict], *, overwrite: bool, audit: Callable[..., object], record: Any
) -> SaveResult | None:
    """The audited CONFLICT result when fields were changed upstream and the person did not choose
    to overwrite them; None when the save may go on."""
    if not conflicts or overwrite:
        return None
    audit(
        outcome=AuditEntry.Outcome.CONFLICT,
        message="Changed upstream since the form was opened: " + ", ".join(c.label for c in conflicts),
    )
    return SaveResult(outcome=AuditEntry.Outcome.CONFLICT, record=record, conflicts=conflicts)


def audit_saved(audit: Callable[..., object], conflicts: list[Conflict]) -> None:
    """Record a save that reached Gcore, saying so when it overwrote a concurrent change."""
    audit(
        outcome=AuditEntry.Outcome.SAVED,
        upstream_status=200,
        message="Overwrote a concurrent change." if conflicts else "",
    )
