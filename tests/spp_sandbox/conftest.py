"""Fixtures for the SPP sandbox's own tests: they need no Django, only the sandbox and httpx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from dashboard.spp_sandbox import SandboxTransport, SppSandbox

TOKEN = "spp-test-token_1234"
BASE_URL = "https://billing.example"
# A fixed `now`, so the data (and every date in it) is the same on any day.
NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def token() -> str:
    return TOKEN


@pytest.fixture(scope="session")
def shared_sb() -> SppSandbox:
    """One default-sized sandbox (600 Gcore clients) for tests that only read; never PUT through it."""
    return SppSandbox(seed=42, gcore_clients=600, token=TOKEN, now=NOW)


@pytest.fixture
def sb() -> SppSandbox:
    """A fresh, smaller sandbox for tests that change data, faults or the log."""
    return SppSandbox(seed=7, gcore_clients=120, token=TOKEN, now=NOW)


def _client(sandbox: SppSandbox, *, authorised: bool = True) -> httpx.Client:
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"} if authorised else {}
    return httpx.Client(transport=SandboxTransport(sandbox), base_url=BASE_URL, headers=headers)


@pytest.fixture(scope="session")
def shared_api(shared_sb: SppSandbox) -> Iterator[httpx.Client]:
    with _client(shared_sb) as client:
        yield client


@pytest.fixture
def api(sb: SppSandbox) -> Iterator[httpx.Client]:
    with _client(sb) as client:
        yield client


@pytest.fixture
def anonymous(sb: SppSandbox) -> Iterator[httpx.Client]:
    """The small sandbox without an Authorization header."""
    with _client(sb, authorised=False) as client:
        yield client
