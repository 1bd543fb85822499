"""Page benchmark: the dashboard's time against the same Gcore calls made directly.

Starts the Gcore sandbox on loopback with a fixed latency (BENCH_LATENCY_MS, default 50) and the
dashboard under gunicorn (production settings) against it, then measures in one run, with the same
HTTP client: the client list (50 rows), the client detail (the client and its services, read at
once) and a save, each through the dashboard and as the same upstream call(s) made directly with
httpx; and the list and detail served from the
dashboard's cache. BENCH_ROUNDS (default 40) rounds in which every request takes its turn, so the
direct calls and the dashboard meet the same machine load; BENCH_DATABASE_URL may point the
dashboard at an empty PostgreSQL database instead of a temporary SQLite file.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.run import Report, benchmark

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TOKEN = "bench-token"
PASSWORD = "bench-password-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start_sandbox(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            PYTHON, "manage.py", "gcore_sandbox",
            "--port", "0", "--token", TOKEN, "--latency-ms", str(latency_ms),
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "dashboard.settings"},
    )  # fmt: skip
    line = process.stdout.readline() if process.stdout else ""
    match = re.search(r"http://[\d.]+:\d+", line)
    if not match:
        process.kill()
        raise RuntimeError(f"sandbox did not start: {line!r}")
    return process, match.group(0)


def dashboard_env(workdir: Path, sandbox_url: str) -> dict[str, str]:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DEBUG": "false",
        # The bench's staff account signs in with a password: the pages, not the sign-in, are measured.
        "MFA_REQUIRED": "false",
        "SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        # Production runs PostgreSQL; BENCH_DATABASE_URL points there (an empty database it may fill).
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "GCORE_API_URL": sandbox_url,
        "GCORE_API_TOKEN": TOKEN,
        "GCORE_CACHE_SECONDS": "300",
        "LOG_LEVEL": "WARNING",
    }


def prepare_database(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    # Production settings serve hashed static files: collect them as a deployment would.
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from django.contrib.auth import get_user_model; from django.contrib.auth.models import Group;"
        f"u = get_user_model().objects.create_user('bench', password={PASSWORD!r});"
        "u.groups.add(Group.objects.get(name='Support agents'))"
    )
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True
    )


def start_dashboard(
    env: dict[str, str], port: int, *, workers: int = 1, threads: int | None = None
) -> subprocess.Popen[str]:
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    threads = threads or int(os.environ.get("BENCH_THREADS", "4"))
    return subprocess.Popen(
        [
            gunicorn, "dashboard.wsgi", "-b", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--log-level", "warning",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def log_in(http: httpx.Client) -> None:
    page = http.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    http.post("/accounts/login/", data={"login": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert http.get("/clients/").status_code == 200, "login failed"


class LoopbackBrowser(httpx.Client):
    """DEBUG is off, so Django marks cookies Secure; keep sending them over loopback http."""

    def send(self, request: httpx.Request, **kwargs: object) -> httpx.Response:  # type: ignore[override]
        response = super().send(request, **kwargs)  # type: ignore[arg-type]
        for cookie in self.cookies.jar:
            cookie.secure = False
        return response


def timed(call: Callable[[], httpx.Response | list[httpx.Response]]) -> float:
    """The time in ms of one request, or of requests made at once (a failed one stops the benchmark)."""
    started = time.perf_counter()
    answer = call()
    elapsed = (time.perf_counter() - started) * 1000
    for response in answer if isinstance(answer, list) else [answer]:
        assert response.status_code < 400, (response.status_code, response.text[:300])
    return elapsed


def interleaved(calls: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each call's times over `rounds` rounds, the calls taking turns within each round.

    Taking turns puts the dashboard and the direct calls under the same conditions: a shared
    machine's background load drifts, and timing one block after the other would charge the
    drift to whichever ran second. One warm-up round first (connections, caches).
    """
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            times[name].append(call())
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def peak_rss_mb(pid: int) -> float:
    """The highest resident memory of the gunicorn worker (a child of the arbiter), in MB."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    best = 0
    for worker in pids or [pid]:
        status = Path(f"/proc/{worker}/status").read_text()
        best = max(best, int(re.search(r"VmHWM:\s+(\d+)", status).group(1)))  # type: ignore[union-attr]
    return best / 1024


@benchmark(
    "pages", "List (50 rows), detail and save through the dashboard vs the same Gcore calls made directly"
)
def run() -> Report:
    latency_ms = float(os.environ.get("BENCH_LATENCY_MS", "50"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "40"))
    rows, rss = measure_pages(latency_ms, rounds)
    table = []
    ratios = {}
    for name, mine, theirs in rows:
        ratios[name] = statistics.median(mine) / statistics.median(theirs)
        table.append(
            {
                "page": name,
                "dashboard median ms": f"{statistics.median(mine):.1f}",
                "dashboard p95 ms": f"{p95(mine):.1f}",
                "direct median ms": f"{statistics.median(theirs):.1f}",
                "direct p95 ms": f"{p95(theirs):.1f}",
                "ratio": f"{ratios[name]:.2f}x",
            }
        )
    return Report(
        rows=table,
        findings=[
            f"List page through the dashboard: {ratios['client list, 50 rows']:.2f}x the direct call "
            "(target at most 1.15x).",
            f"Cached list page: {ratios['client list, 50 rows, cached']:.2f}x the direct call "
            "(target at most 0.2x).",
            f"Peak memory of the gunicorn worker: {rss:.0f} MB (VmHWM).",
        ],
        notes=[
            f"Sandbox latency {latency_ms:.0f} ms; {rounds} rounds, "
            "the direct and dashboard requests taking turns; "
            "one gunicorn worker with 4 threads; "
            "the save re-reads the client (conflict check) and PATCHes, "
            "so its direct column makes both calls."
        ],
    )


def measure_pages(latency_ms: float, rounds: int) -> tuple[list[tuple[str, list[float], list[float]]], float]:
    """(page, dashboard times, direct times) for each page, and the worker's peak memory in MB."""
    with running_dashboard(latency_ms) as (upstream, web, dashboard):
        return _measure(upstream, web, rounds), peak_rss_mb(dashboard.pid)


