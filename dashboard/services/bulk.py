"""One service's status changed across many clients: preview, run, stop, retry.

A preview is saved as a draft (`BulkChange` with one `BulkItem` per client), so what the person
confirms is exactly what runs. The run goes on the workers (dashboard.tasks.run_bulk_change, up to
BULK_WORKERS of them sharing one change), a few clients at a time each (BULK_CONCURRENCY); each
client is claimed by one run, re-read, then changed with one PUT that is never sent again: a write
whose answer never came, or whose worker died, is re-read and reported as "may or may not have
been applied". A change whose workers all died is resumed by the scheduled sweep. The person can
stop the run from any server, and retry a failed client explicitly. Every client's attempt is
audited, and so is the batch.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from dashboard import worker
from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import SERVICE_NAMES, ClientSummary, ServiceStatus, ServiceUpdate
from dashboard.models import BulkChange, BulkItem
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange, Outcome, audit_record, error_text
from dashboard.services.client_query import ClientQuery
from dashboard.services.client_services import may_set_status
from dashboard.services.clients import client_get
from dashboard.services.schedules import tasks_lost
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound

log = logging.getLogger("dashboard.bulk")

LIST_PAGE = 100  # clients per GET /iam/clients while a preview gathers "all matching"
ACTIVE = (BulkChange.State.RUNNING, BulkChange.State.STOPPING)
DONE_STATES = (BulkItem.State.CHANGED, BulkItem.State.UNCHANGED)


class BulkRefused(ValueError):
    """A change that cannot be previewed as asked: the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    """Counts of a bulk change's clients by state, for the preview, the progress and the result."""

    counts: Counter[str]
    total: int

    def __getattr__(self, state: str) -> int:
        if state.startswith("_"):
            raise AttributeError(state)
        return self.counts.get(state, 0)

    @property
    def to_send(self) -> int:
        """Clients that a run will (or did) consider: every one not excluded."""
        return self.total - self.counts.get(BulkItem.State.EXCLUDED, 0)

    @property
    def finished(self) -> int:
        """Clients with a result: changed, already so, failed, in doubt or skipped."""
        waiting = (BulkItem.State.PENDING, BulkItem.State.SENDING, BulkItem.State.EXCLUDED)
        return sum(count for state, count in self.counts.items() if state not in waiting)

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.to_send) if self.to_send else 100


def preview_counts(bulk: BulkChange) -> tuple[int, int]:
    """A draft's clients to change and already in the status (as the preview read them)."""
    if bulk.state != BulkChange.State.DRAFT:
        return 0, 0
    pending = bulk.items.filter(state=BulkItem.State.PENDING)
    already = pending.filter(old_status=bulk.status).count()
    return pending.count() - already, already


def summary(bulk: BulkChange) -> Summary:
    rows = bulk.items.order_by().values("state").annotate(n=Count("id"))
    counts = Counter({row["state"]: row["n"] for row in rows})
    return Summary(counts=counts, total=sum(counts.values()))


# -- the preview -----------------------------------------------------------------------------------


def _matching(query: ClientQuery, cap: int) -> list[ClientSummary]:
    """Every client the list query matches, a page at a time; BulkRefused past `cap`."""
    gcore = get_gcore_client()
    found: list[ClientSummary] = []
    offset = 0
    while True:
        page = gcore.list_clients(
            filters=query.filters,
            ordering=query.ordering,
            limit=LIST_PAGE,
            offset=offset,
            model=ClientSummary,
        )
        if page.count > cap:
            raise BulkRefused(
                f"{page.count:,} clients match these filters; one change may cover at most {cap:,} "
                "(BULK_MAX_CLIENTS). Narrow the filters and try again."
            )
        found += page.results
        offset += LIST_PAGE
        if not page.results or offset >= page.count:
            return list({client.id: client for client in found}.values())  # each client once


