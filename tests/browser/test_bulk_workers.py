"""A person starts a bulk change in the browser on one app server, reloads it on another (a second
dashboard process), sees its progress there and stops it: the change runs on a worker, not in
either server. Real processes on PostgreSQL, as in tests/workers/ (skipped without PostgreSQL and
Redis, except under CI=true)."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.helpers import (
    WORKERS_ADMIN,
    WORKERS_PASSWORD,
    SharedDatabase,
    prepare_for_workers,
    start_app_server,
    start_loopback_sandbox,
    start_worker,
    worker_environment,
)

pytestmark = [pytest.mark.browser, pytest.mark.multiserver]


def test_start_on_one_server_follow_and_stop_on_another(chromium, postgres_url, redis_url, processes):
    token = "browser-" + secrets.token_urlsafe(16)
    sandbox = start_loopback_sandbox(processes, token, latency_ms=200, clients=300)
    env = worker_environment(postgres_url, redis_url, GCORE_API_URL=sandbox, GCORE_API_TOKEN=token)
    env |= {"BULK_CONCURRENCY": "1", "BULK_WORKERS": "1"}  # slow enough to be seen, and stopped
    prepare_for_workers(env)
    server_a = start_app_server(processes, "server-a", env)
    server_b = start_app_server(processes, "server-b", env)
    start_worker(processes, "worker-1", env)
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    db = SharedDatabase(postgres_url)
    try:
        page.goto(f"{server_a}/accounts/login/")
        page.get_by_label("Username").fill(WORKERS_ADMIN)
        page.get_by_label("Password").fill(WORKERS_PASSWORD)
        page.get_by_role("button", name=re.compile("Sign in|Log in", re.I)).click()
        page.goto(f"{server_a}/clients/?cdn=active")
        page.get_by_label("Service").select_option("CDN")
        page.get_by_label("New status").select_option("paused")
        page.get_by_role("button", name=re.compile(r"Preview for all \d+ matching")).click()
        page.get_by_label("Reason").fill("Browser test across two servers")
        page.locator("input[name=confirm]").check()
        page.get_by_role("button", name="Start the change").click()
        page.get_by_text("In progress").wait_for()
        batch = page.url.rsplit("batch=", 1)[1]

        # The same browser, the same change, through the other server: the progress is there.
        page.goto(f"{server_b}/clients/bulk/?batch={batch}")
        page.get_by_text("In progress").wait_for()
        counts = page.locator(".bulk-counts")
        done = re.compile(r"([1-9]\d*) of (\d+) done")
        counts.filter(has_text=done).wait_for()  # it moves while the page polls
        page.get_by_role("button", name="Stop").click()
        page.get_by_role("heading", name=re.compile("Result: stopped")).wait_for()
        states = db.item_states(int(batch)).values()
        assert "skipped" in states and "sending" not in states and "pending" not in states
        assert db.bulk_state(int(batch)) == "stopped"
    finally:
        db.close()
        context.close()
