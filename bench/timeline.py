"""Timeline benchmark: the client page and its timeline with 10,000 indexed entries in the account.

Starts the sandbox and the dashboard as `pages` does (gunicorn, production settings, a fresh
database), times the client page with the index empty, puts 10,000 requests of Gcore's activity
log in the dashboard's index (one in ten about the measured client; no audit entries, so the
page's own history stays as it was), then times, the requests taking turns: the client page
(Gcore's two reads, made directly too), the timeline section the page loads by itself, and the
timeline page (50 rows of 1,000).
"""

from __future__ import annotations

import os
import statistics
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.pages import PYTHON, ROOT, interleaved, p95, running_dashboard, timed
from bench.run import Report, benchmark

ENTRIES = 10_000

FILL = """
from datetime import timedelta
from django.utils import timezone
from dashboard.models import GcoreRequest, GcoreRequestClient
client_id, entries = {client_id}, {entries}
now = timezone.now()
owner = lambda n: client_id if n % 10 == 0 else 7
rows = [GcoreRequest(id=n, requested_at=now - timedelta(minutes=n), path=f"/iam/clients/{{owner(n)}}",
        method="PATCH", data='{{"phone":"+49 30 1234"}}', status_code=200, user_email="someone@example.com")
        for n in range(1, entries + 1)]
GcoreRequest.objects.bulk_create(rows, batch_size=2000)
GcoreRequestClient.objects.bulk_create([GcoreRequestClient(request_id=r.id, client_id=owner(r.id),
        requested_at=r.requested_at) for r in rows], batch_size=2000)
"""


@benchmark("timeline", "The client page and its timeline with 10,000 indexed entries of Gcore's log")
def run() -> Report:
    latency_ms = float(os.environ.get("BENCH_LATENCY_MS", "50"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "40"))
    with running_dashboard(latency_ms) as (upstream, web, dashboard):
        first = upstream.get("/iam/clients?limit=1&offset=0&ordering=id&deleted=false").json()
        client_id = first["results"][0]["id"]
        before = _measure(upstream, web, client_id, rounds, timeline=False)  # the index empty
        env = dict(os.environ) | _env_of(dashboard.pid)
        script = FILL.format(client_id=client_id, entries=ENTRIES)
        subprocess.run([PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)
        times = _measure(upstream, web, client_id, rounds, timeline=True)
    times["detail, index empty"] = before["detail"]
    times["direct detail, index empty"] = before["direct detail"]
    empty = statistics.median(before["detail"]) / statistics.median(before["direct detail"])
    detail = statistics.median(times["detail"]) / statistics.median(times["direct detail"])
    rows = []
    for name, key in (
        ("client detail, index empty", "detail, index empty"),
        ("direct: the detail's two Gcore reads (then)", "direct detail, index empty"),
        ("client detail (10,000 entries indexed)", "detail"),
        ("timeline section of the client page (htmx)", "section"),
        ("timeline page, rows 101-150 of 1,000", "timeline"),
        ("direct: the detail's two Gcore reads", "direct detail"),
    ):
        rows.append(
            {
                "page": name,
                "median ms": f"{statistics.median(times[key]):.1f}",
                "p95 ms": f"{p95(times[key]):.1f}",
            }
        )
    return Report(
        rows=rows,
        findings=[
            f"Client detail with {ENTRIES:,} entries indexed: {detail:.2f}x the direct calls, against "
            f"{empty:.2f}x with the index empty in the same run (the timeline loads on its own).",
        ],
        notes=[f"Sandbox latency {latency_ms:.0f} ms; {rounds} rounds, the requests taking turns."],
    )


def _env_of(pid: int) -> dict[str, str]:
    """The dashboard's environment (its database), read from its process."""
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode().partition("=") for item in raw if item)
    return {key: value for key, _, value in pairs}


def _measure(
    upstream: httpx.Client, web: httpx.Client, client_id: int, rounds: int, *, timeline: bool
) -> dict[str, list[float]]:
    fresh = {"X-Refresh": "true"}
    pool = ThreadPoolExecutor(max_workers=2)

    def direct_detail() -> list[httpx.Response]:
        paths = (f"/iam/clients/{client_id}", f"/iam/clients/{client_id}/services")
        return list(pool.map(upstream.get, paths))

    section = {"HX-Request": "true", "HX-Target": "client-timeline"}
    calls = {
        "direct detail": lambda: timed(direct_detail),
        "detail": lambda: timed(lambda: web.get(f"/clients/{client_id}/", headers=fresh)),
    }
    if timeline:
        calls["section"] = lambda: timed(lambda: web.get(f"/clients/{client_id}/timeline/", headers=section))
        calls["timeline"] = lambda: timed(lambda: web.get(f"/clients/{client_id}/timeline/?page=3"))
    return interleaved(calls, rounds)