def _chosen(client_ids: list[int]) -> list[tuple[int, ClientSummary | None]]:
    """Each ticked client as Gcore has it now (None when Gcore no longer has it), a few at once."""

    def read(client_id: int) -> tuple[int, ClientSummary | None]:
        try:
            return client_id, client_get(client_id=client_id).value
        except UpstreamNotFound:
            return client_id, None

    with ThreadPoolExecutor(
        max_workers=max(1, settings.BULK_CONCURRENCY), thread_name_prefix="bulk-read"
    ) as pool:
        return list(pool.map(read, client_ids))


def _item(bulk: BulkChange, position: int, client_id: int, client: ClientSummary | None) -> BulkItem:
    item = BulkItem(bulk=bulk, position=position, client_id=client_id)
    if client is None:
        item.state, item.message = BulkItem.State.EXCLUDED, "Gcore has no such client (any more)."
        return item
    item.company_name = client.company_name[:255]
    state = client.service_statuses.get(bulk.service)
    item.old_status = (state.status or "") if state else ""
    if client.deleted:
        item.state, item.message = BulkItem.State.EXCLUDED, "The client is deleted at Gcore."
    elif state is None:
        item.state = BulkItem.State.EXCLUDED
        item.message = f"Gcore lists no {bulk.service} service for this client."
    return item


def bulk_preview(
    *,
    service: str,
    status: str,
    actor: User,
    client_ids: list[int] | None = None,
    query: ClientQuery | None = None,
) -> BulkChange:
    """A draft for the ticked clients (`client_ids`) or all that `query` matches, with each client's
    place in it: to change, already so, or excluded and why. Nothing is sent to Gcore but reads."""
    if not actor.has_perm(perm("bulk_change_services")) or not may_set_status(actor, status):
        raise PermissionDenied("Your role does not allow changes across many clients.")
    if service not in SERVICE_NAMES or status not in {s.value for s in ServiceStatus}:
        raise BulkRefused("Choose one of the services and one of the statuses.")
    cap = settings.BULK_MAX_CLIENTS
    if query is not None:
        chosen: list[tuple[int, ClientSummary | None]] = [(c.id, c) for c in _matching(query, cap)]
    else:
        ids = list(dict.fromkeys(client_ids or []))
        if not ids:
            raise BulkRefused("Tick at least one client, or choose all clients matching the filters.")
        if len(ids) > cap:
            raise BulkRefused(f"One change may cover at most {cap:,} clients (BULK_MAX_CLIENTS).")
        chosen = _chosen(ids)
    if not chosen:
        raise BulkRefused("No clients match these filters.")
    with transaction.atomic():
        bulk = BulkChange.objects.create(
            created_by=actor,
            created_by_username=actor.get_username(),
            service=service,
            status=status,
            selection="query" if query is not None else "ids",
            query=query.tidy()[:2000] if query is not None else "",
        )
        BulkItem.objects.bulk_create(
            _item(bulk, position, client_id, client) for position, (client_id, client) in enumerate(chosen)
        )
    return bulk


# -- the run ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one client's change did at Gcore: worked out in a worker thread, recorded by the runner."""

    state: str  # BulkItem.State
    message: str = ""
    old_status: str = ""
    error: UpstreamError | None = None
    outcome: str = Outcome.SAVED  # the audit entry's


def attempt(client_id: int, service_name: str, status: str) -> Attempt:
    """Re-read the client's service, then set its status with one PUT that is never sent twice.

    Gcore calls only (no database): it runs in the pool's threads.
    """
    gcore = get_gcore_client()
    try:
        service = next((s for s in gcore.list_services(client_id) if s.name == service_name), None)
    except UpstreamError as exc:  # nothing was sent
        message = f"Not sent: the client's services could not be read ({error_text(exc)})."
        return Attempt(BulkItem.State.FAILED, message, error=exc, outcome=Outcome.UPSTREAM_ERROR)
    if service is None:
        message = f"Not sent: Gcore lists no {service_name} service for this client."
        return Attempt(BulkItem.State.FAILED, message, outcome=Outcome.UNCHANGED)
    old = service.status or ""
    if service.status == status:
        return Attempt(BulkItem.State.UNCHANGED, "", old, outcome=Outcome.UNCHANGED)
    try:
        gcore.update_service(client_id, service.id, ServiceUpdate(status=status))
    except UpstreamError as exc:
        if not exc.maybe_applied:
            return Attempt(BulkItem.State.FAILED, error_text(exc), old, exc, Outcome.UPSTREAM_ERROR)
        return _in_doubt(client_id, service.id, status, old, exc)
    finally:
        versions.client_changed(client_id)
    return Attempt(BulkItem.State.CHANGED, "", old)


