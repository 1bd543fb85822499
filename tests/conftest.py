"""Fixtures shared by the whole suite: staff accounts per role and a fresh sandbox per test."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client as DjangoClient

from dashboard.gcore import get_gcore_client, get_sandbox
from dashboard.roles import MANAGERS, SUPPORT_AGENTS
from dashboard.services.cache import local_copies
from dashboard.spp import get_spp_client, get_spp_sandbox
from tests.helpers import logged_in, make_staff


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
