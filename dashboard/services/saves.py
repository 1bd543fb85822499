"""The one save pipeline every change through the dashboard follows.

"Read current, find changes and conflicts, send, audit, invalidate" (docs: the README's "Safe
changes"): a `Save` says what is read, how a record's values are compared, what each upstream call
sends and how fields are labelled; `run_save` does the rest the same way for every kind of record.

The pure parts (`normalise`, `find_changes`, `pending_changes`, `find_conflicts`) decide what the
person changed and whether someone else changed the same fields meanwhile; they touch nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import User

from dashboard.services.audit import FieldChange, Outcome, audit_failure, audit_record, error_text
from dashboard.upstream.errors import UpstreamError, UpstreamValidationError

R = TypeVar("R")

# -- deciding what changed ---------------------------------------------------------------------------


def normalise(value: Any) -> Any:
    """Compare like with like: blank text is "no value", lists compare as sorted."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, list | tuple | set):
        return sorted(normalise(item) for item in value)
    return value


def find_changes(
    original: Mapping[str, Any], desired: Mapping[str, Any], compare: Callable[[Any], Any] = normalise
) -> dict[str, Any]:
    """The fields the person changed since the form was opened, with their new values."""
    return {name: value for name, value in desired.items() if compare(value) != compare(original.get(name))}


def pending_changes(
    changes: Mapping[str, Any], current: Mapping[str, Any], compare: Callable[[Any], Any] = normalise
) -> dict[str, Any]:
    """The changes the upstream does not already have (someone may have made the same change)."""
    return {name: value for name, value in changes.items() if compare(value) != compare(current.get(name))}


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
    compare: Callable[[Any], Any] = normalise,
) -> list[Conflict]:
    """Fields changed both here and upstream, to different values. Untouched fields never conflict."""
    conflicts = []
    for name, mine in changes.items():
        now = compare(current.get(name))
        if now != compare(original.get(name)) and now != compare(mine):
            conflicts.append(
                Conflict(name, labels.get(name, name), original.get(name), current.get(name), mine)
            )
    return conflicts


# -- the pipeline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepOutcome:
    """What one upstream call of a save did: the labels it saved, or the ones it failed and why."""

    system: str
    saved: list[str]
    failed: list[str]
    error: UpstreamError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class SaveResult:
    """What a save did: its audit outcome, the freshest record, and what to tell the person."""

    outcome: str
    record: Any = None
    conflicts: list[Conflict] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)  # labels of the fields that reached the upstream
    failed: list[str] = field(default_factory=list)  # labels of the fields that did not
    error: UpstreamError | None = None
    steps: list[StepOutcome] = field(default_factory=list)  # each call's own outcome, in order

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.SAVED, Outcome.UNCHANGED)


@dataclass(frozen=True)
class Step:
    """One upstream call of a save: the fields it carries and how it sends them.

    `send` gets the pending changes among `fields` (form names) and the record's current values
    (to complete what must be sent whole, such as an address), and returns the fresh record the
    upstream answered with, or None when the answer has none (a 204). `system` names the upstream.
    """

    fields: Collection[str]
    send: Callable[[dict[str, Any], Mapping[str, Any]], Any]
    system: str = "Gcore"