def _in_doubt(client_id: int, service_id: int, status: str, old: str, exc: UpstreamError) -> Attempt:
    """The PUT may have reached Gcore without an answer coming back: re-read, never re-send."""
    try:
        now = get_gcore_client().get_service(client_id, service_id).status
    except UpstreamError:
        now = None
    if now == status:
        message = f"No answer came ({error_text(exc)}); a re-read shows the change was applied."
        return Attempt(BulkItem.State.CHANGED, message, old)
    shown = f"a re-read shows {now}" if now else "it could not be re-read"
    message = (
        f"No answer came ({error_text(exc)}): the change may or may not have been applied in Gcore "
        f"({shown}). It was not sent again."
    )
    return Attempt(BulkItem.State.UNKNOWN, message, old, exc, Outcome.UPSTREAM_ERROR)


def new_runner(prefix: str = "run") -> str:
    """A token for one run (a worker's task, or one Retry): its claims carry it."""
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def _claim(item: BulkItem, runner: str, *states: str) -> bool:
    """Mark the client as being sent by `runner`, if it is still in one of `states`: one claim wins,
    so two clicks (or two workers) never send its PUT twice."""
    claimed = BulkItem.objects.filter(pk=item.pk, state__in=states).update(
        state=BulkItem.State.SENDING,
        runner=runner,
        attempts=F("attempts") + 1,
        message="",
        upstream_status=None,
        upstream_request_id="",
        updated_at=timezone.now(),
    )
    item.refresh_from_db()
    return bool(claimed)


def _claim_next(bulk: BulkChange, runner: str, count: int) -> list[BulkItem]:
    """Up to `count` waiting clients of the change, in order, claimed for `runner` in one UPDATE.

    PostgreSQL: runs sharing the change skip each other's locked rows; SQLite: the transaction
    holds the database's one write lock (IMMEDIATE), so claims queue up instead."""
    if count < 1:
        return []
    with transaction.atomic():
        # Only while the change runs: a Stop (from any server) ends the claims in the same query.
        waiting = (
            bulk.items.filter(state=BulkItem.State.PENDING, bulk__state=BulkChange.State.RUNNING)
            .order_by("position")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "client_id", "old_status")
        )
        rows = list(waiting[:count])
        if not rows:
            return []
        claimed = BulkItem.objects.filter(pk__in=[pk for pk, _, _ in rows], state=BulkItem.State.PENDING)
        if claimed.update(
            state=BulkItem.State.SENDING,
            runner=runner,
            attempts=F("attempts") + 1,
            message="",
            upstream_status=None,
            upstream_request_id="",
            updated_at=timezone.now(),
        ) != len(rows):  # not expected (the rows are locked), but then only what this run holds
            mine = bulk.items.filter(
                pk__in=[pk for pk, _, _ in rows], runner=runner, state=BulkItem.State.SENDING
            )
            rows = list(mine.values_list("pk", "client_id", "old_status"))
    # Locked and still waiting, so each UPDATE above matched: what the run needs of each, unread.
    state = BulkItem.State.SENDING
    return [
        BulkItem(pk=pk, bulk=bulk, client_id=client_id, old_status=old, state=state, runner=runner)
        for pk, client_id, old in rows
    ]


