"""The drift list: linked clients whose shared fields differ between Gcore and SPP.

Built on the workers every DRIFT_EVERY seconds and when an administrator presses Rebuild, or by
`manage.py billing_drift`; the drift schedule's one slot means two builds never run at once. It
reads SPP's clients page by page into a compact index (id -> the four shared fields; email ->
ids), then Gcore's clients page by page, several pages at once (BILLING_DRIFT_CONCURRENCY),
comparing each linked client and making on the way the links that email matching can make.
Memory holds one small tuple per SPP client and a few pages at a time, whatever the number of
Gcore clients; progress is written to the run's row as it goes, so every app server can show it.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import ClientContact, Page
from dashboard.models import BillingLink, DriftEntry, DriftRun
from dashboard.services.audit import Action, Outcome, audit_record, error_text
from dashboard.services.billing import (
    SHARED,
    billing_connected,
    differs,
    gcore_shared,
    link_by_email_batch,
    spp_shared,
)
from dashboard.services.schedules import schedule_run_now, schedule_state
from dashboard.services.storable import storable_row
from dashboard.spp import get_spp_client
from dashboard.spp.client import MAX_PAGE_SIZE
from dashboard.spp.models import SppClient
from dashboard.upstream.errors import UpstreamError

log = logging.getLogger("dashboard.billing")

# Gcore clients per page read; Gcore's largest `limit` is undocumented (docs/gcore-api-notes.md §6).
GCORE_PAGE_SIZE = 500
# A run whose progress has not moved for this long died with its process.
STALE_AFTER = timedelta(minutes=10)

Shared = tuple[str | None, str | None, str | None, str]  # email, company, phone, contact


@dataclass
class SppIndex:
    """SPP's clients, as small as comparing them needs: about 0.6 KB each."""

    by_id: dict[int, Shared]
    # Email, without case -> the one SPP id that has it, or the ids of several (a duplicate).
    by_email: dict[str, int | tuple[int, ...]]

    def add(self, record: SppClient) -> None:
        self.by_id[record.id] = tuple(spp_shared(record).values())
        if record.email:
            key = record.email.casefold()
            key = record.email if key == record.email else key  # one string, not two, when already folded
            known = self.by_email.get(key)
            self.by_email[key] = (
                record.id
                if known is None
                else (*(known if isinstance(known, tuple) else (known,)), record.id)
            )

    def with_email(self, email: str) -> tuple[int, ...]:
        found = self.by_email.get(email.casefold(), ())
        return found if isinstance(found, tuple) else (found,)


def _in_order(items: Iterable[Any], fetch: Callable[[Any], Any], workers: int) -> Iterator[Any]:
    """`fetch(item)` for each item, at most `workers` at once, handed back in the items' order.

    A new fetch starts as each result is taken, so at most `workers` results wait in memory.
    """
    items = iter(items)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="drift") as pool:
        pending = deque(pool.submit(fetch, item) for item in itertools.islice(items, max(1, workers)))
        while pending:
            result = pending.popleft().result()
            for item in itertools.islice(items, 1):
                pending.append(pool.submit(fetch, item))
            yield result


Beat = Callable[[], None]


def _progress(run: DriftRun, beat: Beat | None, **fields: int) -> None:
    """The run's progress on its row (every server shows it), and the schedule's heartbeat."""
    for name, value in fields.items():
        setattr(run, name, value)
    DriftRun.objects.filter(pk=run.pk).update(updated_at=timezone.now(), **fields)
    if beat is not None:
        beat()


def read_spp(run: DriftRun, workers: int, beat: Beat | None = None) -> SppIndex:
    spp = get_spp_client()
    index = SppIndex(by_id={}, by_email={})
    # By id: a client added while the build reads does not shift the pages under it.
    first = spp.list_clients(sort="id:asc", page=1, limit=MAX_PAGE_SIZE)
    last_page = max(1, first.meta.last_page)
    for record in first.data:
        index.add(record)
    _progress(run, beat, spp_pages=1, spp_pages_total=last_page)

    def fetch(page: int) -> list[SppClient]:
        return spp.list_clients(sort="id:asc", page=page, limit=MAX_PAGE_SIZE).data

    for number, records in enumerate(_in_order(range(2, last_page + 1), fetch, workers), start=2):
        for record in records:
            index.add(record)
        _progress(run, beat, spp_pages=number)
    return index


