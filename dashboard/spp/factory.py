"""Builds the one SPP client of this process from the settings, or the sandbox, or none at all."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Literal

from django.conf import settings

from .client import SppClient

if TYPE_CHECKING:
    from dashboard.spp_sandbox import SppSandbox

# No key in development means the built-in sandbox; in production it means billing is off.
SANDBOX_URL = "https://spp.sandbox"

Mode = Literal["api", "sandbox", "off"]


def spp_mode() -> Mode:
    """ "api" with SPP_API_TOKEN; without it, "sandbox" when DEBUG was on at start-up, else "off"."""
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
        raise RuntimeError("SPP is not connected (no SPP_API_TOKEN with DEBUG off).")
    transport, key, base_url = None, settings.SPP_API_TOKEN, settings.SPP_API_URL
    if mode == "sandbox":
        from dashboard.spp_sandbox import SandboxTransport

        transport, key = SandboxTransport(get_spp_sandbox()), settings.SPP_SANDBOX_TOKEN
        base_url = SANDBOX_URL
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