def _record(item: BulkItem, bulk: BulkChange, actor: User | None, result: Attempt, runner: str) -> BulkItem:
    """The client's result on its row, and its own entry in the activity log.

    Only the claim's own runner records it: if another took the claim for dead meanwhile and could
    not tell from a re-read ("in doubt"), the real answer, come late, still replaces that."""
    item.state, item.message = result.state, result.message[:2000]
    item.old_status = result.old_status or item.old_status
    exc = result.error
    if exc is not None:
        item.upstream_status, item.upstream_request_id = exc.status_code, (exc.request_id or "")[:100]
    recorded = BulkItem.objects.filter(
        pk=item.pk, runner=runner, state__in=(BulkItem.State.SENDING, BulkItem.State.UNKNOWN)
    ).update(
        state=item.state,
        message=item.message,
        old_status=item.old_status,
        upstream_status=item.upstream_status,
        upstream_request_id=item.upstream_request_id,
        updated_at=timezone.now(),
    )
    if not recorded:
        item.refresh_from_db()
        return item
    default = f"Already {bulk.status}: nothing was sent." if result.state == BulkItem.State.UNCHANGED else ""
    audit_record(
        actor=actor,
        action=Action.SERVICE_UPDATE,
        outcome=result.outcome,
        client_id=item.client_id,
        changes=[FieldChange(f"{bulk.service}.status", item.old_status or None, bulk.status)],
        upstream_status=exc.status_code if exc is not None else (200 if result.state == "changed" else None),
        upstream_request_id=exc.request_id if exc is not None else None,
        message=result.message or default,
        details={"service": bulk.service, "reason": bulk.reason, "bulk": bulk.pk},
    )
    return item


def change_one(item: BulkItem, bulk: BulkChange, actor: User | None, *states: str) -> BulkItem:
    """One client's change, now, in this thread, if it can be claimed from `states`: re-read, one
    PUT at most, recorded and audited."""
    runner = new_runner("retry")
    if not _claim(item, runner, *(states or (BulkItem.State.PENDING,))):
        return item
    return _record(item, bulk, actor, attempt(item.client_id, bulk.service, bulk.status), runner)


def _state(bulk: BulkChange) -> str:
    return BulkChange.objects.filter(pk=bulk.pk).values_list("state", flat=True).get()


def _stale() -> timedelta:
    return timedelta(seconds=settings.BULK_STALE_SECONDS)


def _beat(bulk: BulkChange, runner: str) -> None:
    """This run is alive: the change and the clients it is sending say so."""
    now = timezone.now()
    BulkChange.objects.filter(pk=bulk.pk).update(updated_at=now)
    BulkItem.objects.filter(bulk=bulk, runner=runner, state=BulkItem.State.SENDING).update(updated_at=now)


def _settle_abandoned(bulk: BulkChange) -> int:
    """Clients claimed by a run that stopped beating (its worker was killed): re-read each, never
    re-send. Changed if Gcore now has the new status and the preview saw another, already so if
    both, in doubt otherwise. Each is taken with a conditional UPDATE, so two runs settle it once."""
    settled = 0
    cutoff = timezone.now() - _stale()
    for item in bulk.items.filter(state=BulkItem.State.SENDING, updated_at__lt=cutoff):
        mine = BulkItem.objects.filter(pk=item.pk, state=BulkItem.State.SENDING, updated_at=item.updated_at)
        if not mine.update(updated_at=timezone.now()):
            continue
        try:
            service = next(
                (s for s in get_gcore_client().list_services(item.client_id) if s.name == bulk.service), None
            )
            now = (service.status or "") if service is not None else None
        except UpstreamError:
            now = None
        if now == bulk.status:
            state = BulkItem.State.UNCHANGED if item.old_status == bulk.status else BulkItem.State.CHANGED
            message = "Its worker stopped while sending it; a re-read shows the change applied."
            outcome = Outcome.UNCHANGED if state == BulkItem.State.UNCHANGED else Outcome.SAVED
        else:
            state, outcome = BulkItem.State.UNKNOWN, Outcome.UPSTREAM_ERROR
            shown = f"a re-read shows {now}" if now else "it could not be re-read"
            message = (
                "Its worker stopped while sending it: the change may or may not have been applied in "
                f"Gcore ({shown}). It was not sent again."
            )
        if BulkItem.objects.filter(pk=item.pk, state=BulkItem.State.SENDING, runner=item.runner).update(
            state=state, message=message, updated_at=timezone.now()
        ):
            settled += 1
            audit_record(
                actor=bulk.started_by,
                action=Action.SERVICE_UPDATE,
                outcome=outcome,
                client_id=item.client_id,
                changes=[FieldChange(f"{bulk.service}.status", item.old_status or None, bulk.status)],
                message=message,
                details={"service": bulk.service, "reason": bulk.reason, "bulk": bulk.pk},
            )
    return settled


