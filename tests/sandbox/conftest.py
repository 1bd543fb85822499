"""Fixtures for the sandbox's own tests: they need no Django, only the sandbox and httpx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dashboard.sandbox import Sandbox
from tests.helpers import TOKEN, make_api


@pytest.fixture(scope="session")
def shared_sb() -> Sandbox:
    """One 600-client sandbox for tests that only read; never PATCH through it."""
    return Sandbox(seed=42, clients=600, token=TOKEN)


@pytest.fixture
def sb() -> Sandbox:
    """A fresh, smaller sandbox for tests that change data, faults or the log."""
    return Sandbox(seed=7, clients=120, token=TOKEN)


@pytest.fixture
def api(sb: Sandbox) -> Iterator[httpx.Client]:
    with make_api(sb) as client:
        yield client


@pytest.fixture(scope="session")
def shared_api(shared_sb: Sandbox) -> Iterator[httpx.Client]:
    with make_api(shared_sb) as client:
        yield client
