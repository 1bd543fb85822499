"""Needs attention (issue 22): the scans that find a client's problem before the client does, and
the queue of what they found.

Each rule is a function that looks at Gcore (through the Gcore client, narrowing with the client
list's own filters first) or at the dashboard's own records, and says what it saw (`Seen`) and how
far through the client base it got (`Pass`). What it sees is recorded as it walks, a batch of
clients at a time (`Recorder`), so a run's memory does not grow with the base or the findings: a new
finding opens, one seen again after it was resolved reopens (its history stays in the activity log),
and one the scan no longer sees resolves itself ("gone at Gcore"): at once for a client the run
looked at in full, and at the end of a complete pass for every finding last seen before the pass
began. A pass cut short resolves nothing it did not reach.

Every upstream request of every scan, in every worker and server, is taken from one budget per
minute (`ATTENTION_MAX_REQUESTS_PER_MINUTE`), counted in the database with one conditional UPDATE.
A spent budget, or Gcore still answering 429 after the client's own retries, stops a scan cleanly:
what it saw so far is kept and the next run carries on.
"""

from __future__ import annotations

import csv
import heapq
import io
import itertools
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
RECORD_BATCH = 100  # clients (or findings) a scan records at once: what one run holds at most


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
    """How far one run of a rule went (what it saw is already recorded, a batch at a time)."""

    complete: bool = True
    clients: int | None = None  # live clients in the list, where the rule read its count
    cursor: int = 0
    stopped: str = ""


class Recorder:
    """Records what one run of a rule sees while the scan walks, a batch of clients at a time, so a
    run holds one batch, not the whole base's findings: its memory stays flat however many clients
    and findings there are.

    `add(seen, looked=...)`: what the rule found, and the clients it looked at in full. A finding of
    a looked-at client not seen again is gone (resolved by `_record`); what the run has not reached
    is left alone, so a pass cut short resolves nothing beyond where it stopped.
    """

    def __init__(self, *, rule: str, now: datetime) -> None:
        self.rule, self.now = rule, now
        self.seen: list[Seen] = []
        self.looked: set[int] = set()

    def add(self, seen: Iterable[Seen], *, looked: Iterable[int] = ()) -> None:
        self.seen.extend(seen)
        self.looked.update(looked)
        if len(self.looked) >= RECORD_BATCH or len(self.seen) >= RECORD_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.seen or self.looked:
            _record(rule=self.rule, seen=self.seen, looked=self.looked, now=self.now)
        self.seen, self.looked = [], set()


def _filtered(name: str, status: str) -> Iterator[tuple[int, str]]:
    """The live clients one filter of the list returns (`cdn=paused`, ...), in id order, a page at a
    time, each page paid from the budget: (id, company name)."""
    client = get_gcore_client()
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
        yield from ((summary.id, summary.company_name) for summary in page.results)
        offset += PAGE_SIZE
        if not page.results or offset >= page.count:
            return


