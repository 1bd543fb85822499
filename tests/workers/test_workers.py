"""Bulk changes and schedules across real processes: gunicorn app servers and `manage.py db_worker`
workers on one PostgreSQL, against the loopback Gcore sandbox (README, "Background work").

- A bulk change of two pages of clients survives the web server that started it (SIGKILLed at
  once) and a worker SIGKILLed half-way: the other server shows its progress, the clients the
  dead worker had not started are done by the other worker, the ones it had in flight are
  re-read, never re-sent; a worker stopped with SIGTERM mid-change loses nothing. Gcore receives
  exactly one PUT per client reported changed, and every client ends in exactly one result.
- Two workers racing for the same schedules enqueue one occurrence of each.
"""

from __future__ import annotations

import secrets
import signal
import time

import httpx
import pytest

from tests.helpers import (
    TIMEOUT,
    ProcessBrowser,
    SharedDatabase,
    prepare_for_workers,
    process_of,
    sigkill,
    signal_group,
    start_app_server,
    start_loopback_sandbox,
    start_worker,
    worker_environment,
)

pytestmark = pytest.mark.multiserver

FINAL = {"changed", "unchanged", "failed", "unknown", "skipped"}


def _puts(control: httpx.Client, client_ids: list[int]) -> dict[int, int]:
    """PUTs the sandbox received per client (every one of them applied: no faults are set)."""
    counts = dict.fromkeys(client_ids, 0)
    for entry in control.get("/__sandbox__/requests").json():
        parts = entry["path"].strip("/").split("/")  # iam clients <id> services <service id>
        if entry["method"] == "PUT" and len(parts) == 5 and parts[3] == "services":
            client_id = int(parts[2])
            if client_id in counts:
                counts[client_id] += 1
    return counts


def _check_counts(db: SharedDatabase, control: httpx.Client, bulk_id: int) -> dict[int, str]:
    states = db.item_states(bulk_id)
    assert set(states.values()) <= FINAL, states  # every client ends in exactly one result
    puts = _puts(control, list(states))
    changed = [client for client, state in states.items() if state == "changed"]
    assert sum(puts.values()) == len(changed), (puts, states)  # one PUT per client reported changed
    assert all(puts[client] == 1 for client in changed)
    assert all(puts[client] == 0 for client, state in states.items() if state not in ("changed", "unknown"))
    audited = dict(
        db.all(
            "SELECT client_id, count(*) FROM dashboard_auditentry WHERE action = 'service.update' "
            "AND details->>'bulk' = %s GROUP BY client_id",
            str(bulk_id),
        )
    )
    assert audited == dict.fromkeys(states, 1)  # one entry per client in the activity log
    return states


def test_a_bulk_change_outlives_its_web_server_and_its_workers(postgres_url, redis_url, processes):
    token = "workers-" + secrets.token_urlsafe(16)
    sandbox = start_loopback_sandbox(processes, token, latency_ms=150, clients=300)
    env = worker_environment(postgres_url, redis_url, GCORE_API_URL=sandbox, GCORE_API_TOKEN=token)
    prepare_for_workers(env)
    server_a = start_app_server(processes, "server-a", env)
    server_b = start_app_server(processes, "server-b", env)
    worker_1 = start_worker(processes, "worker-1", env)
    worker_2 = start_worker(processes, "worker-2", env)
    control = httpx.Client(base_url=sandbox, timeout=TIMEOUT)
    api = {"Authorization": f"APIKey {token}"}
    params = {"limit": 50, "ordering": "id", "deleted": "false", "cdn": "active"}
    active = control.get("/iam/clients", params=params, headers=api).json()["results"]
    chosen = [client["id"] for client in active]
    assert len(chosen) == 50  # two pages of the list
    db, person = SharedDatabase(postgres_url), ProcessBrowser(server_a)
    try:
        person.log_in()
        control.delete("/__sandbox__/requests")
        bulk_id = person.start_bulk(chosen, "paused")
        sigkill(process_of(processes, "server-a"))  # the page that started it is gone at once

        person.use(server_b)  # the same browser, through the other server
        db.wait(lambda: db.finished(bulk_id) >= 1, 30, "the first client's change")
        page = person.get(f"/clients/bulk/?batch={bulk_id}")
        assert page.status_code == 200 and "In progress" in page.text and "of 50 done" in page.text

        db.wait(lambda: db.finished(bulk_id) >= 12, 60, "a quarter of the change")
        sigkill(worker_1)  # killed half-way, its clients in flight
        start_worker(processes, "worker-3", env)  # the restart a supervisor would make
        db.wait(lambda: db.bulk_state(bulk_id) == "done", 90, "the end of the change after a SIGKILL")
        states = _check_counts(db, control, bulk_id)
        assert sum(1 for state in states.values() if state in ("changed", "unknown")) == 50
        page = person.get(f"/clients/bulk/?batch={bulk_id}")
        assert "Result" in page.text and "50 of 50 done" in page.text

        # A deploy: the other worker is told to stop (SIGTERM) in the middle of the change back.
        control.delete("/__sandbox__/requests")
        back = [client for client, state in states.items() if state == "changed"]
        bulk_id = person.start_bulk(back, "active")
        db.wait(lambda: db.finished(bulk_id) >= 8, 60, "the start of the second change")
        signal_group(worker_2, signal.SIGTERM)
        worker_2.wait(timeout=20)  # it sends no more and hands the rest on: it ends in seconds
        db.wait(lambda: db.bulk_state(bulk_id) == "done", 90, "the end of the change after a SIGTERM")
        states = _check_counts(db, control, bulk_id)
        assert set(states.values()) == {"changed"}  # nothing lost, nothing in doubt
    finally:
        person.close()
        db.close()
        control.close()


def test_two_workers_racing_for_the_same_schedules_enqueue_one_each(postgres_url, redis_url, processes):
    env = worker_environment(postgres_url, redis_url, SCHEDULE_TICK_SECONDS="0.05", BULK_SWEEP_EVERY="3600")
    env["GCORE_API_TOKEN"] = ""  # the drift build reads the in-process sandboxes
    prepare_for_workers(env, due=("drift", "bulk_sweep", "prune"))  # all due: the first tick makes rows
    first = start_worker(processes, "worker-1", env)
    second = start_worker(processes, "worker-2", env)
    db = SharedDatabase(postgres_url)
    try:
        db.wait(
            lambda: db.one("SELECT count(*) FROM dashboard_schedule WHERE last_outcome <> ''")[0] == 3,
            60,
            "one run of each kind",
        )
        time.sleep(2)  # both keep ticking, forty times or so each, with nothing due
        assert first.poll() is None and second.poll() is None
        table = "django_tasks_database_dbtaskresult"
        enqueued = dict(db.all(f"SELECT task_path, count(*) FROM {table} GROUP BY 1"))
        assert enqueued == {
            "dashboard.tasks.build_drift_list": 1,
            "dashboard.tasks.sweep_bulk_changes": 1,
            "dashboard.tasks.prune_task_results": 1,
        }
        outcomes = dict(db.all("SELECT kind, last_outcome FROM dashboard_schedule WHERE last_outcome <> ''"))
        assert outcomes == {"drift": "ok", "bulk_sweep": "ok", "prune": "ok"}
    finally:
        db.close()
