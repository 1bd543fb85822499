"""The audit log: every change attempt made through the dashboard, and how to read it back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from dashboard.models import AuditEntry

Outcome = AuditEntry.Outcome
Action = AuditEntry.Action


@dataclass(frozen=True)
class FieldChange:
    """One field of one change: Gcore's field name, the value before and the value asked for."""

    field: str
    old: Any
    new: Any


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    outcome: str,
    client_id: int | None = None,
    user_id: int | None = None,
    changes: Iterable[FieldChange] = (),
    upstream_status: int | None = None,
    message: str = "",
    ip_address: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Write one entry; called for every attempt, successful or not."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_username=actor.get_username() if actor is not None and actor.is_authenticated else "",
        action=action,
        outcome=outcome,
        client_id=client_id,
        user_id=user_id,
        changes=[{"field": c.field, "old": _plain(c.old), "new": _plain(c.new)} for c in changes],
        upstream_status=upstream_status,
        message=message[:2000],
        ip_address=ip_address,
        details=dict(details or {}),
    )


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a field value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def audit_for_client(*, client_id: int, limit: int = 50) -> list[AuditEntry]:
    """The newest entries about one client and its users."""
    return list(AuditEntry.objects.filter(client_id=client_id).select_related("actor")[:limit])


def audit_query(
    *,
    actor: str = "",
    client_id: int | None = None,
    outcome: str = "",
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries matching the activity page's filters, newest first."""
    entries = AuditEntry.objects.all()
    if actor:
        entries = entries.filter(Q(actor_username__iexact=actor) | Q(actor__username__iexact=actor))
    if client_id is not None:
        entries = entries.filter(client_id=client_id)
    if outcome:
        entries = entries.filter(outcome=outcome)
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(created_at__date__gte=since)
    if until:
        entries = entries.filter(created_at__date__lte=until)
    return entries
