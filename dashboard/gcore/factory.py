"""Builds the one Gcore client of this process from the settings: the real API with a token, else a
sandbox (the shared sandbox server at GCORE_SANDBOX_URL, or this process's own in-process one)."""

from __future__ import annotations

import functools
import re
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


# Gcore: a permanent API token is `<id>$<secret>` (older ones `<id>_<secret>`); the activity log
# names a request's token by that id (AccountRequestsItem.token, docs/gcore-api-notes.md §13).
_TOKEN_HEAD = re.compile(r"([0-9]+)[$_]")


def dashboard_token_id() -> int | None:
    """The id under which Gcore's activity log names the dashboard's own token: GCORE_API_TOKEN_ID,
    else the head of the key in use; None when neither tells (nothing is then marked "dashboard")."""
    if settings.GCORE_API_TOKEN_ID is not None:
        return settings.GCORE_API_TOKEN_ID
    key = settings.GCORE_API_TOKEN if not is_sandbox() else settings.GCORE_SANDBOX_TOKEN
    if match := _TOKEN_HEAD.match(key.strip()):
        return int(match.group(1))
    if is_sandbox():
        from dashboard.sandbox.catalog import RESELLER_TOKEN_ID

        # The sandbox logs any other key as the reseller's own token (docs/gcore-api-notes.md §13).
        return RESELLER_TOKEN_ID
    return None