def bulk_run(bulk: BulkChange, actor: User | None, *, runner: str | None = None) -> BulkChange:
    """Change waiting clients, BULK_CONCURRENCY at a time, until none waits; the change afterwards.

    Several runs (one per worker, BULK_WORKERS) may share one change: each claims the next waiting
    clients with a conditional UPDATE, so each client is sent by one run once. The pool's threads
    only talk to Gcore; this thread claims (so the next clients leave as soon as answers come) and
    writes the heartbeat every BULK_HEARTBEAT_SECONDS even while every client waits on Gcore; one
    more thread records each client's row and audit entry as its answer comes. An answer not yet
    recorded when the worker dies leaves its client "sending": re-read, never re-sent. A stop, or
    the worker's own shutdown (SIGTERM), ends the claiming; what is in flight finishes. The last
    run to end settles the change: done, or stopped with its waiting clients skipped.
    """
    runner = runner or new_runner()
    workers = max(1, settings.BULK_CONCURRENCY)
    heartbeat = max(0.05, settings.BULK_HEARTBEAT_SECONDS)
    in_flight: dict[Future[Attempt], BulkItem] = {}
    state = _state(bulk)
    last_beat = last_look = time.monotonic()

    def refill() -> None:
        if state == BulkChange.State.RUNNING and not worker.stopping.is_set():
            for item in _claim_next(bulk, runner, workers - len(in_flight)):
                in_flight[pool.submit(attempt, item.client_id, bulk.service, bulk.status)] = item

    def record(answered: list[tuple[BulkItem, Attempt]]) -> None:
        with transaction.atomic():  # one commit for the answers that came together
            for item, result in answered:
                _record(item, bulk, actor, result, runner)

    recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-record")
    recorded: list[Future[None]] = []
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bulk") as pool:
            refill()
            while in_flight:
                done, _ = wait(in_flight, timeout=heartbeat, return_when=FIRST_COMPLETED)
                answered = [(in_flight.pop(future), future.result()) for future in done]
                refill()  # the next clients leave at once; the answers are recorded beside
                if answered:
                    recorded.append(recorder.submit(record, answered))
                now = time.monotonic()
                if now - last_beat >= heartbeat / 2 or not done:
                    _beat(bulk, runner)  # answered clients not yet recorded are still this run's
                    last_beat = now
                if now - last_look >= 0.2 or not in_flight:  # a Stop is seen within a fraction of a second
                    state, last_look = _state(bulk), now
                    refill()
    finally:
        recorder.submit(connection.close)  # the recording thread's own connection, once it is done
        recorder.shutdown(wait=True)
    for future in recorded:
        future.result()  # a failed write fails the task; the sweep resumes the change
    return bulk_settle(bulk, actor)


