"""The managers' overview: counts of clients by status, service, type and age, from Gcore's `count`.

Gcore has no aggregate endpoint, so every number is one GET /iam/clients with `limit=1` whose
`count` is the total. About sixty of them run concurrently over the one shared client
(httpx.Client is thread-safe), and the whole overview is cached briefly with its "as of" time.

Each number is defined once, as the client list's own query string (`cdn=active`); the list's
parser (`ClientQuery`) turns it into the upstream filters. The count query and the link under the
number therefore ask Gcore exactly the same question and cannot disagree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import ClientType, ServiceStatus
from dashboard.services import versions
from dashboard.services.client_query import SERVICE_FILTERS, ClientQuery

log = logging.getLogger("dashboard.overview")

K = TypeVar("K", bound=Hashable)

CACHE_KEY = "overview:v1"


# -- counting ------------------------------------------------------------------------------------


def list_query_filters(query: Mapping[str, str] | str) -> dict[str, object]:
    """The GET /iam/clients filters the client list sends for this query string.

    ValueError if the list would show an error for it (the caller defined a wrong query).
    """
    parsed = ClientQuery.from_data(query)
    if not parsed.is_valid:
        raise ValueError(f"Not a valid client list query: {dict(parsed.errors)}")
    return parsed.filters


def client_counts(
    *, filter_sets: Mapping[K, Mapping[str, object]], workers: int | None = None
) -> dict[K, int]:
    """How many clients match each set of filters: one `limit=1` request each, run concurrently.

    The first Gcore failure cancels the requests not yet started and is raised, so a Gcore outage
    costs one request's wait (with its retries), not sixty of them.
    """
    if not filter_sets:
        return {}
    gcore = get_gcore_client()  # built once here: the worker threads share it
    workers = workers or settings.OVERVIEW_CONCURRENCY
    counts: dict[K, int] = {}
    with ThreadPoolExecutor(
        max_workers=max(1, min(workers, len(filter_sets))), thread_name_prefix="gcore-count"
    ) as pool:
        futures = {
            pool.submit(gcore.list_clients, filters=filters, limit=1): key
            for key, filters in filter_sets.items()
        }
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        error = next((exc for future in done if (exc := future.exception()) is not None), None)
        if error is not None:
            for future in pending:
                future.cancel()
            raise error
        for future, key in futures.items():
            counts[key] = future.result().count
    return counts


# -- the overview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """One number of the overview and the client list query that shows those clients."""

    key: str
    label: str
    query: tuple[tuple[str, str], ...]
    # A colour family for the chart bar (app.css `.bar-<tone>`); not a meaning of its own.
    tone: str = "neutral"
    count: int = 0

    @property
    def querystring(self) -> str:
        return urlencode(self.query)


@dataclass(frozen=True)
class TallyGroup:
    key: str
    title: str
    tallies: tuple[Tally, ...]
    note: str = ""

    @property
    def largest(self) -> int:
        return max((tally.count for tally in self.tallies), default=0)


@dataclass(frozen=True)
class Overview:
    as_of: datetime
    total: Tally
    new: TallyGroup
    account: TallyGroup
    environment: TallyGroup
    client_types: TallyGroup
    services: tuple[TallyGroup, ...]
    requests: int
    elapsed_ms: int
    cache_seconds: int

    def groups(self) -> tuple[TallyGroup, ...]:
        return (self.new, self.account, self.environment, self.client_types, *self.services)


SERVICE_TONES = {
    ServiceStatus.ACTIVE: "active",
    ServiceStatus.NEW: "new",
    ServiceStatus.TRIAL: "trial",
    ServiceStatus.ACTIVATING: "trial",
    ServiceStatus.TRIALEND: "paused",
    ServiceStatus.PAUSED: "paused",
    ServiceStatus.DELETED: "deleted",
}


def _tally(key: str, label: str, tone: str = "neutral", **query: str) -> Tally:
    return Tally(key=key, label=label, query=tuple(query.items()), tone=tone)


def overview_layout(*, today: datetime | None = None) -> Overview:
    """Every number of the overview with its query, all counts still zero."""
    # The list reads a created_at date as 00:00 UTC (ClientQuery), so the days are UTC days too.
    today = (today or timezone.now()).astimezone(UTC)
    day = today.date()
    week, month = day - timedelta(days=7), day - timedelta(days=30)
    # Gcore: GET /iam/clients has no filter on the account `status` (docs/gcore-api-notes.md §3), so
    # the account's state is told by the filters that exist: `activated` and `deleted`. Like the
    # client list, every count leaves deleted clients out unless it is the count of deleted clients.
    services = tuple(
        TallyGroup(
            key=f"service-{name}",
            title=label,
            tallies=tuple(
                _tally(f"{name}-{s.value}", s.value, SERVICE_TONES[s], **{name: s.value})
                for s in ServiceStatus
            ),
        )
        for name, label in SERVICE_FILTERS.items()
    )
    return Overview(
        as_of=today,
        total=_tally("total", "Clients"),
        new=TallyGroup(
            key="new",
            title="New clients",
            tallies=(
                _tally("new-7", "Last 7 days", "new", created_at_gte=week.isoformat()),
                _tally("new-30", "Last 30 days", "new", created_at_gte=month.isoformat()),
            ),
            note=f"Created since {week.day} {week:%b} and since {month.day} {month:%b} (00:00 UTC).",
        ),
        account=TallyGroup(
            key="account",
            title="Account status",
            tallies=(
                _tally("activated", "Activated", "active", activated="true"),
                _tally("not-activated", "Not activated", "new", activated="false"),
                _tally("deleted", "Deleted", "deleted", deleted="true"),
            ),
            note=(
                "Gcore cannot filter clients by account status, "
                "so this uses its activated and deleted filters."
            ),
        ),
        environment=TallyGroup(
            key="environment",
            title="Production and test",
            tallies=(
                _tally("production", "Production", "active", is_test="false"),
                _tally("test", "Test", "trial", is_test="true"),
            ),
        ),
        client_types=TallyGroup(
            key="client-type",
            title="Client type",
            tallies=tuple(
                _tally(f"type-{t.value}", t.value.capitalize(), "neutral", client_type=t.value)
                for t in ClientType
            ),
        ),
        services=services,
        requests=0,
        elapsed_ms=0,
        cache_seconds=0,
    )


def _with_counts(group: TallyGroup, counts: Mapping[str, int]) -> TallyGroup:
    return replace(group, tallies=tuple(replace(t, count=counts[t.key]) for t in group.tallies))


def overview_compute() -> Overview:
    """Ask Gcore for every number of the overview now (about sixty concurrent `limit=1` requests)."""
    layout = overview_layout()
    tallies = [layout.total, *(t for group in layout.groups() for t in group.tallies)]
    started = time.perf_counter()
    counts = client_counts(filter_sets={t.key: list_query_filters(dict(t.query)) for t in tallies})
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    log.info("overview: %d counts from Gcore in %d ms", len(counts), elapsed_ms)
    return replace(
        layout,
        as_of=timezone.now(),
        total=replace(layout.total, count=counts["total"]),
        new=_with_counts(layout.new, counts),
        account=_with_counts(layout.account, counts),
        environment=_with_counts(layout.environment, counts),
        client_types=_with_counts(layout.client_types, counts),
        services=tuple(_with_counts(group, counts) for group in layout.services),
        requests=len(counts),
        elapsed_ms=elapsed_ms,
        cache_seconds=overview_cache_seconds(),
    )


def overview_cache_seconds() -> int:
    return max(0, settings.OVERVIEW_CACHE_SECONDS)


def overview_get(*, refresh: bool = False) -> Overview:
    """The overview from the cache (shared by all app servers), or fresh from Gcore when asked or stale."""
    # Stale on every app server as soon as a change through the dashboard bumps the lists' counter.
    key = versions.stamped(CACHE_KEY, versions.LISTS)
    if not refresh:
        cached = cache.get(key)
        if isinstance(cached, Overview):
            return cached
    overview = overview_compute()
    if overview.cache_seconds:
        cache.set(key, overview, overview.cache_seconds)
    return overview
