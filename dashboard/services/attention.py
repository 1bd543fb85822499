"""Needs attention (issue 22): the scans that find a client's problem before the client does, and
the queue of what they found.

Each rule is a function that looks at Gcore (through the Gcore client, narrowing with the client
list's own filters first) or at the dashboard's own records, and says what it saw (`Seen`) and how
much of the client base that covers (`Pass`). `attention_scan` records it: a new finding opens, one
seen again after it was resolved reopens (its history stays in the activity log), and one the scan
no longer sees resolves itself ("gone at Gcore").

Every upstream request of every scan, in every worker and server, is taken from one budget per
minute (`ATTENTION_MAX_REQUESTS_PER_MINUTE`), counted in the database with one conditional UPDATE.
A spent budget, or Gcore still answering 429 after the client's own retries, stops a scan cleanly:
what it saw so far is kept and the next run carries on.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Client, ClientSummary, Service, ServiceStatus
from dashboard.models import (
    AttentionScan,
    AuditEntry,
    BulkChange,
    BulkItem,
    DriftEntry,
    DriftRun,
    Finding,
    RequestBudget,
)
from dashboard.services.audit import Action, Outcome, audit_record
from dashboard.services.export import safe_cell
from dashboard.upstream.errors import UpstreamError

log = logging.getLogger(__name__)

Rule = Finding.Rule
State = Finding.State
T = TypeVar("T")

# The GET /iam/clients filters named for a service's status (STREAMING has none: a paused streaming
# service is found only on a client another filter returned).
SERVICE_FILTERS = ("cdn", "storage", "ddos", "dns", "cloud")
PAGE_SIZE = 100  # clients per list page while scanning
BUDGET_SPENT = "the request budget for this minute is spent"
MAX_SLICE = 1000  # the largest page asked of Gcore (docs/gcore-api-notes.md §6)


class BudgetSpent(Exception):
    """This minute's upstream requests for the scans are all taken."""


# -- the shared request budget -----------------------------------------------------------------------


def budget_take(*, count: int = 1, now: datetime | None = None) -> bool:
    """Take `count` requests from this minute's budget, shared by every process; False when spent.

    One conditional UPDATE (`used + count <= limit`) per take: two workers racing for the last
    request cannot both get it, whatever the database.
    """
    minute = (now or timezone.now()).replace(second=0, microsecond=0)
    limit = settings.ATTENTION_MAX_REQUESTS_PER_MINUTE
    if not RequestBudget.objects.filter(minute=minute).exists():
        try:
            with transaction.atomic():
                RequestBudget.objects.create(minute=minute)
        except IntegrityError:  # another worker made this minute's row first
            pass
    room = RequestBudget.objects.filter(minute=minute, used__lte=limit - count)
    return room.update(used=F("used") + count) == 1


def budget_left(*, now: datetime | None = None) -> int:
    """Requests left in this minute's budget."""
    minute = (now or timezone.now()).replace(second=0, microsecond=0)
    used = RequestBudget.objects.filter(minute=minute).values_list("used", flat=True).first() or 0
    return max(settings.ATTENTION_MAX_REQUESTS_PER_MINUTE - used, 0)


