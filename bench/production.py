"""The list page in production's shape, where no cache can help: the dashboard against Gcore direct.

gunicorn with 2 workers x 4 threads and production settings (DEBUG off, the shared cache in Redis
when one answers on 127.0.0.1, else local memory), the sandbox on loopback at 50 ms
(BENCH_LATENCY_MS), 50 rows a page, and a filter no request has used before on every request
(`id__in__exclude=<a new number>`, which leaves the 50 rows as they are), so every request reaches
Gcore. The direct call asks the same question with httpx; the two take turns (BENCH_ROUNDS, 60).
"""

from __future__ import annotations

import itertools
import os
import random
import statistics

from bench.pages import interleaved, p95, running_dashboard, timed
from bench.run import Report, benchmark

# The benchmark's own Redis database: emptied at the start, so no earlier run's entries can answer.
REDIS = "redis://127.0.0.1:6379/4"


def _cache_url() -> str:
    """Redis on loopback when it answers (production's shape), else each worker's own memory."""
    if url := os.environ.get("BENCH_CACHE_URL"):
        return url
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=0.5).flushdb()
    except Exception:  # noqa: BLE001 - any failure means: no Redis here
        return "locmemcache://"
    return REDIS


@benchmark(
    "production",
    "List (50 rows, a new filter each time) under 2 gunicorn workers x 4 threads vs Gcore direct",
)
def run() -> Report:
    latency_ms = float(os.environ.get("BENCH_LATENCY_MS", "50"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "60"))
    cache_url = _cache_url()
    mine, theirs = measure(latency_ms, rounds, cache_url)
    ratio = statistics.median(mine) / statistics.median(theirs)
    return Report(
        rows=[
            {
                "page": "client list, 50 rows, new filter each time",
                "dashboard median ms": f"{statistics.median(mine):.1f}",
                "dashboard p95 ms": f"{p95(mine):.1f}",
                "direct median ms": f"{statistics.median(theirs):.1f}",
                "direct p95 ms": f"{p95(theirs):.1f}",
                "ratio": f"{ratio:.2f}x",
            }
        ],
        findings=[f"Uncacheable list page: {ratio:.2f}x the direct call (target at most 1.15x)."],
        notes=[
            f"Sandbox latency {latency_ms:.0f} ms; {rounds} rounds, the direct and dashboard requests "
            f"taking turns; gunicorn 2 workers x 4 threads, DEBUG off, cache {cache_url.split(':')[0]}."
        ],
    )


def measure(latency_ms: float, rounds: int, cache_url: str) -> tuple[list[float], list[float]]:
    with running_dashboard(latency_ms, {"CACHE_URL": cache_url}, workers=2, threads=4) as (upstream, web, _):
        # Client ids nobody has (the page keeps its 50 rows), never the same twice, not even across runs.
        numbers = itertools.count(900_000_000 + random.randrange(10**8))

        def dashboard_list() -> float:
            return timed(lambda: web.get(f"/clients/?page_size=50&id__in__exclude={next(numbers)}"))

        def direct_list() -> float:
            query = f"limit=50&offset=0&ordering=id&deleted=false&id__in__exclude={next(numbers)}"
            return timed(lambda: upstream.get(f"/iam/clients?{query}"))

        for _ in range(10):  # both workers: templates, connections, sessions
            dashboard_list()
        times = interleaved({"direct": direct_list, "dashboard": dashboard_list}, rounds)
        return times["dashboard"], times["direct"]
