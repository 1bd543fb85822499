"""The audit log: every change attempt made through the dashboard, how to write one, and how to read
them back. Every write goes through `audit_record`; the helpers below word the common outcomes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from dashboard.models import AuditEntry
from dashboard.services.storable import storable_row
from dashboard.upstream.errors import UpstreamError, UpstreamValidationError

Outcome = AuditEntry.Outcome
Action = AuditEntry.Action


@dataclass(frozen=True)
class FieldChange:
    """One field of one change: Gcore's field name, the value before and the value asked for."""

    field: str
    old: Any
    new: Any


def audit_record(**fields: Any) -> AuditEntry:
    """Write one entry; called for every attempt, successful or not (fields: `audit_entry`'s)."""
    entry = audit_entry(**fields)
    entry.save(force_insert=True)
    return entry


def audit_entry(
    *,
    actor: User | None,
    action: str,
    outcome: str,
    client_id: int | None = None,
    user_id: int | None = None,
    changes: Iterable[FieldChange] = (),
    upstream_status: int | None = None,
    upstream_request_id: str | None = None,
    message: str = "",
    ip_address: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """One entry, not yet written: `audit_record` writes one, a batch writes many at once."""
    entry = AuditEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_username=actor.get_username() if actor is not None and actor.is_authenticated else "",
        action=action,
        outcome=outcome,
        client_id=client_id,
        user_id=user_id,
        changes=[{"field": c.field, "old": _plain(c.old), "new": _plain(c.new)} for c in changes],
        upstream_status=upstream_status,
        upstream_request_id=(upstream_request_id or "")[:100],
        message=message[:2000],
        ip_address=ip_address,
        details=dict(details or {}),
    )
    return storable_row(entry)  # a refusal's message may quote a doctored value's NUL


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a field value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def error_text(exc: UpstreamError) -> str:
    """The upstream's own messages, flattened, for the audit log (never the request or its key)."""
    if isinstance(exc, UpstreamValidationError):
        parts = [f"{name}: {'; '.join(msgs)}" for name, msgs in exc.field_errors.items()]
        return " | ".join(parts + exc.non_field_errors) or exc.message
    return f"{type(exc).__name__}: {exc.message}"


def audit_failure(exc: UpstreamError, *, audit: Callable[..., object] = audit_record, **fields: Any) -> None:
    """Record an upstream failure: rejected by validation, or an upstream error, with the upstream's
    status and request id. `audit` is `audit_record` with the entry's other fields already bound."""
    outcome = Outcome.REJECTED if isinstance(exc, UpstreamValidationError) else Outcome.UPSTREAM_ERROR
    doubt = (
        f" It may or may not have been applied in {exc.system} (not sent again)." if exc.maybe_applied else ""
    )
    audit(
        outcome=outcome,
        upstream_status=exc.status_code,
        upstream_request_id=exc.request_id,
        message=error_text(exc) + doubt,
        **fields,
    )


def audit_refused_input(
    *,
    action: str,
    client_id: int | None,
    actor: User,
    # A form's errors: each field's ErrorList yields its messages as text (its stubs say it may
    # hold ValidationErrors, which it does, but it hands out their messages).
    errors: Mapping[str, Iterable[object]],
    user_id: int | None = None,
    ip_address: str | None = None,
) -> None:
    """Record a change the dashboard's own validation refused before anything was sent."""
    message = " | ".join(f"{name}: {'; '.join(map(str, msgs))}" for name, msgs in errors.items())
    audit_record(
        actor=actor,
        action=action,
        outcome=Outcome.REJECTED,
        client_id=client_id,
        user_id=user_id,
        message=f"Refused by the dashboard: {message}",
        ip_address=ip_address,
    )


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
