"""Bulk change benchmark: 500 clients' CDN status changed by two `manage.py db_worker` processes,
against the loopback Gcore sandbox at 50 ms per request, compared with the upstream alone.

The dashboard's time is the change's own: from `started_at` (set by `bulk_start`, which queues the
runs) to `finished_at` (set by the run that settles it), both read from the database, so neither
process start-up nor polling is counted. The workers are started beforehand and idle. Each client
costs Gcore two requests (the re-read of its services, then the PUT), so "the upstream alone" is
the same 1,000 requests sent by a plain thread pool as wide as the workers together (2 workers x
BULK_CONCURRENCY 4 = 8), changing the same clients back. Their ratio is the dashboard's overhead:
claims, results, audit entries and heartbeats in the database while Gcore answers.

BENCH_DATABASE_URL (an empty PostgreSQL database) is used when set, as production would; otherwise
a SQLite file in a temporary directory, as `make run` does. BENCH_LATENCY_MS changes the 50 ms.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.run import Report, benchmark

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLIENTS, WORKERS, CONCURRENCY = 500, 2, 4
TOKEN = "bench-bulk-" + secrets.token_urlsafe(12)

PREPARE = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import ClientSummary
from dashboard.models import Schedule
from dashboard.services.bulk import bulk_preview
admin = get_user_model().objects.create_superuser("bench-admin", password="unused-" + "x" * 20)
later = timezone.now() + timedelta(days=1)
for kind in ("drift", "bulk_sweep", "prune"):
    Schedule.objects.create(kind=kind, next_run=later)
page = get_gcore_client().list_clients(
    filters={"cdn": "active", "deleted": "false"}, ordering="id", limit=%(clients)d, offset=0,
    model=ClientSummary,
)
bulk = bulk_preview(service="CDN", status="paused", actor=admin, client_ids=[c.id for c in page.results])
print("BULK", bulk.pk, " ".join(str(c.id) for c in page.results))
"""

START = """
from django.contrib.auth import get_user_model
from dashboard.models import BulkChange
from dashboard.services.bulk import bulk_start
bulk_start(BulkChange.objects.get(pk=%(bulk)d), reason="benchmark", actor=get_user_model().objects.get())
"""


def _env(database_url: str, sandbox: str) -> dict[str, str]:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DEBUG": "true",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "DATABASE_URL": database_url,
        "CACHE_URL": "locmemcache://",
        "GCORE_API_URL": sandbox,
        "GCORE_API_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
        "BULK_WORKERS": str(WORKERS),
        "BULK_CONCURRENCY": str(CONCURRENCY),
        "BULK_MAX_CLIENTS": str(CLIENTS),
    }


def _manage(env: dict[str, str], *args: str, extra: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env | (extra or {}), capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Rows:
    """The change's row, read straight from the shared database (SQLite file or PostgreSQL)."""

    def __init__(self, database_url: str) -> None:
        if database_url.startswith("sqlite"):
            self.connection: Any = sqlite3.connect(database_url.split("sqlite:///", 1)[1])
            self.mark = "?"
        else:
            import psycopg

            self.connection = psycopg.connect(database_url, autocommit=True)
            self.mark = "%s"

    def change(self, bulk_id: int) -> tuple[str, Any, Any]:
        sql = f"SELECT state, started_at, finished_at FROM dashboard_bulkchange WHERE id = {self.mark}"  # noqa: S608 - a placeholder, not input
        return self.connection.execute(sql, (bulk_id,)).fetchone()

    def states(self, bulk_id: int) -> dict[str, int]:
        sql = f"SELECT state, count(*) FROM dashboard_bulkitem WHERE bulk_id = {self.mark} GROUP BY state"  # noqa: S608 - a placeholder, not input
        return dict(self.connection.execute(sql, (bulk_id,)).fetchall())

    def close(self) -> None:
        self.connection.close()


def _when(value: Any) -> float:
    if isinstance(value, str):  # SQLite
        from datetime import datetime

        return datetime.fromisoformat(value).timestamp()
    return value.timestamp()


def _upstream_alone(sandbox: str, client_ids: list[int], width: int) -> float:
    """The same two requests per client, sent by a plain pool as wide as the workers together."""
    headers = {"Authorization": f"APIKey {TOKEN}"}
    limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
    with httpx.Client(base_url=sandbox, headers=headers, limits=limits, timeout=30) as http:

        def change_back(client_id: int) -> None:
            services = http.get(f"/iam/clients/{client_id}/services").json()
            cdn = next(service for service in services if service["name"] == "CDN")
            http.put(f"/iam/clients/{client_id}/services/{cdn['id']}", json={"status": "active"})

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=width) as pool:
            list(pool.map(change_back, client_ids))
        return time.perf_counter() - started


