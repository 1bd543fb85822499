"""Drift list benchmark: `drift_build()` over 1,000 and 10,000 clients, its time and its peak memory.

For each size the Gcore sandbox (`Sandbox(seed, clients=N, now=NOW)`) and the SPP sandbox made from
it (`SppSandbox(seed, gcore_clients=N, now=NOW)`, so the e-mails line up) are built in this process
and put behind the dashboard the way development does it: with GCORE_API_TOKEN="" and
SPP_MODE="sandbox" the dashboard's own factories (`get_gcore_client`, `get_spp_client`) build their
clients on `SandboxTransport(get_sandbox())` and `SandboxTransport(get_spp_sandbox())`; the benchmark
only replaces those two `get_*sandbox` functions for the duration (and clears the clients' caches
before and after). So the clients are made with the dashboard's settings and code, and nothing is
patched in `dashboard.services.drift` or wherever else the clients are looked up.

Each sandbox sits behind a thin `Upstream` wrapper (all `SandboxTransport` needs is `handle`). The
first run is live: the sandboxes answer, the wrapper counts the requests, adds up the CPU time the
sandboxes spend (thread time, so it is theirs, not the dashboard's) and keeps every answer. That run
gives the time. The second run, under tracemalloc, gets the same answers replayed (a fresh copy of
each body, as a socket read would allocate): an in-process sandbox renders a page of 500 full Gcore
clients with about 6 MB of temporary objects, which would otherwise sit in the dashboard's peak.
Both runs start from an empty BillingLink table (links, entries and runs are deleted in between;
audit entries are never deleted), so both link by email on the way and do the same work; the
benchmark checks that they did. A third, untraced run keeps the links of the second: a rebuild.
Then, from replayed answers under tracemalloc, what the peak is made of: the SPP index as
`read_spp` returns it, and one page of Gcore clients as the build reads it.

BENCH_LATENCY_MS (default 0) delays every sandbox answer, live and replayed. Django's DEBUG is off
during the runs: its query log (up to 9,000 SQL strings) is not the dashboard's memory in production.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from bench._django import setup_django
from bench.run import Report, benchmark

SIZES = (1_000, 10_000)
SEED = 42
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # fixed, so the data is the same whatever the day


class Upstream:
    """A sandbox as `SandboxTransport` sees it: live (counted, timed, recorded) or replaying."""

    def __init__(self, sandbox: Any, latency_ms: float) -> None:
        self.sandbox = sandbox
        self.latency_ms = latency_ms
        sandbox.set_latency(latency_ms)
        self.replaying = False
        self.answers: dict[tuple[str, str, str], Any] = {}
        self.requests = 0
        self.cpu_s = 0.0
        self._lock = threading.Lock()

    def start(self, *, replay: bool) -> None:
        self.replaying, self.requests, self.cpu_s = replay, 0, 0.0

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        scheme: str = "http",
    ) -> Any:
        key = (method, path, query)
        with self._lock:
            self.requests += 1
        if self.replaying:
            if self.latency_ms:
                time.sleep(self.latency_ms / 1000)
            answer = self.answers[key]
            # A copy, as reading it from a socket would allocate one in the dashboard's process.
            return replace(answer, headers=dict(answer.headers), body=bytes(memoryview(answer.body)))
        started = time.thread_time()
        answer = self.sandbox.handle(method, path, query, headers, body, scheme=scheme)
        spent = time.thread_time() - started
        with self._lock:
            self.cpu_s += spent
            self.answers[key] = answer
        return answer


@dataclass
class Build:
    seconds: float
    compared: int
    drifted: int
    linked: int
    spp_pages: int
    gcore_pages: int
    sandbox_cpu_s: float
    peak: int = 0
    queries: int = 0

    def work(self) -> tuple[int, ...]:
        return (self.compared, self.drifted, self.linked, self.spp_pages, self.gcore_pages)


@dataclass
class Result:
    clients: int
    active: int  # not deleted: what the build reads of Gcore
    spp_clients: int
    timed: Build
    traced: Build
    rebuild: Build
    index_bytes: int
    parsed_page_bytes: int  # one Gcore page as the build holds it (ClientContact models)
    gcore_page_bytes: float  # JSON, on average
    spp_page_bytes: float


@contextmanager
def behind_dashboard(gcore: Upstream, spp: Upstream) -> Iterator[None]:
    """The dashboard's factories build their clients on these two sandboxes (development's wiring)."""
    from django.test import override_settings

    from dashboard.gcore import factory as gcore_factory
    from dashboard.spp import factory as spp_factory

    with (
        override_settings(DEBUG=False, GCORE_API_TOKEN="", SPP_MODE="sandbox"),
        mock.patch.object(gcore_factory, "get_sandbox", lambda: gcore),
        mock.patch.object(spp_factory, "get_spp_sandbox", lambda: spp),
    ):
        gcore_factory.get_gcore_client.cache_clear()
        spp_factory.get_spp_client.cache_clear()
        try:
            gcore_factory.get_gcore_client()  # built now, not inside the first timed run
            spp_factory.get_spp_client()
            yield
        finally:
            gcore_factory.get_gcore_client.cache_clear()
            spp_factory.get_spp_client.cache_clear()


def forget_builds(*, links: bool) -> None:
    """Back to no drift list (and, with `links`, no billing links): the state a first build starts from."""
    from dashboard.models import BillingLink, DriftEntry, DriftRun

    DriftEntry.objects.all().delete()
    DriftRun.objects.all().delete()
    if links:
        BillingLink.objects.all().delete()


def build_once(gcore: Upstream, spp: Upstream, *, replay: bool, trace: bool) -> Build:
    from django.db import connection

    from dashboard.models import DriftRun
    from dashboard.services.drift import drift_build

    queries = 0

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    gcore.start(replay=replay)
    spp.start(replay=replay)
    gc.collect()
    if trace:
        tracemalloc.start()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        run = drift_build()
        seconds = time.perf_counter() - started
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if run.state != DriftRun.State.DONE:
        raise RuntimeError(f"the drift build failed: {run.message}")
    return Build(
        seconds=seconds,
        compared=run.compared,
        drifted=run.drifted,
        linked=run.linked,
        spp_pages=spp.requests,
        gcore_pages=gcore.requests,
        sandbox_cpu_s=gcore.cpu_s + spp.cpu_s,
        peak=peak,
        queries=queries,
    )


def index_size(spp: Upstream, workers: int) -> int:
    """Bytes the SPP index holds once read (replayed answers, so only the dashboard's allocations)."""
    from dashboard.models import DriftRun
    from dashboard.services.drift import read_spp

    run = DriftRun.objects.create()
    spp.start(replay=True)
    gc.collect()
    tracemalloc.start()
    index = read_spp(run, workers)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index
    run.delete()
    return held


def parsed_page_size(gcore: Upstream) -> int:
    """Bytes one page of Gcore clients holds once read as the build reads it (replayed answer)."""
    from dashboard.gcore import get_gcore_client
    from dashboard.gcore.models import ClientContact
    from dashboard.services.drift import GCORE_PAGE_SIZE

    gcore.start(replay=True)
    gc.collect()
    tracemalloc.start()
    page = get_gcore_client().list_clients(
        filters={"deleted": "false"}, ordering="id", limit=GCORE_PAGE_SIZE, offset=0, model=ClientContact
    )
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del page
    return held


def measure(clients: int, latency_ms: float) -> Result:
    from django.conf import settings

    from dashboard.sandbox import Sandbox
    from dashboard.spp_sandbox import SppSandbox

    gcore = Upstream(Sandbox(SEED, clients, settings.GCORE_SANDBOX_TOKEN, now=NOW), latency_ms)
    spp = Upstream(SppSandbox(SEED, clients, settings.SPP_SANDBOX_TOKEN, now=NOW), latency_ms)
    with behind_dashboard(gcore, spp):
        forget_builds(links=True)
        timed = build_once(gcore, spp, replay=False, trace=False)
        forget_builds(links=True)
        traced = build_once(gcore, spp, replay=True, trace=True)
        if traced.work() != timed.work():
            raise RuntimeError(f"the two builds differ: {timed.work()} then {traced.work()}")
        forget_builds(links=False)
        rebuild = build_once(gcore, spp, replay=False, trace=False)
        index_bytes = index_size(spp, settings.BILLING_DRIFT_CONCURRENCY)
        parsed_page_bytes = parsed_page_size(gcore)
        forget_builds(links=True)

    def mean_body(upstream: Upstream) -> float:
        return sum(len(a.body) for a in upstream.answers.values()) / max(1, len(upstream.answers))

    return Result(
        clients=clients,
        active=gcore.sandbox.matching_count(deleted=False),
        spp_clients=len(spp.sandbox.client_ids()),
        timed=timed,
        traced=traced,
        rebuild=rebuild,
        index_bytes=index_bytes,
        parsed_page_bytes=parsed_page_bytes,
        gcore_page_bytes=mean_body(gcore),
        spp_page_bytes=mean_body(spp),
    )


def mb(value: float) -> str:
    return f"{value / 1_000_000:.1f}"


@benchmark("drift", "Building the drift list for 1,000 and 10,000 clients: time and peak memory")
def run() -> Report:
    setup_django()
    from django.conf import settings

    from dashboard.services.drift import GCORE_PAGE_SIZE
    from dashboard.spp.client import MAX_PAGE_SIZE

    latency_ms = float(os.environ.get("BENCH_LATENCY_MS", "0"))
    workers = max(1, settings.BILLING_DRIFT_CONCURRENCY)
    results = [measure(clients, latency_ms) for clients in SIZES]

    rows = [
        {
            "clients (Gcore)": f"{r.clients:,}",
            "SPP clients": f"{r.spp_clients:,}",
            "SPP pages": str(r.timed.spp_pages),
            "Gcore pages": str(r.timed.gcore_pages),
            "compared": f"{r.timed.compared:,}",
            "differ": f"{r.timed.drifted:,}",
            "linked by email": f"{r.timed.linked:,}",
            "time (s)": f"{r.timed.seconds:.2f}",
            "clients/s": f"{r.clients / r.timed.seconds:,.0f}",
            "peak memory (MB)": mb(r.traced.peak),
        }
        for r in results
    ]
    small, large = results[0], results[-1]
    own_s = [r.timed.seconds - r.timed.sandbox_cpu_s for r in (small, large)]
    statements = large.traced.queries - large.rebuild.queries
    waiting = f" and waiting out the {latency_ms:g} ms latencies" if latency_ms else ""
    findings = [
        f"{large.clients / small.clients:.0f}x the clients: "
        f"{large.timed.seconds / small.timed.seconds:.1f}x the time, "
        f"{large.traced.peak / small.traced.peak:.1f}x the peak memory.",
        f"The peak grows with SPP's client count, through the SPP index: {mb(large.index_bytes)} MB "
        f"for {large.spp_clients:,} SPP clients ({large.index_bytes / large.spp_clients:,.0f} bytes each: "
        "a tuple of four strings, and the e-mail's entry in the by-email map), "
        f"{large.index_bytes / large.traced.peak:.0%} of the {mb(large.traced.peak)} MB peak at "
        f"{large.clients:,} ({mb(small.index_bytes)} of {mb(small.traced.peak)} MB at {small.clients:,}).",
        f"The rest, {mb(large.traced.peak - large.index_bytes)} MB at {large.clients:,} "
        f"({mb(small.traced.peak - small.index_bytes)} MB at {small.clients:,}, with only "
        f"{small.timed.gcore_pages} Gcore pages to read), is the Gcore pages in flight, up to {workers} "
        f"fetched plus the one being compared, and the links made so far. A page of {GCORE_PAGE_SIZE} "
        f"clients holds {mb(large.parsed_page_bytes)} MB once read and is {mb(large.gcore_page_bytes)} MB "
        f"of JSON while read (whole clients, of which 5 fields are compared); an SPP page of "
        f"{MAX_PAGE_SIZE} is {mb(large.spp_page_bytes)} MB.",
        f"Linking by email on a first build: {large.timed.linked:,} links cost {statements:,} more SQL "
        f"statements than a rebuild (each Gcore page's links and their audit entries go in one "
        f"transaction of two bulk INSERTs). A rebuild once the links exist runs "
        f"{large.rebuild.queries:,} statements and takes {large.rebuild.seconds:.2f} s against "
        f"{large.timed.seconds:.2f} s, {large.rebuild.sandbox_cpu_s:.2f} s of it the sandboxes'.",
        f"Of the {large.timed.seconds:.2f} s the in-process sandboxes spent "
        f"{large.timed.sandbox_cpu_s:.2f} s of CPU answering ({small.timed.sandbox_cpu_s:.2f} s at "
        f"{small.clients:,}: they filter and sort every client for each page); the rest, about "
        f"{own_s[1]:.2f} s, is the dashboard's{waiting}: {own_s[1] / own_s[0]:.1f}x its {own_s[0]:.2f} s at "
        f"{small.clients:,}.",
    ]
    notes = [
        f"Sandboxes in this process (seed {SEED}, now {NOW:%Y-%m-%d}), behind the dashboard's own client "
        f"factories; {large.active:,} of the {large.clients:,} Gcore clients are not deleted and are read. "
        f"Sandbox latency {latency_ms:g} ms (BENCH_LATENCY_MS); {workers} pages read at once "
        "(BILLING_DRIFT_CONCURRENCY), which the in-process sandboxes, sharing the GIL and a lock, "
        "cannot overlap: with latency they would.",
        "Time from a live, untraced run; the peak (tracemalloc) from a second run from the same empty "
        "state, with the sandboxes' answers replayed, so their own rendering is not counted. SQLite's "
        "memory (the in-memory database) is not Python's and is not counted either. DEBUG is off.",
    ]
    return Report(rows=rows, findings=findings, notes=notes)