def _service_candidates(statuses: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Live clients with some service in one of `statuses`, by the list's own filters, in id order
    and each once: (id, company name). The filters' lists are read side by side and merged (each is
    in id order), so a run holds one page of each rather than every client they return; every page
    of every filter is read once over a full pass, as when they were read up front."""
    streams = [_filtered(name, status) for status in statuses for name in SERVICE_FILTERS]
    last = None
    for client_id, company in heapq.merge(*streams, key=lambda item: item[0]):
        if client_id != last:  # returned by more than one filter
            last = client_id
            yield client_id, company


def _walk_services(
    statuses: Iterable[str],
    cursor: int,
    record: Recorder,
    look: Callable[[int, str, Service], Seen | None],
) -> Pass:
    """The services of each candidate client from `cursor` on, one request a client, until the
    budget is spent: what `look` finds in them, recorded as the walk goes."""
    result = Pass(complete=False, cursor=cursor)
    try:
        for client_id, company in itertools.islice(_service_candidates(statuses), cursor, None):
            services = _spend(get_gcore_client().list_services, client_id)
            record.add(
                [seen for service in services if (seen := look(client_id, company, service))],
                looked=(client_id,),
            )
            result.cursor += 1
    except BudgetSpent:
        result.stopped = BUDGET_SPENT
        return result
    result.complete, result.cursor = True, 0
    return result


def _walk_clients(cursor: int, record: Recorder, look: Callable[[list[Client]], Iterable[Seen]]) -> Pass:
    """Every live client from `cursor` on, a page at a time, until the budget is spent: what `look`
    finds in each page, recorded as the walk goes."""
    result = Pass(complete=False, cursor=cursor)
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
        record.add(look(page.results), looked=(client.id for client in page.results))
        result.cursor += len(page.results)
        if not page.results or result.cursor >= page.count:
            result.complete, result.cursor = True, 0
            return result


def scan_deletion_due(now: datetime, record: Recorder, *, cursor: int = 0) -> Pass:
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

    return _walk_services(suspended, cursor, record, look)


def scan_long_trial(now: datetime, record: Recorder, *, cursor: int = 0) -> Pass:
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

    return _walk_services((ServiceStatus.TRIAL,), cursor, record, look)


def scan_no_admin(now: datetime, record: Recorder, *, cursor: int = 0) -> Pass:
    """Live clients whose `has_active_admin` is false: nobody can manage the account."""

    def look(clients: list[Client]) -> Iterable[Seen]:
        return [
            Seen(client_id=client.id, subject="", company_name=client.company_name)
            for client in clients
            if not client.has_active_admin
        ]

    return _walk_clients(cursor, record, look)


def scan_unactivated_users(now: datetime, record: Recorder, *, cursor: int = 0) -> Pass:
    """Users of live clients who never activated their account (the list's `users[]`)."""

    def look(clients: list[Client]) -> Iterable[Seen]:
        never = [(client, user) for client in clients for user in client.users]
        never = [(client, user) for client, user in never if not user.activated and not user.deleted]
        invited = _invited_at({user.id for _, user in never})  # one query a page
        return [
            Seen(
                client_id=client.id,
                subject=f"user:{user.id}",
                company_name=client.company_name,
                details={"user_id": user.id, "email": user.email}
                | ({"invited_at": invited[user.id].isoformat()} if user.id in invited else {}),
            )
            for client, user in never
        ]

    return _walk_clients(cursor, record, look)


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


def scan_expiring_tokens(
    now: datetime, record: Recorder, *, cursor: int = 0, clients: int | None = None
) -> Pass:
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
    result = Pass(complete=False, cursor=cursor, clients=page.count)
    for summary in page.results:
        try:
            tokens = _spend(gcore.list_tokens, summary.id)
        except BudgetSpent:
            result.stopped = BUDGET_SPENT
            return result
        record.add(
            [
                Seen(
                    client_id=summary.id,
                    subject=f"token:{token.id}",
                    company_name=summary.company_name,
                    details={"token_id": token.id, "name": token.name},
                    due_at=token.exp_date,
                )
                for token in tokens
                if not token.deleted and not token.expired and now < (token.exp_date or now) <= horizon
            ],
            looked=(summary.id,),
        )
        result.cursor += 1
    if not page.results or result.cursor >= page.count:
        result.complete, result.cursor = True, 0
    return result


def scan_billing_drift(now: datetime, record: Recorder) -> Pass:
    """Linked clients whose Gcore and SPP records differ, from the last complete drift list."""
    run = DriftRun.objects.filter(state=DriftRun.State.DONE).first()
    if run is None:
        return Pass()
    for entry in DriftEntry.objects.filter(run=run).iterator(chunk_size=RECORD_BATCH):
        fields = [d.get("label", d.get("field", "")) for d in entry.differences]
        record.add(
            [
                Seen(
                    client_id=entry.gcore_client_id,
                    subject="",
                    company_name=entry.company_name,
                    details={"fields": fields},
                )
            ]
        )
    return Pass()


def scan_bulk_failures(now: datetime, record: Recorder) -> Pass:
    """Clients a finished bulk change left failed or in doubt."""
    finished = (BulkChange.State.DONE, BulkChange.State.STOPPED, BulkChange.State.INTERRUPTED)
    items = BulkItem.objects.filter(
        state__in=(BulkItem.State.FAILED, BulkItem.State.UNKNOWN), bulk__state__in=finished
    ).select_related("bulk")
    for item in items.iterator(chunk_size=RECORD_BATCH):
        record.add(
            [
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
            ]
        )
    return Pass()


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
    record = Recorder(rule=rule, now=now)
    try:
        if rule == Rule.TOKEN_EXPIRING:
            result = scan_expiring_tokens(now, record, cursor=state.cursor, clients=state.clients)
        elif rule in SLICED:
            result = RULES[rule](now, record, cursor=state.cursor)
        else:
            result = RULES[rule](now, record)
    except BudgetSpent:
        record.flush()  # the clients looked at in full before it stopped; the next run reads them again
        state.message = "Stopped: the request budget for this minute is spent; the next run goes on."
        state.save()
        return state
    except UpstreamError as exc:
        record.flush()
        state.message = (
            f"Stopped: Gcore did not answer ({exc.status_code or 'no answer'}); the next run goes on."
        )
        state.save()
        log.warning("attention.scan stopped", extra={"rule": rule, "status": exc.status_code})
        return state
    record.flush()
    state.cursor = result.cursor
    if result.clients is not None:
        state.clients = result.clients
    if result.stopped:
        state.message = f"Stopped: {result.stopped}; the next run goes on."
    if result.complete:
        # Gone: every finding of the rule the whole pass, from its start, did not see again.
        _resolve_unseen(rule=rule, since=state.pass_started_at, now=now)
        state.last_complete_at = now
        state.pass_started_at = None
    state.save()
    RequestBudget.objects.filter(minute__lt=now - timedelta(hours=1)).delete()
    return state


def attention_scan_all(*, now: datetime | None = None) -> list[AttentionScan]:
    """One run of every rule in this process (`manage.py attention_scan`), bounded by the budget."""
    return [attention_scan(rule=rule, now=now) for rule in RULES]


@transaction.atomic
def _record(*, rule: str, seen: list[Seen], looked: set[int], now: datetime) -> None:
    """One batch: open what is new, update and reopen what is seen again, and resolve the findings of
    the `looked`-at clients this run did not see again. Only the batch's clients' rows are read."""
    clients = looked | {item.client_id for item in seen}
    existing = {
        (f.client_id, f.subject): f
        for f in Finding.objects.filter(rule=rule, client_id__in=clients).select_for_update()
    }
    for item in seen:
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
    for finding in existing.values():
        if finding.client_id in looked:
            _gone(finding, now=now)


def _resolve_unseen(*, rule: str, since: datetime | None, now: datetime) -> None:
    """At the end of a complete pass: resolve the rule's findings last seen before the pass began,
    a batch at a time (each batch leaves the query, so the next read finds the rest)."""
    if since is None:
        return
    before = min(since, now)  # never a finding seen at or after `now` (which `_gone` would skip)
    unseen = Finding.objects.filter(rule=rule, last_seen_at__lt=before).exclude(state=State.RESOLVED)
    while pks := list(unseen.order_by("pk").values_list("pk", flat=True)[:RECORD_BATCH]):
        with transaction.atomic():
            for finding in Finding.objects.filter(pk__in=pks).select_for_update():
                _gone(finding, now=now)


def _gone(finding: Finding, *, now: datetime) -> None:
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
