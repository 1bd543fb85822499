"""Builds the one Gcore client of this process from the settings: the real API with a token, else a
sandbox (the shared sandbox server at GCORE_SANDBOX_URL, or this process's own in-process one)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.conf import settings

from .client import GcoreClient

if TYPE_CHECKING:
    from dashboard.sandbox import Sandbox


def is_sandbox() -> bool:
    """True when no Gcore token is configured, so a sandbox answers. (Start-up refuses a process
    where that is not what GCORE_SANDBOX says: dashboard/configuration.py.)"""
    return not settings.GCORE_API_TOKEN


@functools.cache
def get_sandbox() -> Sandbox:
    """The in-process sandbox of this process (deterministic demo data)."""
    from dashboard.sandbox import Sandbox

    # Not a secret, but treated like one: the test suite sets a recognisable value and fails if it
    # ever shows up in a response or a log line.
    return Sandbox(token=settings.GCORE_SANDBOX_TOKEN)


@functools.cache
def get_gcore_client() -> GcoreClient:
    """The shared client: one httpx.Client and connection pool per process."""
    transport = None
    base_url, token = settings.GCORE_API_URL, settings.GCORE_API_TOKEN
    if is_sandbox():
        token = settings.GCORE_SANDBOX_TOKEN
        if settings.GCORE_SANDBOX_URL:
            # One sandbox server for every web server and worker: a change made through one process
            # is what the others read, as with the real Gcore.
            base_url = settings.GCORE_SANDBOX_URL
        else:
            from dashboard.sandbox import SandboxTransport

            transport = SandboxTransport(get_sandbox())
    return GcoreClient(
        base_url=base_url,
        token=token,
        connect_timeout=settings.GCORE_CONNECT_TIMEOUT,
        read_timeout=settings.GCORE_READ_TIMEOUT,
        max_retries=settings.GCORE_MAX_RETRIES,
        retry_backoff=settings.GCORE_RETRY_BACKOFF,
        retry_after_cap=settings.GCORE_RETRY_AFTER_CAP,
        pool_size=settings.GCORE_POOL_SIZE,
        transport=transport,
    )
