"""Fixtures for the sandbox's own tests: they need no Django, only the sandbox and httpx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport

TOKEN = "test-token_1234"
BASE_URL = "https://api.gcore.com"
AUTH = {"Authorization": f"APIKey {TOKEN}"}


@pytest.fixture(scope="session")
def shared_sb() -> Sandbox:
    """One 600-client sandbox for tests that only read; never PATCH through it."""
    return Sandbox(seed=42, clients=600, token=TOKEN)


@pytest.fixture
def sb() -> Sandbox:
    """A fresh, smaller sandbox for tests that change data, faults or the log."""
    return Sandbox(seed=7, clients=120, token=TOKEN)


def make_api(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(transport=SandboxTransport(sandbox), base_url=BASE_URL, headers=AUTH)


@pytest.fixture
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    with make_api(sb) as client:
        yield client


@pytest.fixture(scope="session")
def shared_api(shared_sb: Sandbox) -> Iterator[httpx.Client]:
    with make_api(shared_sb) as client:
        yield client


def all_clients(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every client as the API shows it, in id order."""
    return [sandbox.client_json(client_id) for client_id in sandbox.client_ids()]


def listed_ids(client: httpx.Client, **params: Any) -> list[int]:
    """Ids from the unpaginated list for these parameters (asserting a 200)."""
    response = client.get("/iam/clients", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]