def compare_gcore(
    run: DriftRun, index: SppIndex, workers: int, actor: User | None, beat: Beat | None = None
) -> None:
    gcore = get_gcore_client()
    links = dict(BillingLink.objects.values_list("gcore_client_id", "spp_client_id"))
    linked_spp = set(links.values())

    def fetch(offset: int) -> Page[ClientContact]:
        filters = {"deleted": "false"}
        return gcore.list_clients(
            filters=filters, ordering="id", limit=GCORE_PAGE_SIZE, offset=offset, model=ClientContact
        )

    first = fetch(0)
    pages = max(1, -(-first.count // GCORE_PAGE_SIZE))
    _progress(run, beat, gcore_pages_total=pages)
    offsets = range(GCORE_PAGE_SIZE, pages * GCORE_PAGE_SIZE, GCORE_PAGE_SIZE)
    _compare_page(run, first.results, index, links, linked_spp, actor)
    _progress(run, beat, gcore_pages=1)
    for number, page in enumerate(_in_order(offsets, fetch, workers), start=2):
        _compare_page(run, page.results, index, links, linked_spp, actor)
        _progress(run, beat, gcore_pages=number)


def _compare_page(
    run: DriftRun,
    clients: list[ClientContact],
    index: SppIndex,
    links: dict[int, int],
    linked_spp: set[int],
    actor: User | None,
) -> None:
    # First the links email matching can make on this page (one transaction), then the comparison.
    wanted = []
    for client in clients:
        if client.id not in links and client.email:
            candidates = index.with_email(client.email)
            if len(candidates) == 1 and candidates[0] not in linked_spp:
                wanted.append((client.id, candidates[0], index.by_id[candidates[0]][0] or ""))
    for gcore_id, linked_id in link_by_email_batch(wanted, actor=actor) if wanted else []:
        links[gcore_id] = linked_id
        linked_spp.add(linked_id)
        run.linked += 1
    entries = []
    for client in clients:
        spp_id = links.get(client.id)
        theirs = index.by_id.get(spp_id) if spp_id is not None else None
        if spp_id is None or theirs is None:
            continue
        run.compared += 1
        ours = gcore_shared(client).values()
        differences = [
            {"field": key, "label": label, "gcore": gcore_value, "spp": spp_value}
            for (key, label), gcore_value, spp_value in zip(SHARED.items(), ours, theirs, strict=True)
            if differs(key, gcore_value, spp_value)
        ]
        if differences:
            entries.append(
                storable_row(  # names and phones as Gcore and SPP hold them, a NUL included
                    DriftEntry(
                        run=run,
                        gcore_client_id=client.id,
                        spp_client_id=spp_id,
                        company_name=client.company_name[:255],
                        differences=differences,
                    )
                )
            )
    DriftEntry.objects.bulk_create(entries)
    run.drifted += len(entries)
    _progress(run, None, compared=run.compared, drifted=run.drifted, linked=run.linked)


def drift_build(
    *,
    actor: User | None = None,
    run: DriftRun | None = None,
    beat: Beat | None = None,
) -> DriftRun:
    """Build the drift list now (in this thread); the finished run, DONE or FAILED (audited).

    Callers hold the drift schedule's one slot (dashboard.tasks.build_drift_list, `manage.py
    billing_drift`), so a run still marked running is one whose worker died: it is closed first."""
    run = run or DriftRun.objects.create(
        started_by=actor if actor is not None and actor.is_authenticated else None
    )
    DriftRun.objects.filter(state=DriftRun.State.RUNNING).exclude(pk=run.pk).update(
        state=DriftRun.State.FAILED,
        message="The worker building it stopped before it finished.",
        finished_at=timezone.now(),
    )
    workers = max(1, settings.BILLING_DRIFT_CONCURRENCY)
    try:
        index = read_spp(run, workers, beat)
        compare_gcore(run, index, workers, actor, beat)
    except UpstreamError as exc:
        log.warning(
            "drift build %s failed: %s (request id %s)", run.pk, type(exc).__name__, exc.request_id or "-"
        )
        run.state, run.message, run.finished_at = DriftRun.State.FAILED, error_text(exc), timezone.now()
        run.save(update_fields=["state", "message", "finished_at", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.BILLING_DRIFT,
            outcome=Outcome.UPSTREAM_ERROR,
            upstream_status=exc.status_code,
            upstream_request_id=exc.request_id,
            message=f"The drift list was not rebuilt: {error_text(exc)}",
            details={"run": run.pk},
        )
        return run
    with transaction.atomic():
        run.state, run.finished_at = DriftRun.State.DONE, timezone.now()
        run.save(update_fields=["state", "finished_at", "updated_at"])
        # The list shows the newest finished run: older ones' entries are of no use any more.
        DriftEntry.objects.filter(run__finished_at__lt=run.finished_at).exclude(run=run).delete()
    audit_record(
        actor=actor,
        action=Action.BILLING_DRIFT,
        outcome=Outcome.SAVED,
        message=(
            f"Compared {run.compared} linked clients: {run.drifted} differ; "
            f"{run.linked} newly linked by email."
        ),
        details={"run": run.pk, "compared": run.compared, "drifted": run.drifted, "linked": run.linked},
    )
    return run


def drift_running() -> DriftRun | None:
    """The run in progress, if one is and it is still moving."""
    run = DriftRun.objects.filter(state=DriftRun.State.RUNNING).first()
    if run is not None and timezone.now() - run.updated_at > STALE_AFTER:
        return None
    return run


def drift_queued() -> bool:
    """A build is queued for a worker and none has started it yet."""
    return schedule_state("drift") == "queued"


def drift_start(*, actor: User) -> bool:
    """Queue a build on the workers for `actor` (the drift schedule's Run now); False when one is
    queued or running already: the schedule's one slot means two builds never run at once."""
    return schedule_run_now("drift", actor=actor)


def drift_occurrence(beat: Callable[[], None], actor: User | None) -> str:
    """One scheduled (or asked-for) build, on a worker: what the Background work page says of it."""
    if not billing_connected():
        return "Skipped: SPP is not connected."
    run = drift_build(actor=actor, beat=beat)
    if run.state != DriftRun.State.DONE:
        raise DriftFailed(run.message)
    return f"{run.compared} linked clients compared, {run.drifted} differ, {run.linked} newly linked."


class DriftFailed(RuntimeError):
    """A build that Gcore or SPP cut short: the run's message says why."""


def drift_latest() -> DriftRun | None:
    """The newest finished run: the one the list shows."""
    return DriftRun.objects.filter(state=DriftRun.State.DONE).first()