def _spend(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One upstream request, paid from the shared budget first."""
    if not budget_take():
        raise BudgetSpent
    return call(*args, **kwargs)


# -- what a rule sees ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One thing a rule found on one client."""

    client_id: int
    subject: str
    company_name: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    due_at: datetime | None = None


@dataclass
class Pass:
    """What one run of a rule saw, and what it covered.

    `scope`: the clients looked at in full (a slice). A finding not seen again is gone where the run
    looked, and, once a pass is `complete`, wherever the whole pass did not see it.
    """

    seen: list[Seen]
    complete: bool = True
    scope: set[int] = field(default_factory=set)
    clients: int | None = None  # live clients in the list, where the rule read its count
    cursor: int = 0
    stopped: str = ""


def _service_candidates(statuses: Iterable[str]) -> list[tuple[int, str]]:
    """Live clients with some service in one of `statuses`, by the list's own filters, in id order:
    (id, company name). Each page is paid from the budget."""
    client = get_gcore_client()
    found: dict[int, str] = {}
    for status in statuses:
        for name in SERVICE_FILTERS:
            offset = 0
            while True:
                page = _spend(
                    client.list_clients,
                    filters={"deleted": False, name: status},
                    ordering="id",
                    limit=PAGE_SIZE,
                    offset=offset,
                    model=ClientSummary,
                )
                found.update((summary.id, summary.company_name) for summary in page.results)
                offset += PAGE_SIZE
                if not page.results or offset >= page.count:
                    break
    return sorted(found.items())


def _walk_services(
    statuses: Iterable[str], cursor: int, look: Callable[[int, str, Service], Seen | None]
) -> Pass:
    """The services of each candidate client from `cursor` on, one request a client, until the
    budget is spent: what `look` finds in them."""
    candidates = _service_candidates(statuses)
    result = Pass(seen=[], complete=False, cursor=cursor)
    for client_id, company in candidates[cursor:]:
        try:
            services = _spend(get_gcore_client().list_services, client_id)
        except BudgetSpent:
            result.stopped = BUDGET_SPENT
            return result
        result.seen.extend(seen for service in services if (seen := look(client_id, company, service)))
        result.scope.add(client_id)
        result.cursor += 1
    result.complete, result.cursor = True, 0
    return result


def _walk_clients(cursor: int, look: Callable[[Client], Iterable[Seen]]) -> Pass:
    """Every live client from `cursor` on, a page at a time, until the budget is spent."""
    result = Pass(seen=[], complete=False, cursor=cursor)
    while True:
        try:
            page = _spend(
                get_gcore_client().list_clients,
                filters={"deleted": False},
                ordering="id",
                limit=PAGE_SIZE,
                offset=result.cursor,
                model=Client,
            )
        except BudgetSpent:
            result.stopped = BUDGET_SPENT
            return result
        for client in page.results:
            result.seen.extend(look(client))
            result.scope.add(client.id)
        result.cursor += len(page.results)
        if not page.results or result.cursor >= page.count:
            result.complete, result.cursor = True, 0
            return result


def scan_deletion_due(now: datetime, *, cursor: int = 0) -> Pass:
    """Paused or ended trials whose service Gcore deletes within ATTENTION_DELETION_DAYS."""
    horizon = now + timedelta(days=settings.ATTENTION_DELETION_DAYS)
    suspended = (ServiceStatus.PAUSED, ServiceStatus.TRIALEND)

    def look(client_id: int, company: str, service: Service) -> Seen | None:
        if service.status not in suspended or not service.deleted_date or service.deleted_date > horizon:
            return None
        return Seen(
            client_id=client_id,
            subject=f"service:{service.id}",
            company_name=company,
            details={"service": service.name, "status": service.status, "service_id": service.id},
            due_at=service.deleted_date,
        )

    return _walk_services(suspended, cursor, look)


def scan_long_trial(now: datetime, *, cursor: int = 0) -> Pass:
    """Services in trial for longer than ATTENTION_TRIAL_DAYS."""
    limit = now - timedelta(days=settings.ATTENTION_TRIAL_DAYS)

    def look(client_id: int, company: str, service: Service) -> Seen | None:
        if service.status != ServiceStatus.TRIAL or not service.start or service.start >= limit:
            return None
        return Seen(
            client_id=client_id,
            subject=f"service:{service.id}",
            company_name=company,
            details={"service": service.name, "service_id": service.id, "start": service.start.isoformat()},
        )

    return _walk_services((ServiceStatus.TRIAL,), cursor, look)


def scan_no_admin(now: datetime, *, cursor: int = 0) -> Pass:
    """Live clients whose `has_active_admin` is false: nobody can manage the account."""

    def look(client: Client) -> Iterable[Seen]:
        if not client.has_active_admin:
            yield Seen(client_id=client.id, subject="", company_name=client.company_name)

    return _walk_clients(cursor, look)


def scan_unactivated_users(now: datetime, *, cursor: int = 0) -> Pass:
    """Users of live clients who never activated their account (the list's `users[]`)."""

    def look(client: Client) -> Iterable[Seen]:
        for user in client.users:
            if not user.activated and not user.deleted:
                yield Seen(
                    client_id=client.id,
                    subject=f"user:{user.id}",
                    company_name=client.company_name,
                    details={"user_id": user.id, "email": user.email},
                )

    result = _walk_clients(cursor, look)
    invited = _invited_at({int(s.details["user_id"]) for s in result.seen})
    for item in result.seen:
        when = invited.get(int(item.details["user_id"]))
        if when is not None:
            item.details["invited_at"] = when.isoformat()
    return result


def _invited_at(user_ids: set[int]) -> dict[int, datetime]:
    """When this dashboard first invited each user, where it did (Gcore keeps no invitation date)."""
    rows = AuditEntry.objects.filter(
        action=Action.USER_INVITE, outcome=Outcome.SAVED, user_id__in=user_ids
    ).values_list("user_id", "created_at")
    first: dict[int, datetime] = {}
    for user_id, created_at in rows:
        if user_id is not None and (user_id not in first or created_at < first[user_id]):
            first[user_id] = created_at
    return first


def slice_size(clients: int | None) -> int:
    """Clients a run of the token rule reads: ATTENTION_SLICE, or more when that many runs, one every
    ATTENTION_EVERY seconds, would not cover `clients` within ATTENTION_FULL_PASS."""
    runs = max(1, settings.ATTENTION_FULL_PASS // max(1, settings.ATTENTION_EVERY))
    return max(settings.ATTENTION_SLICE, -(-(clients or 0) // runs))


def scan_expiring_tokens(now: datetime, *, cursor: int = 0, clients: int | None = None) -> Pass:
    """Live API tokens expiring within ATTENTION_TOKEN_DAYS: one request per client, so a slice a
    run (`slice_size`), from `cursor`, the whole base within ATTENTION_FULL_PASS."""
    horizon = now + timedelta(days=settings.ATTENTION_TOKEN_DAYS)
    gcore = get_gcore_client()
    page = _spend(
        gcore.list_clients,
        filters={"deleted": False},
        ordering="id",
        limit=min(slice_size(clients), MAX_SLICE),
        offset=cursor,
        model=ClientSummary,
    )
    result = Pass(seen=[], complete=False, cursor=cursor, clients=page.count)
    for summary in page.results:
        try:
            tokens = _spend(gcore.list_tokens, summary.id)
        except BudgetSpent:
            result.stopped = BUDGET_SPENT
            return result
        for token in tokens:
            if not token.deleted and not token.expired and token.exp_date and now < token.exp_date <= horizon:
                result.seen.append(
                    Seen(
                        client_id=summary.id,
                        subject=f"token:{token.id}",
                        company_name=summary.company_name,
                        details={"token_id": token.id, "name": token.name},
                        due_at=token.exp_date,
                    )
                )
        result.scope.add(summary.id)
        result.cursor += 1
    if not page.results or result.cursor >= page.count:
        result.complete, result.cursor = True, 0
    return result


def scan_billing_drift(now: datetime) -> Pass:
    """Linked clients whose Gcore and SPP records differ, from the last complete drift list."""
    run = DriftRun.objects.filter(state=DriftRun.State.DONE).first()
    if run is None:
        return Pass(seen=[])
    seen = [
        Seen(
            client_id=entry.gcore_client_id,
            subject="",
            company_name=entry.company_name,
            details={"fields": [d.get("label", d.get("field", "")) for d in entry.differences]},
        )
        for entry in DriftEntry.objects.filter(run=run).iterator()
    ]
    return Pass(seen=seen)


def scan_bulk_failures(now: datetime) -> Pass:
    """Clients a finished bulk change left failed or in doubt."""
    finished = (BulkChange.State.DONE, BulkChange.State.STOPPED, BulkChange.State.INTERRUPTED)
    items = BulkItem.objects.filter(
        state__in=(BulkItem.State.FAILED, BulkItem.State.UNKNOWN), bulk__state__in=finished
    ).select_related("bulk")
    seen = [
        Seen(
            client_id=item.client_id,
            subject=f"bulk-item:{item.pk}",
            company_name=item.company_name,
            details={
                "bulk_id": item.bulk_id,
                "service": item.bulk.service,
                "status": item.bulk.status,
                "state": item.state,
                "message": item.message,
            },
        )
        for item in items.iterator()
    ]
    return Pass(seen=seen)


# Every rule and its scan; those reading Gcore take the cursor where their last run stopped.
RULES: dict[str, Callable[..., Pass]] = {
    Rule.DELETION_DUE: scan_deletion_due,
    Rule.LONG_TRIAL: scan_long_trial,
    Rule.NO_ADMIN: scan_no_admin,
    Rule.UNACTIVATED_USER: scan_unactivated_users,
    Rule.TOKEN_EXPIRING: scan_expiring_tokens,
    Rule.BILLING_DRIFT: scan_billing_drift,
    Rule.BULK_FAILED: scan_bulk_failures,
}
SLICED = {Rule.DELETION_DUE, Rule.LONG_TRIAL, Rule.NO_ADMIN, Rule.UNACTIVATED_USER, Rule.TOKEN_EXPIRING}


# -- running a scan ------------------------------------------------------------------------------------


def attention_scan(*, rule: str, now: datetime | None = None) -> AttentionScan:
    """Run one rule once and record what it saw. Running it twice in a row finds the same things and
    changes nothing the first run did not (a sliced rule moves on to its next slice)."""
    now = now or timezone.now()
    state, _ = AttentionScan.objects.get_or_create(rule=rule)
    if state.cursor == 0 or state.pass_started_at is None:
        state.pass_started_at = now
    state.last_run_at, state.message = now, ""
    try:
        if rule == Rule.TOKEN_EXPIRING:
            result = scan_expiring_tokens(now, cursor=state.cursor, clients=state.clients)
        elif rule in SLICED:
            result = RULES[rule](now, cursor=state.cursor)
        else:
            result = RULES[rule](now)
    except BudgetSpent:
        state.message = "Stopped: the request budget for this minute is spent; the next run goes on."
        state.save()
        return state
    except UpstreamError as exc:
        state.message = (
            f"Stopped: Gcore did not answer ({exc.status_code or 'no answer'}); the next run goes on."
        )
        state.save()
        log.warning("attention.scan stopped", extra={"rule": rule, "status": exc.status_code})
        return state
    _record(rule=rule, result=result, now=now, pass_started_at=state.pass_started_at)
    state.cursor = result.cursor
    if result.clients is not None:
        state.clients = result.clients
    if result.stopped:
        state.message = f"Stopped: {result.stopped}; the next run goes on."
    if result.complete:
        state.last_complete_at = now
        state.pass_started_at = None
    state.save()
    RequestBudget.objects.filter(minute__lt=now - timedelta(hours=1)).delete()
    return state


def attention_scan_all(*, now: datetime | None = None) -> list[AttentionScan]:
    """One run of every rule in this process (`manage.py attention_scan`), bounded by the budget."""
    return [attention_scan(rule=rule, now=now) for rule in RULES]


@transaction.atomic
def _record(*, rule: str, result: Pass, now: datetime, pass_started_at: datetime | None) -> None:
    existing = {(f.client_id, f.subject): f for f in Finding.objects.filter(rule=rule).select_for_update()}
    for item in result.seen:
        finding = existing.get((item.client_id, item.subject))
        if finding is None:
            finding = Finding.objects.create(
                rule=rule,
                client_id=item.client_id,
                subject=item.subject,
                company_name=item.company_name,
                details=item.details,
                due_at=item.due_at,
                first_seen_at=now,
                last_seen_at=now,
            )
            existing[(item.client_id, item.subject)] = finding
            _audit(finding, Action.FINDING_FOUND, actor=None, message=finding_text(finding, now=now))
            continue
        finding.company_name, finding.details, finding.due_at = item.company_name, item.details, item.due_at
        finding.last_seen_at = now
        if finding.state == State.RESOLVED:
            finding.state, finding.first_seen_at = State.OPEN, now
            finding.resolved_at = finding.resolved_by = None
            finding.resolved_by_scan = False
            _audit(finding, Action.FINDING_REOPEN, actor=None, message="Seen again by the scan.")
        finding.save()
    # Gone: not seen again where this run looked, or anywhere in a pass that is now complete.
    looked = [f for f in existing.values() if f.client_id in result.scope]
    if result.complete and pass_started_at is not None:
        looked += [f for f in existing.values() if f.last_seen_at < pass_started_at]
    for finding in looked:
        if finding.state != State.RESOLVED and finding.last_seen_at < now:
            finding.state, finding.resolved_at, finding.resolved_by = State.RESOLVED, now, None
            finding.resolved_by_scan = True
            finding.save()
            _audit(finding, Action.FINDING_GONE, actor=None, message="Gone at Gcore: no longer seen.")


def _audit(finding: Finding, action: str, *, actor: User | None, message: str = "", **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        outcome=Outcome.SAVED,
        client_id=finding.client_id,
        message=message,
        details={"finding": finding.pk, "rule": finding.rule, "subject": finding.subject, **details},
    )


# -- the queue -----------------------------------------------------------------------------------------


def _live(today: date) -> Q:
    """Open, or snoozed until a date that has come."""
    return Q(state=State.OPEN) | Q(state=State.SNOOZED, snoozed_until__lte=today)


def findings_query(
    *,
    rule: str | None = None,
    state: str | None = None,
    assignee: User | None = None,
    unassigned: bool = False,
    client_id: int | None = None,
    today: date | None = None,
) -> QuerySet[Finding]:
    """The queue, most urgent first: a due date (deletion, expiry) soonest first, then the oldest.

    `state` "open" includes a snooze whose date has come; "snoozed" only those still asleep.
    """
    today = today or timezone.localdate()
    findings = Finding.objects.select_related("assignee", "resolved_by")
    if state == State.OPEN:
        findings = findings.filter(_live(today))
    elif state == State.SNOOZED:
        findings = findings.filter(state=State.SNOOZED, snoozed_until__gt=today)
    elif state == State.RESOLVED:
        findings = findings.filter(state=State.RESOLVED)
    if rule:
        findings = findings.filter(rule=rule)
    if assignee is not None:
        findings = findings.filter(assignee=assignee)
    elif unassigned:
        findings = findings.filter(assignee__isnull=True)
    if client_id is not None:
        findings = findings.filter(client_id=client_id)
    return findings.order_by(F("due_at").asc(nulls_last=True), "first_seen_at", "id")


def findings_counts(*, today: date | None = None) -> dict[str, int]:
    """Open findings per rule (every rule present, zero included)."""
    today = today or timezone.localdate()
    rows = Finding.objects.filter(_live(today)).values("rule").annotate(n=Count("id"))
    counts = {rule.value: 0 for rule in Rule}
    counts.update({row["rule"]: row["n"] for row in rows})
    return counts


def findings_assigned_count(*, user: User, today: date | None = None) -> int:
    """Open findings assigned to `user` (the header's number)."""
    return Finding.objects.filter(_live(today or timezone.localdate()), assignee=user).count()


def scans_get() -> list[AttentionScan]:
    """Each rule's scan state, in the rules' order (a rule never scanned has an unsaved one)."""
    states = {scan.rule: scan for scan in AttentionScan.objects.all()}
    return [states.get(rule.value) or AttentionScan(rule=rule.value) for rule in Rule]


def finding_assign(
    *, finding: Finding, assignee: User | None, actor: User, ip_address: str | None
) -> Finding:
    """Give the finding to a staff member (or to nobody)."""
    finding.assignee = assignee
    finding.save(update_fields=["assignee"])
    name = assignee.get_username() if assignee else "nobody"
    _audit(finding, Action.FINDING_ASSIGN, actor=actor, message=f"Assigned to {name}.", assignee=name)
    return finding


def finding_snooze(
    *, finding: Finding, until: date, note: str, actor: User, ip_address: str | None
) -> Finding:
    """Put the finding aside until a date; it is open again from that day."""
    finding.state, finding.snoozed_until, finding.note = State.SNOOZED, until, note
    finding.save(update_fields=["state", "snoozed_until", "note"])
    _audit(
        finding, Action.FINDING_SNOOZE, actor=actor, message=f"Snoozed until {until:%Y-%m-%d}. {note}".strip()
    )
    return finding


def finding_resolve(*, finding: Finding, note: str, actor: User, ip_address: str | None) -> Finding:
    """Close the finding by hand; a scan that sees it again reopens it."""
    finding.state, finding.note = State.RESOLVED, note
    finding.resolved_at, finding.resolved_by, finding.resolved_by_scan = timezone.now(), actor, False
    finding.save(update_fields=["state", "note", "resolved_at", "resolved_by", "resolved_by_scan"])
    _audit(finding, Action.FINDING_RESOLVE, actor=actor, message=f"Resolved. {note}".strip())
    return finding


def finding_text(finding: Finding, *, now: datetime | None = None) -> str:
    """The finding in plain words: "CDN paused, will be deleted on 12 Dec: in 6 days"."""
    now = now or timezone.now()
    d = finding.details

    def days_until(when: datetime) -> str:
        days = (when.date() - now.date()).days
        return (
            "today"
            if days == 0
            else f"in {days} day{'s' if days != 1 else ''}"
            if days > 0
            else f"{-days} days ago"
        )

    if finding.rule == Rule.DELETION_DUE and finding.due_at:
        return (
            f"{d.get('service', 'Service')} {d.get('status', '')}, will be deleted on "
            f"{finding.due_at:%d %b}: {days_until(finding.due_at)}"
        )
    if finding.rule == Rule.LONG_TRIAL and d.get("start"):
        start = datetime.fromisoformat(d["start"])
        return f"{d.get('service', 'Service')} in trial since {start:%d %b %Y}: {(now - start).days} days"
    if finding.rule == Rule.NO_ADMIN:
        return "No active administrator: nobody can manage the account"
    if finding.rule == Rule.UNACTIVATED_USER:
        text = f"{d.get('email') or 'A user'} never activated"
        if d.get("invited_at"):
            invited = datetime.fromisoformat(d["invited_at"])
            text += f" (invited {(now - invited).days} days ago)"
        return text
    if finding.rule == Rule.TOKEN_EXPIRING and finding.due_at:
        return (
            f"API token “{d.get('name', '')}” expires on {finding.due_at:%d %b}: {days_until(finding.due_at)}"
        )
    if finding.rule == Rule.BILLING_DRIFT:
        return "Gcore and SPP differ in " + (", ".join(d.get("fields", [])) or "their details")
    if finding.rule == Rule.BULK_FAILED:
        outcome = "failed" if d.get("state") == BulkItem.State.FAILED else "may or may not have been applied"
        return f"Bulk change {d.get('bulk_id')} ({d.get('service')} to {d.get('status')}) {outcome}"
    return finding.get_rule_display()


EXPORT_HEADER = (
    "rule", "client_id", "company_name", "finding", "due", "found_since", "state",
    "assignee", "snoozed_until", "note", "resolved_at", "resolved_by",
)  # fmt: skip


def findings_export_csv(findings: QuerySet[Finding]) -> Iterator[str]:
    """The findings as CSV lines, header first, read from the database in chunks."""
    out = io.StringIO()
    writer = csv.writer(out)

    def line(values: Iterable[object]) -> str:
        writer.writerow([safe_cell("" if v is None else str(v)) for v in values])
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield line(EXPORT_HEADER)
    now = timezone.now()
    for f in findings.iterator(chunk_size=500):
        resolved_by = f.resolved_by.username if f.resolved_by else ""
        if f.resolved_by_scan:
            resolved_by = "gone at Gcore"
        yield line(
            (
                f.rule,
                f.client_id,
                f.company_name,
                finding_text(f, now=now),
                f.due_at.isoformat() if f.due_at else "",
                f.first_seen_at.isoformat(),
                f.state,
                f.assignee.username if f.assignee else "",
                f.snoozed_until or "",
                f.note,
                f.resolved_at.isoformat() if f.resolved_at else "",
                resolved_by,
            )
        )


def attention_occurrence(rule: str) -> Callable[[Callable[[], None], User | None], str]:
    """The work of one scheduled run of `rule` (dashboard/tasks.py): what the Background work page
    says of it. A run the budget or Gcore stopped is not a failure: the next one goes on."""

    def work(beat: Callable[[], None], actor: User | None) -> str:
        scan = attention_scan(rule=rule)
        found = Finding.objects.filter(_live(timezone.localdate()), rule=rule).count()
        done = "pass complete" if scan.cursor == 0 and not scan.message else f"at client {scan.cursor}"
        return f"{found} open; {done}. {scan.message}".strip()

    return work


def attention_scan_queue(*, actor: User, ip_address: str | None) -> list[str]:
    """Scan now: an occurrence of every rule's schedule queued for the workers, for `actor` (in the
    activity log). The rules whose run is already queued or running: not queued twice."""
    from dashboard.services.schedules import schedule_run_now

    busy = [rule.value for rule in Rule if not schedule_run_now(f"attention_{rule.value}", actor=actor)]
    audit_record(
        actor=actor,
        action=Action.ATTENTION_SCAN,
        outcome=Outcome.STARTED,
        message=f"Already under way: {', '.join(busy)}." if busy else "Every rule queued.",
        ip_address=ip_address,
    )
    return busy
