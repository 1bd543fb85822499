"""Readiness: can this server reach its database, its cache and Gcore right now?"""

from __future__ import annotations

import time
import uuid
from typing import Any, TypedDict

from django.core.cache import cache
from django.db import connection

from dashboard.gcore import GcoreAuthError, GcoreError, get_gcore_client

# Load balancers ask every few seconds; one Gcore probe per server every this many seconds.
GCORE_PROBE_SECONDS = 15


class _Probe(TypedDict, total=False):
    at: float  # time.monotonic() of the last probe
    state: str


_probe: _Probe = {}


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with its kind
        return f"error: {type(exc).__name__}"


def _check_cache() -> str:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return "ok" if ok else "error: value not read back"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with its kind
        return f"error: {type(exc).__name__}"


def _check_gcore() -> str:
    now = time.monotonic()
    if _probe and now - _probe["at"] < GCORE_PROBE_SECONDS:
        return _probe["state"]
    try:
        get_gcore_client().list_clients(limit=1)
        state = "ok"
    except GcoreAuthError:
        state = "error: token refused"
    except GcoreError as exc:
        state = f"error: {type(exc).__name__}"
    _probe.update({"at": now, "state": state})
    return state


def readiness_check() -> dict[str, Any]:
    checks = {"database": _check_database(), "cache": _check_cache(), "gcore": _check_gcore()}
    return {"ready": checks["database"] == "ok" and checks["cache"] == "ok", "checks": checks}