@contextmanager
def running_dashboard(
    latency_ms: float, env: dict[str, str] | None = None, **gunicorn: int
) -> Iterator[tuple[httpx.Client, LoopbackBrowser, subprocess.Popen]]:
    """The sandbox and the dashboard (gunicorn, a fresh database, logged in) in their own processes:
    an API client for the sandbox, the logged-in browser and the dashboard's process. Both are
    stopped when the block ends."""
    sandbox, sandbox_url = start_sandbox(latency_ms)
    dashboard = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            full_env = dashboard_env(Path(tmp), sandbox_url) | (env or {})
            prepare_database(full_env)
            port = free_port()
            dashboard = start_dashboard(full_env, port, **gunicorn)
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/healthz")
            upstream = httpx.Client(
                base_url=sandbox_url, headers={"Authorization": f"APIKey {TOKEN}"}, timeout=30
            )
            web = LoopbackBrowser(base_url=base, timeout=30)
            log_in(web)
            yield upstream, web, dashboard
    finally:
        for process in (dashboard, sandbox):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _measure(
    upstream: httpx.Client, web: httpx.Client, rounds: int
) -> list[tuple[str, list[float], list[float]]]:
    list_query = "limit=50&offset=0&ordering=id&deleted=false"
    client_id = upstream.get(f"/iam/clients?{list_query}").json()["results"][0]["id"]
    fresh = {"X-Refresh": "true"}  # the dashboard skips its cache for these
    htmx = fresh | {"HX-Request": "true"}
    counter = iter(range(10**6))
    pool = ThreadPoolExecutor(max_workers=2)

    def direct_detail() -> list[httpx.Response]:
        # The page reads the client and its services at once; so does the direct side.
        paths = (f"/iam/clients/{client_id}", f"/iam/clients/{client_id}/services")
        return list(pool.map(upstream.get, paths))

    def direct_save() -> httpx.Response:
        upstream.get(f"/iam/clients/{client_id}")
        return upstream.patch(f"/iam/clients/{client_id}", json={"custom_id": f"direct-{next(counter)}"})

    def save_form() -> dict[str, str]:
        current = upstream.get(f"/iam/clients/{client_id}").json()  # what the opened form would hold
        original = {
            "email": current["email"], "company_name": current["companyName"], "name": current["name"],
            "phone": current.get("phone"), "custom_id": current.get("custom_id"),
            "is_test": current["is_test"],
            "seller": current.get("seller"), "reseller": current.get("resellers"),
        }  # fmt: skip
        form = {k: v for k, v in original.items() if v not in (None, False)} | {
            "custom_id": f"web-{next(counter)}"
        }
        form["original"] = json.dumps(original)
        if form.get("is_test"):
            form["is_test"] = "on"
        return form

    def dashboard_save() -> float:
        form = save_form()  # not timed: the form was opened earlier
        headers = {"X-CSRFToken": web.cookies.get("csrftoken", ""), "HX-Request": "true"}
        started = time.perf_counter()
        response = web.post(f"/clients/{client_id}/edit/", data=form, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.text[:300]
        return elapsed

    times = interleaved(
        {
            "direct list": lambda: timed(lambda: upstream.get(f"/iam/clients?{list_query}")),
            "list": lambda: timed(lambda: web.get("/clients/?page_size=50", headers=fresh)),
            "list htmx": lambda: timed(lambda: web.get("/clients/?page_size=50", headers=htmx)),
            "list cached": lambda: timed(lambda: web.get("/clients/?page_size=50")),
            "direct detail": lambda: timed(direct_detail),
            "detail": lambda: timed(lambda: web.get(f"/clients/{client_id}/", headers=fresh)),
            "detail cached": lambda: timed(lambda: web.get(f"/clients/{client_id}/")),
        },
        rounds,
    )
    # The saves last: each one changes the client, its history and every cached list.
    times |= interleaved({"direct save": lambda: timed(direct_save), "save": dashboard_save}, rounds)
    return [
        ("client list, 50 rows", times["list"], times["direct list"]),
        ("client list, 50 rows, htmx", times["list htmx"], times["direct list"]),
        ("client list, 50 rows, cached", times["list cached"], times["direct list"]),
        ("client detail", times["detail"], times["direct detail"]),
        ("client detail, cached", times["detail cached"], times["direct detail"]),
        ("save (re-read + PATCH)", times["save"], times["direct save"]),
    ]