def bulk_settle(bulk: BulkChange, actor: User | None) -> BulkChange:
    """Finish the change if nothing is left to send: clients of dead runs settled (re-read), then
    done, or stopped with the waiting clients skipped. Left as it is while another live run still
    sends, or clients wait for a run (after a worker's shutdown). The batch is audited once."""
    _settle_abandoned(bulk)
    with transaction.atomic():
        state = _state(bulk)
        sending = bulk.items.filter(state=BulkItem.State.SENDING).exists()
        waiting = bulk.items.filter(state=BulkItem.State.PENDING).exists()
        if state not in ACTIVE or sending or (state == BulkChange.State.RUNNING and waiting):
            bulk.refresh_from_db()
            return bulk
        if state == BulkChange.State.STOPPING:
            bulk.items.filter(state=BulkItem.State.PENDING).update(
                state=BulkItem.State.SKIPPED, message="Not sent: the change was stopped."
            )
        final = BulkChange.State.STOPPED if state == BulkChange.State.STOPPING else BulkChange.State.DONE
        moved = BulkChange.objects.filter(pk=bulk.pk, state=state).update(
            state=final, finished_at=timezone.now(), updated_at=timezone.now()
        )
    bulk.refresh_from_db()
    if moved:
        _audit_batch(bulk, actor)
    return bulk


def _audit_batch(bulk: BulkChange, actor: User | None) -> None:
    """The batch's own entry in the activity log, beside its clients' entries."""
    counts = summary(bulk)
    failed = counts.failed + counts.unknown
    audit_record(
        actor=actor,
        action=Action.BULK_SERVICE,
        outcome=Outcome.SAVED if not failed else Outcome.PARTIAL,
        message=(
            f"{bulk.service} to {bulk.status}, {bulk.get_state_display().lower()}: {counts.changed} changed, "
            f"{counts.unchanged} already so, {counts.failed} failed, {counts.unknown} in doubt, "
            f"{counts.skipped} not sent, {counts.excluded} excluded."
        ),
        changes=[FieldChange(f"{bulk.service}.status", None, bulk.status)],
        details={"bulk": bulk.pk, "reason": bulk.reason, "service": bulk.service, "clients": counts.total},
    )


def bulk_work(*, bulk_id: int) -> str:
    """A worker's share of a change (dashboard.tasks.run_bulk_change): settle what dead runs left,
    send what waits, and, when this worker is shutting down with clients still waiting, hand them
    to a new task. What it says is the task result's."""
    bulk = BulkChange.objects.select_related("started_by").filter(pk=bulk_id).first()
    if bulk is None or bulk.state not in ACTIVE:
        return "Nothing to do: the change is not running."
    bulk = bulk_run(bulk, bulk.started_by)
    waiting = bulk.items.filter(state=BulkItem.State.PENDING).exists()
    if bulk.state == BulkChange.State.RUNNING and worker.stopping.is_set() and waiting:
        enqueue_runs(bulk, count=1)
        return "This worker is stopping: the clients not yet sent were handed to another task."
    counts = summary(bulk)
    done = f"{counts.finished} of {counts.to_send} done"
    return f"{bulk.get_state_display()}: {counts.changed} changed, {done}."


def enqueue_runs(bulk: BulkChange, *, count: int | None = None) -> None:
    """Queue the runs of a change, on commit (a worker must see the change as running)."""
    from dashboard.tasks import run_bulk_change  # the tasks module imports the services

    for _ in range(count or max(1, settings.BULK_WORKERS)):
        transaction.on_commit(lambda: run_bulk_change.enqueue(bulk.pk))


def bulk_resume_stalled() -> str:
    """The scheduled sweep: each running change that no worker has touched for BULK_STALE_SECONDS
    (its workers were killed, or the machine went away) is given new runs, which re-read the
    clients that were in flight and send the ones still waiting. A retry whose web process died
    mid-way is re-read the same way. Claimed by a conditional UPDATE: two sweeps resume it once."""
    now = timezone.now()
    cutoff = now - _stale()
    resumed = 0
    for bulk in BulkChange.objects.filter(state__in=ACTIVE, updated_at__lt=cutoff):
        if BulkChange.objects.filter(pk=bulk.pk, updated_at=bulk.updated_at).update(updated_at=now):
            log.warning("bulk change %s: no worker touched it for a while; resuming it", bulk.pk)
            tasks_lost("run_bulk_change", [bulk.pk])
            enqueue_runs(bulk)
            resumed += 1
    settled = 0
    for bulk in (
        BulkChange.objects.filter(items__state=BulkItem.State.SENDING, items__updated_at__lt=cutoff)
        .exclude(state__in=ACTIVE)
        .distinct()
    ):
        settled += _settle_abandoned(bulk)
    return f"Resumed {resumed} stalled change(s); re-read {settled} client(s) left sending."


