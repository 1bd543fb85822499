"""The Sandbox: state, locking, faults, latency and the request log around the API handlers.

`SandboxBase` holds what every sandbox shares (the lock, armed faults, latency, the request log
and the log-fault-latency-respond flow of `handle`); `Sandbox` adds Gcore's data and handlers. The
SPP sandbox (`dashboard.spp_sandbox`) is another subclass. `SandboxLike` is what the transport and
the socket server need from either.
"""

from __future__ import annotations

import copy
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar, Unpack
from urllib.parse import parse_qsl

from . import activity
from .api import ApiRequest
from .auth import authenticate
from .catalog import RESELLER_ACCOUNT_ID, RESELLER_IDS, SELLER_IDS
from .data import seeded_store
from .faults import (
    Fault,
    FaultOptions,
    SimulatedDisconnect,
    SimulatedTimeout,
    make_fault,
    malformed,
    status_fault_response,
)
from .handlers import resolve
from .query import parse_list_query, select_clients
from .responses import SandboxResponse, method_not_allowed, not_found
from .store import Store

StoreT = TypeVar("StoreT")


class SandboxLike(Protocol):
    """What `SandboxTransport`, `make_server` and the `/__sandbox__/` control API call."""

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        scheme: str = "http",
    ) -> SandboxResponse: ...

    def add_fault(self, kind: str, **options: Unpack[FaultOptions]) -> None: ...

    def clear_faults(self) -> None: ...

    def set_latency(self, ms: float) -> None: ...

    @property
    def request_log(self) -> list[dict[str, Any]]: ...

    def clear_request_log(self) -> None: ...

    def reset(self) -> None: ...


