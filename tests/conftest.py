"""Fixtures shared by the whole suite: staff accounts per role and a fresh sandbox per test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client as DjangoClient

from dashboard.gcore import get_gcore_client, get_sandbox
from dashboard.roles import MANAGERS, SUPPORT_AGENTS
from dashboard.services.cache import local_copies
from dashboard.spp import get_spp_client, get_spp_sandbox
from tests.helpers import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    REDIS_DB,
    REDIS_HOST,
    REDIS_PORT,
    Processes,
    exclusive,
    logged_in,
    make_staff,
    unavailable,
)


@pytest.fixture(scope="session", autouse=True)
def _no_token_leaks_and_strict_csp():
    """Watches the whole run: every log record (root handler) and every response (EvidenceMiddleware
    in tests/settings.py). Fails at the end if the Gcore token appeared or a page broke the CSP."""
    import logging

    from tests.security.evidence import EVIDENCE, LeakLogHandler, report

    handler = LeakLogHandler()
    logging.getLogger().addHandler(handler)
    yield EVIDENCE
    logging.getLogger().removeHandler(handler)
    if problems := report():
        pytest.fail(f"Security checks over the whole test run failed:\n{problems}", pytrace=False)


@pytest.fixture(autouse=True)
def _fresh_gcore():
    """Every test starts from the seeded sandbox data (Gcore's and SPP's), new clients and an empty cache."""
    caches = (get_gcore_client, get_sandbox, get_spp_client, get_spp_sandbox)
    for cached in caches:
        cached.cache_clear()
    cache.clear()
    local_copies.clear()
    yield
    for cached in caches:
        cached.cache_clear()


@pytest.fixture
def sandbox():
    """The in-process Gcore sandbox that answers the dashboard in this test."""
    return get_sandbox()


@pytest.fixture
def spp_sandbox():
    """The in-process SPP sandbox that answers the dashboard in this test (its data tied to Gcore's)."""
    return get_spp_sandbox()


@pytest.fixture
def manager(db):
    return make_staff("mia.manager", MANAGERS)


@pytest.fixture
def support(db):
    return make_staff("sam.support", SUPPORT_AGENTS)


@pytest.fixture
def admin_user(db):
    return make_staff("ada.admin", superuser=True)


@pytest.fixture
def nobody(db):
    """A staff account in no group: logged in, but allowed nothing."""
    return make_staff("nora.nobody")


@pytest.fixture
def manager_client(manager) -> DjangoClient:
    return logged_in(manager)


@pytest.fixture
def support_client(support) -> DjangoClient:
    return logged_in(support)


@pytest.fixture
def admin_client_(admin_user) -> DjangoClient:
    return logged_in(admin_user)


@pytest.fixture
def wire(monkeypatch):
    """Every request the dashboard sends to the in-process Gcore sandbox, with its JSON body, in order:
    [(method, path, body or None)]. Watched at the edge: the sandbox transport."""
    import json

    from dashboard.sandbox import SandboxTransport

    sent: list[tuple[str, str, object]] = []
    original = SandboxTransport.handle_request

    def recording(self, request):
        content = request.read()
        is_json = request.headers.get("content-type", "").startswith("application/json")
        # A multipart upload is recorded as its raw bytes.
        body = (json.loads(content) if is_json else content) if content else None
        sent.append((request.method, request.url.path, body))
        return original(self, request)

    monkeypatch.setattr(SandboxTransport, "handle_request", recording)
    return sent


# -- real processes (tests/multiserver/, tests/workers/): skipped without PostgreSQL and Redis on
# 127.0.0.1, except under CI=true where they fail ------------------------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database of its own on the local PostgreSQL, dropped afterwards."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency of the project
        unavailable("psycopg is not installed")
    name = f"multiserver_{secrets.token_hex(6)}"
    try:
        admin = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True, connect_timeout=3
        )
    except psycopg.Error as exc:
        unavailable(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} as {PG_USER}: {exc}".strip())
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
        finally:
            # FORCE ends any connection a killed server may have left behind (PostgreSQL 13+).
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database index of its own, empty at the start and flushed at the end. The dashboard's
    cache keys carry no per-run prefix, so a concurrent run of this test waits for the index."""
    import redis

    client = redis.Redis(
        host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=3, socket_timeout=5
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}: {exc}")
    with exclusive(f"gcore-dashboard-multiserver-redis-{REDIS_DB}.lock", 120):
        client.flushdb()
        try:
            yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
        finally:
            client.flushdb()
            client.close()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()