@dataclass(frozen=True)
class Save(Generic[R]):
    """What one kind of change reads, compares, sends and how it is labelled and audited."""

    action: str  # AuditEntry.Action
    labels: Mapping[str, str]  # form field -> label, for messages and conflicts
    read: Callable[[], R]  # the upstream's current record
    values: Callable[[R], dict[str, Any]]  # a record's editable values, under the form's names
    steps: Sequence[Step]  # in order; a failure after the first saved step is a partial save
    invalidate: Callable[[], None]  # caches to drop once anything may have reached the upstream
    client_id: int | None = None
    user_id: int | None = None
    # How a field is named and shown in the audit log (the upstream's own names, readable values).
    audit_name: Callable[[str], str] = str
    audit_value: Callable[[str, Any], Any] = lambda name, value: value
    # Checks the person may make these changes (raises PermissionDenied) before anything is read.
    authorize: Callable[[Mapping[str, Any]], None] = lambda changes: None
    compare: Callable[[Any], Any] = normalise
    # Fields the changes are taken from, which must still hold what the form showed (a value
    # copied from one system to the other): a change there is a conflict too.
    sources: Callable[[Mapping[str, Any]], Collection[str]] = lambda changes: ()
    # Steps to different systems are tried each on its own: one failing does not stop the others,
    # and each reports its own outcome (a sync). Otherwise a first failure stops the save.
    independent_steps: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)  # more for the audit entry


