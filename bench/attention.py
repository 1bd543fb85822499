"""Needs attention benchmark: a full pass of the cheap rules over 1,000 and 10,000 clients.

The cheap rules are those the client list's filters and the services of the clients they return
answer: services due for deletion, long trials (filters `cdn=paused`, ... then one services read a
returned client), clients without an active administrator and unactivated users (the list's pages).
For each size the Gcore sandbox (`Sandbox(seed, clients=N, now=NOW)`) is built in this process and
put behind the dashboard's own client factory, as development does, with BENCH_LATENCY_MS (default
50) on every answer. A thin wrapper counts the requests; the run checks that each rule sent no
more than the pages of the list it read plus one request per client those returned.

Each rule runs once from an empty findings table (every scan request paid from the shared budget,
set high enough for a full pass), under tracemalloc for its peak memory. A second run of each rule
afterwards (the findings exist: found again, nothing new) gives the steady state's time.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import tracemalloc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from bench._django import setup_django
from bench.run import Report, benchmark

# BENCH_ATTENTION_SIZES=1000,3000 for a shorter run on a busy machine (the first two sizes compared).
SIZES = tuple(int(n) for n in os.environ.get("BENCH_ATTENTION_SIZES", "1000,10000").split(","))
SEED = 42
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CHEAP = ("deletion_due", "long_trial", "no_admin", "unactivated_user")


class Upstream:
    """The sandbox as `SandboxTransport` sees it, counting requests: list pages and the rest."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.pages = self.others = 0
        self.peak = 0  # the dashboard's peak traced memory outside the sandbox's own work
        self._lock = threading.Lock()

    def start(self) -> None:
        self.pages = self.others = self.peak = 0

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
        with self._lock:
            if path == "/iam/clients":
                self.pages += 1
            else:
                self.others += 1
            if tracemalloc.is_tracing():
                self.peak = max(self.peak, tracemalloc.get_traced_memory()[1])
        try:
            return self.sandbox.handle(method, path, query, headers, body, scheme=scheme)
        finally:
            # Gcore's work is not the dashboard's memory: the sandbox's list of the requests it served
            # (for tests) grows without end, and it builds each answer from every matching client.
            # From here the peak counts again from what is held now (the answer included).
            self.sandbox.clear_request_log()
            if tracemalloc.is_tracing():
                tracemalloc.reset_peak()

    def warm(self, headers: Mapping[str, str]) -> None:
        """Build every client's services and fill the activity log to its cap before measuring: the
        sandbox makes them on the first read, in this process, and Gcore's data is not the
        dashboard's memory."""
        for client_id in self.sandbox.client_ids():
            self.sandbox.handle("GET", f"/iam/clients/{client_id}/services", headers=headers)
        self.sandbox.clear_request_log()


@contextmanager
def behind_dashboard(gcore: Upstream) -> Iterator[None]:
    from django.test import override_settings

    from dashboard.gcore import factory as gcore_factory

    with (
        override_settings(DEBUG=False, GCORE_API_TOKEN="", ATTENTION_MAX_REQUESTS_PER_MINUTE=10_000_000),
        mock.patch.object(gcore_factory, "get_sandbox", lambda: gcore),
    ):
        gcore_factory.get_gcore_client.cache_clear()
        try:
            gcore_factory.get_gcore_client()
            yield
        finally:
            gcore_factory.get_gcore_client.cache_clear()


@dataclass
class Run:
    rule: str
    clients: int
    pages: int
    others: int
    found: int
    seconds: float
    again_seconds: float
    peak: int


def measure(clients: int, latency_ms: float) -> list[Run]:
    from django.conf import settings

    from dashboard.models import Finding
    from dashboard.sandbox import Sandbox
    from dashboard.services.attention import attention_scan

    sandbox = Sandbox(SEED, clients, settings.GCORE_SANDBOX_TOKEN, now=NOW)
    gcore = Upstream(sandbox)
    gcore.warm({"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"})
    sandbox.set_latency(latency_ms)
    runs = []
    with behind_dashboard(gcore), mock.patch("django.utils.timezone.now", lambda: NOW):
        for rule in CHEAP:
            Finding.objects.filter(rule=rule).delete()
            gcore.start()
            gc.collect()
            tracemalloc.start()
            started = time.perf_counter()
            scan = attention_scan(rule=rule)
            seconds = time.perf_counter() - started
            peak = max(gcore.peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            if scan.message or scan.last_complete_at is None:
                raise RuntimeError(f"{rule}: the pass did not complete ({scan.message})")
            pages, others = gcore.pages, gcore.others
            found = Finding.objects.filter(rule=rule, state=Finding.State.OPEN).count()
            started = time.perf_counter()
            attention_scan(rule=rule)
            again = time.perf_counter() - started
            runs.append(Run(rule, clients, pages, others, found, seconds, again, peak))
    return runs


@benchmark("attention", "Needs attention: a full pass of the cheap rules over 1,000 and 10,000 clients")
def run() -> Report:
    setup_django()
    from dashboard.services.attention import PAGE_SIZE, RECORD_BATCH

    latency_ms = float(os.environ.get("BENCH_LATENCY_MS", "50"))
    results = {clients: measure(clients, latency_ms) for clients in SIZES}
    rows = [
        {
            "clients": f"{r.clients:,}",
            "rule": r.rule,
            "list pages": str(r.pages),
            "other requests": f"{r.others:,}",
            "findings": f"{r.found:,}",
            "time (s)": f"{r.seconds:.1f}",
            "again (s)": f"{r.again_seconds:.1f}",
            "peak memory (MB)": f"{r.peak / 1_000_000:.1f}",
        }
        for runs in results.values()
        for r in runs
    ]
    small, large = (results[size] for size in SIZES)
    total = {size: sum(r.pages + r.others for r in runs) for size, runs in results.items()}
    seconds = {size: sum(r.seconds for r in runs) for size, runs in results.items()}
    pairs = zip(small, large, strict=True)
    findings = [
        f"A full pass of the four cheap rules: {total[SIZES[0]]:,} requests in {seconds[SIZES[0]]:.0f} s "
        f"for {SIZES[0]:,} clients, {total[SIZES[1]]:,} in {seconds[SIZES[1]]:.0f} s for {SIZES[1]:,}; "
        "every request is a list page or one services read of a client a filter returned.",
        "Peak memory per rule: "
        + ", ".join(f"{a.rule} {a.peak / 1e6:.1f} to {b.peak / 1e6:.1f} MB" for a, b in pairs)
        + f" (a list page of {PAGE_SIZE} full clients, a page of each filter's list and one batch of"
        f" {RECORD_BATCH} clients' findings at a time: recorded as the scan walks).",
        "At ATTENTION_MAX_REQUESTS_PER_MINUTE=120 the budget, not Gcore, sets the pace: "
        f"{total[SIZES[1]] / 120:.0f} minutes of budget for a full pass at {SIZES[1]:,} clients.",
    ]
    notes = [
        f"Sandbox in this process (seed {SEED}, now {NOW:%Y-%m-%d}) behind the dashboard's own client "
        f"factory; {latency_ms:g} ms latency on each answer (BENCH_LATENCY_MS); requests one at a time. "
        "The budget is set high so that one run is one full pass. Peak memory by tracemalloc; the "
        "sandbox shares the process, so every client's services are built (and its capped activity "
        "log filled) before measuring, its uncapped list of served requests is emptied after each, "
        "and the peak leaves out what it allocates while answering (the answer it returns counts): "
        "the dashboard's own allocations; SQLite in memory.",
    ]
    return Report(rows=rows, findings=findings, notes=notes)