class SandboxBase(ABC, Generic[StoreT]):
    """Faults, latency, the request log and the request flow; subclasses supply the data
    (`_fresh_store`) and the API (`_respond`). Every public method is safe to call from many threads."""

    def __init__(self) -> None:
        # One re-entrant lock guards data, faults, log and latency; handlers run under it.
        self._lock = threading.RLock()
        self._store: StoreT = self._fresh_store()
        self._faults: list[Fault] = []
        self._log: list[dict[str, Any]] = []
        self._latency_ms = 0.0

    # -- control ------------------------------------------------------------------------------

    def set_latency(self, ms: float) -> None:
        """Delay every API response by `ms` milliseconds."""
        if ms < 0:
            raise ValueError("latency must be >= 0")
        with self._lock:
            self._latency_ms = float(ms)

    def add_fault(self, kind: str, **options: Unpack[FaultOptions]) -> None:
        """Arm a fault (kinds in the package docstring; options: method, path, times, status,
        retry_after, seconds, as `faults.make_fault` defines them).
        ValueError or TypeError on bad arguments."""
        fault = make_fault(kind, **options)
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def request_log(self) -> list[dict[str, Any]]:
        """A snapshot of every API request so far, oldest first."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    def reset(self) -> None:
        """Back to the seeded data, with no faults, an empty log and no latency."""
        store = self._fresh_store()
        with self._lock:
            self._store = store
            self._faults.clear()
            self._log.clear()
            self._latency_ms = 0.0

    # -- the API --------------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        scheme: str = "http",
    ) -> SandboxResponse:
        """Answer one API request.

        Raises SimulatedTimeout (request processed, answer late) or SimulatedDisconnect (request
        never arrived) when such a fault fires; the transport and the server turn them into the
        matching network failure.
        """
        method = method.upper()
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": query,
            "status": None,
            "fault": None,
        }
        with self._lock:
            fault = self._take_fault(method, path)
            entry["fault"] = fault and fault.kind
            self._log.append(entry)
            latency = self._latency_ms
        if latency:
            time.sleep(latency / 1000)  # outside the lock: slow answers must not serialise the others
        kind = fault.kind if fault else None
        if kind == "disconnect":
            raise SimulatedDisconnect()
        if fault is not None and kind == "status":
            response = self._status_fault_response(fault)
        else:
            response = self._respond(method, path, query, lowered, body, scheme)
        if fault is not None and kind == "timeout":
            raise SimulatedTimeout(response, fault.seconds)
        if kind == "malformed":
            response = self._malformed(response)
        with self._lock:
            entry["status"] = response.status
        return response

    # -- what a subclass supplies ---------------------------------------------------------------

    @abstractmethod
    def _fresh_store(self) -> StoreT:
        """This sandbox's own copy of its seeded data."""

    @abstractmethod
    def _respond(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, scheme: str
    ) -> SandboxResponse:
        """The API's answer; `headers` have lower-case names. Takes the lock itself where needed."""

    def _status_fault_response(self, fault: Fault) -> SandboxResponse:
        """The answer of a "status" fault (Gcore's: DRF's `{"detail": ...}`)."""
        return status_fault_response(fault)

    def _malformed(self, response: SandboxResponse) -> SandboxResponse:
        """The answer of a "malformed" fault: a 200 with `response`'s body cut short."""
        return malformed(response)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """The first armed fault that matches, counted down once (lock held by the caller)."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.consume()
                return fault
        return None


class Sandbox(SandboxBase[Store]):
    """An in-memory Gcore IAM reseller API. Every public method is safe to call from many threads."""

    def __init__(
        self,
        seed: int = 42,
        clients: int = 600,
        token: str | None = None,
        *,
        now: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.seed = seed
        self.client_count = clients
        self.token = token
        # Creation dates are relative to `now`; the default (today, midnight UTC) keeps the data
        # identical all day while "created in the last 7 days" still means something.
        self.now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        # What a write stamps (created_at, status_changed_at, created_date): an aware UTC datetime.
        self.clock: Callable[[], datetime] = clock or _utc_now
        super().__init__()

    # -- inspection (for tests) ----------------------------------------------------------------

    def client_json(self, client_id: int) -> dict[str, Any]:
        """The client as GET /iam/clients/{id} returns it; KeyError if unknown."""
        with self._lock:
            return copy.deepcopy(self._store.client_json(self._store.clients[client_id]))

    def client_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._store.clients)

    def matching_count(self, **filters: Any) -> int:
        """How many clients GET /iam/clients would match for these query parameters
        (booleans, lists and datetimes are written as the API expects). ValueError if invalid."""
        params = {name: _query_value(value) for name, value in filters.items()}
        with self._lock:
            return len(select_clients(self._store, parse_list_query(params)))

    def branding_asset(self, name: str) -> tuple[str, str, bytes] | None:
        """The uploaded `logo` or `favicon`: (file name, content type, bytes); None if none was."""
        with self._lock:
            return self._store.branding_assets.get(name)

    @staticmethod
    def reseller_account_id() -> int:
        """The id of the reseller's own account (GET /iam/clients/me), its notification settings'
        `resellerId`."""
        return RESELLER_ACCOUNT_ID

    @staticmethod
    def reseller_ids() -> tuple[int, ...]:
        """Ids that PATCH /iam/clients/{id} accepts as `reseller`."""
        return RESELLER_IDS

    @staticmethod
    def seller_ids() -> tuple[int, ...]:
        """Ids that PATCH /iam/clients/{id} accepts as `seller`."""
        return SELLER_IDS

    # -- the API --------------------------------------------------------------------------------

    def _respond(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, scheme: str
    ) -> SandboxResponse:
        resolved = resolve(path)
        if resolved is None:
            return not_found()
        route, path_params = resolved
        # DRF authenticates before it checks the method, so a 405 needs a valid key too.
        denied = authenticate(headers.get("authorization"), self.token)
        if denied is not None:
            return denied
        handler = route.methods.get(method)
        if handler is None:
            return method_not_allowed(method, list(route.methods))
        host = headers.get("host") or "localhost"
        request = ApiRequest(
            params=dict(parse_qsl(query, keep_blank_values=True)),
            body=body,
            url=f"{scheme}://{host}{path}" + (f"?{query}" if query else ""),
            now=self.clock(),
            content_type=headers.get("content-type", ""),
        )
        with self._lock:
            response = handler(request, self._store, **path_params)
            activity.record(
                self._store,
                method=method,
                path=path,
                query=query,
                body=body,
                status=response.status,
                headers=headers,
                now=request.now,
            )
            return response

    def _fresh_store(self) -> Store:
        """This sandbox's own copy of the seeded data (see `data.seeded_store`)."""
        return seeded_store(seed=self.seed, count=self.client_count, now=self.now)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(str(item) for item in value)
    return str(value)