def run_save(
    save: Save[R],
    *,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Send only what the person changed, after checking nobody changed the same fields upstream.

    `original` holds the values the form was opened with, `desired` what the person submitted. A
    field changed upstream since then and also by the person is a conflict, sent only with
    `overwrite`; fields the person did not touch are never sent, so their upstream changes are
    never reverted. Every attempt is audited. An upstream failure before anything was saved is audited
    and re-raised for the view to show; a failure of a later step is a PARTIAL result. Nothing is
    retried here: the upstream clients alone decide what may be retried safely.
    """
    changes = find_changes(original, desired, save.compare)
    if not changes:
        return SaveResult(outcome=Outcome.UNCHANGED)
    save.authorize(changes)
    audit = partial(
        audit_record,
        actor=actor,
        action=save.action,
        client_id=save.client_id,
        user_id=save.user_id,
        ip_address=ip_address,
        details=save.details,
    )

    def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
        shown = save.audit_value
        return [
            FieldChange(save.audit_name(name), shown(name, before.get(name)), shown(name, value))
            for name, value in after.items()
        ]

    try:
        record = save.read()
    except UpstreamError as exc:  # nothing was sent
        audit_failure(exc, audit=audit, changes=field_changes(original, changes))
        raise
    current = save.values(record)
    conflicts = find_conflicts(changes, original, current, save.labels, save.compare)
    conflicts += [
        Conflict(name, save.labels.get(name, name), original.get(name), current.get(name), original.get(name))
        for name in save.sources(changes)
        if save.compare(current.get(name)) != save.compare(original.get(name))
    ]
    changes = pending_changes(changes, current, save.compare)
    if not changes:
        return SaveResult(outcome=Outcome.UNCHANGED, record=record)
    audit = partial(audit, changes=field_changes(current, changes))
    if conflicts and not overwrite:
        labels = ", ".join(conflict.label for conflict in conflicts)
        audit(outcome=Outcome.CONFLICT, message=f"Changed upstream since the form was opened: {labels}")
        return SaveResult(outcome=Outcome.CONFLICT, record=record, conflicts=conflicts)

    if save.independent_steps:
        try:
            return _run_each(save, changes, current, record, audit, conflicts)
        finally:
            save.invalidate()
    saved: list[str] = []
    try:
        for step in save.steps:
            part = {name: value for name, value in changes.items() if name in step.fields}
            if not part:
                continue
            try:
                answer = step.send(part, current)
            except UpstreamError as exc:
                if not saved:
                    audit_failure(exc, audit=audit)
                    raise
                failed = [save.labels[name] for name in changes if save.labels[name] not in saved]
                audit(
                    outcome=Outcome.PARTIAL,
                    upstream_status=exc.status_code,
                    upstream_request_id=exc.request_id,
                    message=f"Saved: {', '.join(saved)}. Not saved: {', '.join(failed)} ({error_text(exc)}).",
                )
                return SaveResult(Outcome.PARTIAL, record=record, saved=saved, failed=failed, error=exc)
            if answer is not None:
                record = answer
            saved += [save.labels[name] for name in part]
    finally:
        # Even a failed call may have reached the upstream (a timeout): never serve the old copy again.
        save.invalidate()
    message = "Overwrote a concurrent change." if conflicts else ""
    audit(outcome=Outcome.SAVED, upstream_status=200, message=message)
    return SaveResult(outcome=Outcome.SAVED, record=record, saved=saved)


def _run_each(
    save: Save[Any],
    changes: dict[str, Any],
    current: Mapping[str, Any],
    record: Any,
    audit: Callable[..., object],
    conflicts: list[Conflict],
) -> SaveResult:
    """Every step tried on its own; one audit entry that tells each system's outcome."""
    outcomes: list[StepOutcome] = []
    for step in save.steps:
        part = {name: value for name, value in changes.items() if name in step.fields}
        if not part:
            continue
        labels = [save.labels[name] for name in part]
        try:
            step.send(part, current)
        except UpstreamError as exc:
            outcomes.append(StepOutcome(step.system, [], labels, exc))
        else:
            outcomes.append(StepOutcome(step.system, labels, []))
    failures = [o for o in outcomes if not o.ok]
    saved = [label for o in outcomes for label in o.saved]
    failed = [label for o in failures for label in o.failed]
    first_error = failures[0].error if failures else None
    if not failures:
        outcome = Outcome.SAVED
    elif saved:
        outcome = Outcome.PARTIAL
    elif all(isinstance(o.error, UpstreamValidationError) for o in failures):
        outcome = Outcome.REJECTED
    else:
        outcome = Outcome.UPSTREAM_ERROR
    report = "; ".join(
        f"{o.system}: saved {', '.join(o.saved)}"
        if o.error is None
        else f"{o.system}: not saved {', '.join(o.failed)} ({error_text(o.error)})"
        for o in outcomes
    )
    note = " Overwrote a concurrent change." if conflicts and not failures else ""
    audit(
        outcome=outcome,
        upstream_status=first_error.status_code if first_error else 200,
        upstream_request_id=first_error.request_id if first_error else None,
        message=f"{report}.{note}",
        details={**save.details, "systems": {o.system: "saved" if o.ok else "failed" for o in outcomes}},
    )
    return SaveResult(outcome, record=record, saved=saved, failed=failed, error=first_error, steps=outcomes)


# -- actions: one upstream call that edits no form ------------------------------------------------


@dataclass(frozen=True)
class Act(Generic[R]):
    """A write that is one upstream call rather than a form's fields: an invitation, a removal, a
    revoked token, a feature switched on. `run_act` checks, sends once, audits and invalidates it
    the same way for each."""

    action: str  # AuditEntry.Action
    send: Callable[[], R]
    invalidate: Callable[[], None]
    done: str  # the audit's message when it worked
    client_id: int | None = None
    user_id: int | None = None
    changes: Sequence[FieldChange] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    success_status: int = 200  # the status the upstream answers a success with, for the audit
    authorize: Callable[[], None] = lambda: None  # raises PermissionDenied
    # The user the answer names (a new invitation's user id), for the audit when `user_id` is not known.
    answered_user: Callable[[Any], int | None] = lambda result: None


def run_act(act: Act[R], *, actor: User, ip_address: str | None = None) -> R:
    """Authorize, send once (the upstream clients never retry a sent write), audit every attempt,
    and invalidate: even a call that failed may have reached the upstream (a timeout)."""
    act.authorize()
    audit = partial(
        audit_record,
        actor=actor,
        action=act.action,
        client_id=act.client_id,
        changes=act.changes,
        ip_address=ip_address,
        details=act.details,
    )
    try:
        result = act.send()
    except UpstreamError as exc:
        audit_failure(exc, audit=audit, user_id=act.user_id)
        raise
    finally:
        act.invalidate()
    user_id = act.user_id if act.user_id is not None else act.answered_user(result)
    audit(outcome=Outcome.SAVED, upstream_status=act.success_status, message=act.done, user_id=user_id)
    return result
