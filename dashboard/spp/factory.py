"""Builds the one SPP client of this process from the settings: the workspace with a key, else a
sandbox (the shared sandbox server at SPP_SANDBOX_URL, or this process's own), or none at all."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal

from django.conf import settings

from .client import SppClient

if TYPE_CHECKING:
    from dashboard.spp_sandbox import SppSandbox

# No key in development means the built-in sandbox; in production billing is off unless SPP_SANDBOX
# asks for a training install. The in-process sandbox answers under this (never resolved) address.
SANDBOX_URL = "https://spp.sandbox"

Mode = Literal["api", "sandbox", "off"]


def spp_mode() -> Mode:
    """ "api" with SPP_API_TOKEN; without it, "sandbox" with SPP_SANDBOX (by default when DEBUG was on
    at start-up and nothing of SPP was set), else "off"."""
    return settings.SPP_MODE


@functools.cache
def get_spp_sandbox() -> SppSandbox:
    """The in-process SPP sandbox of this process (demo data tied to the Gcore sandbox's)."""
    from dashboard.spp_sandbox import SppSandbox

    # Not a secret, but treated like one: the test suite sets a recognisable value.
    return SppSandbox(token=settings.SPP_SANDBOX_TOKEN)


@functools.cache
def get_spp_client() -> SppClient:
    """The shared client: one httpx.Client and connection pool per process. Only when not "off"."""
    mode = spp_mode()
    if mode == "off":
        raise RuntimeError("SPP is not connected (no SPP_API_TOKEN, and no SPP_SANDBOX).")
    transport, key, base_url = None, settings.SPP_API_TOKEN, settings.SPP_API_URL
    if mode == "sandbox":
        key = settings.SPP_SANDBOX_TOKEN
        if settings.SPP_SANDBOX_URL:
            # One SPP sandbox server for every web server and worker, so they all see the same data.
            base_url = settings.SPP_SANDBOX_URL
        else:
            from dashboard.spp_sandbox import SandboxTransport

            transport, base_url = SandboxTransport(get_spp_sandbox()), SANDBOX_URL
    return SppClient(
        base_url=base_url,
        api_key=key,
        api_version=settings.SPP_API_VERSION,
        connect_timeout=settings.SPP_CONNECT_TIMEOUT,
        read_timeout=settings.SPP_READ_TIMEOUT,
        max_retries=settings.GCORE_MAX_RETRIES,
        retry_backoff=settings.GCORE_RETRY_BACKOFF,
        retry_after_cap=settings.GCORE_RETRY_AFTER_CAP,
        pool_size=settings.GCORE_POOL_SIZE,
        transport=transport,
    )