def bulk_start(bulk: BulkChange, *, reason: str, actor: User) -> BulkChange:
    """Start a previewed draft on the workers, once (a second start is ignored): BULK_WORKERS runs
    are queued when this transaction commits, and the change goes on whatever this server does."""
    if bulk.created_by_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied("Only the person who previewed this change can start it.")
    now = timezone.now()
    started = BulkChange.objects.filter(pk=bulk.pk, state=BulkChange.State.DRAFT).update(
        state=BulkChange.State.RUNNING, reason=reason, started_at=now, updated_at=now, started_by=actor
    )
    bulk.refresh_from_db()
    if not started:
        return bulk
    counts = summary(bulk)
    audit_record(
        actor=actor,
        action=Action.BULK_SERVICE,
        outcome=Outcome.STARTED,
        message=(
            f"Started {bulk.service} to {bulk.status} for up to {counts.to_send} clients "
            f"({counts.excluded} excluded)."
        ),
        changes=[FieldChange(f"{bulk.service}.status", None, bulk.status)],
        details={"bulk": bulk.pk, "reason": reason, "service": bulk.service, "clients": counts.total},
    )
    enqueue_runs(bulk)
    return bulk


def bulk_stop(bulk: BulkChange, *, actor: User | None = None) -> BulkChange:
    """Ask a running change to stop: clients already sent finish, the rest are not sent; audited.
    The runs read the change's state between clients, on whichever worker they are."""
    asked = BulkChange.objects.filter(pk=bulk.pk, state=BulkChange.State.RUNNING).update(
        state=BulkChange.State.STOPPING
    )
    bulk.refresh_from_db()
    if asked:
        audit_record(
            actor=actor,
            action=Action.BULK_STOP,
            outcome=Outcome.SAVED,
            message=f"Asked to stop {bulk.service} to {bulk.status}: clients not yet sent will not be.",
            details={"bulk": bulk.pk},
        )
    return bulk


def bulk_get(bulk_id: int) -> BulkChange:
    """A bulk change."""
    return BulkChange.objects.select_related("created_by").get(pk=bulk_id)


def waiting_for_worker(bulk: BulkChange) -> bool:
    """A running change that no worker has touched for a while: the page says workers are needed."""
    return bulk.state in ACTIVE and timezone.now() - bulk.updated_at > timedelta(
        seconds=max(10.0, 2 * settings.BULK_HEARTBEAT_SECONDS)
    )


def bulk_retry(bulk: BulkChange, item: BulkItem, *, actor: User) -> BulkItem:
    """Try one failed (or in-doubt) client again, now, at the person's explicit request."""
    if not actor.has_perm(perm("bulk_change_services")) or not may_set_status(actor, bulk.status):
        raise PermissionDenied("Your role does not allow changes across many clients.")
    if bulk.state in ACTIVE:
        return item  # the run may still send it
    return change_one(item, bulk, actor, BulkItem.State.FAILED, BulkItem.State.UNKNOWN)


def bulk_item(bulk: BulkChange, item_id: str) -> BulkItem:
    """One client of the change; BulkItem.DoesNotExist when it has no such client."""
    if not item_id.isdigit():
        raise BulkItem.DoesNotExist("No such client in this change.")
    return bulk.items.get(pk=int(item_id))


def recent_bulk_changes(limit: int = 20) -> list[BulkChange]:
    return list(BulkChange.objects.select_related("created_by").exclude(state=BulkChange.State.DRAFT)[:limit])