@benchmark("bulk", "500 clients changed by two workers at 50 ms per Gcore request, vs the upstream alone")
def run() -> Report:
    latency = float(os.environ.get("BENCH_LATENCY_MS", "50"))
    workdir = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    processes: list[subprocess.Popen[str]] = []
    try:
        sandbox_process = subprocess.Popen(
            [PYTHON, "manage.py", "gcore_sandbox", "--port", "0", "--token", TOKEN, "--clients", "3000",
             "--latency-ms", str(latency)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env=os.environ | {"DJANGO_SETTINGS_MODULE": "dashboard.settings"},
        )  # fmt: skip
        processes.append(sandbox_process)
        line = sandbox_process.stdout.readline() if sandbox_process.stdout else ""
        match = re.search(r"http://[\d.]+:\d+", line)
        if not match:
            raise RuntimeError(f"sandbox did not start: {line!r}")
        sandbox = match.group(0)
        env = _env(database_url, sandbox)
        _manage(env, "migrate", "--noinput", "-v0")
        out = _manage(env, "shell", "-c", PREPARE % {"clients": CLIENTS}, extra={"BULK_CONCURRENCY": "16"})
        bulk_id, *ids = out.split("BULK", 1)[1].split()
        bulk_id, client_ids = int(bulk_id), [int(i) for i in ids]
        assert len(client_ids) == CLIENTS, f"only {len(client_ids)} clients with an active CDN"
        for number in range(WORKERS):
            command = [PYTHON, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
            command += ["--interval", "0.05", "--worker-id", f"bench-{number}"]
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, text=True, **quiet))
        time.sleep(3)  # the workers load Django and start polling: their start-up is not the change's
        httpx.delete(f"{sandbox}/__sandbox__/requests")
        _manage(env, "shell", "-c", START % {"bulk": bulk_id})
        rows = Rows(database_url)
        deadline = time.monotonic() + 300
        while (change := rows.change(bulk_id))[0] == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        state, started_at, finished_at = change
        states = rows.states(bulk_id)
        rows.close()
        log = httpx.get(f"{sandbox}/__sandbox__/requests").json()
        puts = sum(1 for entry in log if entry["method"] == "PUT")
        dashboard_s = _when(finished_at) - _when(started_at)
        width = WORKERS * CONCURRENCY
        upstream_s = _upstream_alone(sandbox, client_ids, width)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    ratio = dashboard_s / upstream_s
    load = os.getloadavg()[0]
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite (file)"
    rows_out = [
        {"run": f"dashboard: {WORKERS} workers x {CONCURRENCY} at once", "clients": str(CLIENTS),
         "Gcore requests": f"{len(log):,}", "seconds": f"{dashboard_s:.2f}",
         "vs upstream alone": f"{ratio:.2f}x"},
        {"run": f"upstream alone: {width} at once", "clients": str(CLIENTS),
         "Gcore requests": f"{2 * CLIENTS:,}", "seconds": f"{upstream_s:.2f}", "vs upstream alone": "1.00x"},
    ]  # fmt: skip
    findings = [
        f"The change ended {state} with {states.get('changed', 0)} clients changed; Gcore received "
        f"{puts} PUTs (one per client changed).",
        f"{ratio:.2f}x the upstream's own time at {latency:.0f} ms per request and {width} at once "
        f"({'within' if ratio <= 1.2 else 'over'} the 1.2x target); database: {database}.",
        f"Load average at the end: {load:.1f} on {os.cpu_count()} cores. The workers spend CPU the plain "
        "pool does not (the database, the audit, parsing Gcore's answers): on a busy machine that "
        "time is taken from Gcore's latency, not hidden in it.",
    ]
    return Report(rows=rows_out, findings=findings)
