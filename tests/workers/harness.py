"""Real processes for the cross-process tests: the loopback Gcore sandbox, gunicorn app servers and
`manage.py db_worker` workers on one PostgreSQL (and one Redis), as production runs them.

The services, the process bookkeeping and the app servers are the multi-server test's
(tests/multiserver/test_two_servers.py); this adds workers, a sandbox with latency, a signed-in
administrator and reads of the shared database.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from typing import Any

import httpx
import pytest

from tests.multiserver.test_two_servers import (
    PYTHON,
    TIMEOUT,
    Processes,
    _base_env,
    _manage,
    _start_app_server,
    _tail,
)

LISTENING = re.compile(r"Gcore sandbox listening on (http://\S+) ")
ADMIN, PASSWORD = "ada.admin", "workers-" + secrets.token_urlsafe(12)


def start_sandbox(processes: Processes, token: str, *, latency_ms: float, clients: int = 120) -> str:
    process, log = processes.start(
        "sandbox",
        [PYTHON, "manage.py", "gcore_sandbox", "--port", "0", "--token", token, "--clients", str(clients),
         "--latency-ms", str(latency_ms)],
        _base_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if match := LISTENING.search(log.read_text(errors="replace")):
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"the sandbox did not start within 20 s:\n{_tail(log)}", pytrace=False)


def environment(postgres_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """One environment for servers and workers: quick heartbeats and sweeps, so a lost worker is
    noticed in seconds; drift builds and pruning far apart (set up as not due by `prepare`)."""
    return (
        _base_env()
        | {
            "DATABASE_URL": postgres_url,
            "CACHE_URL": redis_url,
            "DEBUG": "true",
            "MFA_REQUIRED": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "CONN_MAX_AGE": "0",
            "BULK_CONCURRENCY": "2",
            "BULK_WORKERS": "2",
            "BULK_HEARTBEAT_SECONDS": "0.3",
            "BULK_STALE_SECONDS": "3",
            "BULK_SWEEP_EVERY": "1",
            "SCHEDULE_TICK_SECONDS": "0.3",
            "DRIFT_EVERY": "3600",
            "TASK_PRUNE_EVERY": "3600",
        }
        | extra
    )


def prepare(env: dict[str, str], *, due: tuple[str, ...] = ("bulk_sweep",)) -> None:
    """Migrate, make the administrator, and leave only the `due` kinds of recurring work due."""
    _manage(env, "migrate", "--noinput")
    _manage(
        env, "shell", "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from django.contrib.auth import get_user_model; from dashboard.models import Schedule; "
        f"get_user_model().objects.create_superuser({ADMIN!r}, password={PASSWORD!r}); "
        "later = timezone.now() + timedelta(hours=1); "
        f"[Schedule.objects.create(kind=k, next_run=later) for k in ('drift', 'bulk_sweep', 'prune') "
        f"if k not in {due!r}]",
    )  # fmt: skip


def start_worker(processes: Processes, label: str, env: dict[str, str]) -> subprocess.Popen[str]:
    process, _ = processes.start(
        label,
        [PYTHON, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2",
         "--worker-id", label],
        env,
    )  # fmt: skip
    return process


def start_server(processes: Processes, label: str, env: dict[str, str]) -> str:
    return _start_app_server(processes, label, env)


def process_of(processes: Processes, label: str) -> subprocess.Popen[str]:
    return next(process for name, process in processes.started if name == label)


def signal_group(process: subprocess.Popen[str], signum: int) -> None:
    """The process and anything it started (each was started in a session of its own)."""
    os.killpg(process.pid, signum)


def sigkill(process: subprocess.Popen[str]) -> None:
    signal_group(process, signal.SIGKILL)
    process.wait(timeout=10)


class Browser:
    """A staff member's browser, pointed at one app server or another (the cookies go along)."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=False)

    def use(self, base: str) -> None:
        self.http.base_url = httpx.URL(base)

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def post(self, url: str, data: dict[str, Any]) -> httpx.Response:
        token = self.http.cookies.get("csrftoken")
        assert token, f"no csrftoken cookie before POST {url}"
        return self.http.post(url, data=data, headers={"X-CSRFToken": token})

    def log_in(self) -> None:
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {"login": ADMIN, "password": PASSWORD})
        assert response.status_code == 302, f"login: {response.status_code}"

    def start_bulk(self, client_ids: list[int], status: str) -> int:
        data = {"action": "preview", "scope": "ids", "client": client_ids, "service": "CDN", "status": status}
        response = self.post("/clients/bulk/", data)
        assert response.status_code == 302, response.text[:500]
        bulk_id = int(response.headers["location"].rsplit("=", 1)[1])
        data = {"action": "start", "batch": bulk_id, "reason": "Cross-process test", "confirm": "on"}
        response = self.post("/clients/bulk/", data)
        assert response.status_code == 302, response.text[:500]
        return bulk_id

    def close(self) -> None:
        self.http.close()


class Database:
    """Reads of the shared PostgreSQL database, as any server would see it."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def one(self, sql: str, *params: Any) -> Any:
        return self.connection.execute(sql, params).fetchone()

    def all(self, sql: str, *params: Any) -> list[Any]:
        return self.connection.execute(sql, params).fetchall()

    def bulk_state(self, bulk_id: int) -> str:
        return self.one("SELECT state FROM dashboard_bulkchange WHERE id = %s", bulk_id)[0]

    def item_states(self, bulk_id: int) -> dict[int, str]:
        return dict(self.all("SELECT client_id, state FROM dashboard_bulkitem WHERE bulk_id = %s", bulk_id))

    def finished(self, bulk_id: int) -> int:
        states = self.item_states(bulk_id).values()
        return sum(1 for state in states if state not in ("pending", "sending", "excluded"))

    def wait(self, condition: Any, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        pytest.fail(f"{what} did not happen within {seconds:.0f} s", pytrace=False)

    def close(self) -> None:
        self.connection.close()
