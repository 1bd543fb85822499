"""A thin, typed client for the parts of Gcore's IAM reseller API the dashboard uses.

It owns URLs, auth, timeouts, retries, parsing and error mapping, and knows nothing of Django
requests or HTML. One instance (one `httpx.Client`, one keep-alive pool) serves a whole process.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from .errors import (
    GcoreBadGateway,
    GcoreError,
    GcoreResponseError,
    GcoreTimeout,
    GcoreUnavailable,
    error_for_response,
    request_id_of,
)
from .models import Client, ClientUpdate, Group, Page, User, UserUpdate

log = logging.getLogger("dashboard.gcore")

M = TypeVar("M", bound=BaseModel)

# Every filter of GET /iam/clients, by its wire name (docs/gcore-api-notes.md §3).
CLIENT_FILTERS: frozenset[str] = frozenset(
    {
        "email", "companyName", "name", "deleted", "reseller_id", "seller_id", "custom_id",
        "cdn", "storage", "ddos", "dns", "cloud", "infrastructure_protection", "connect",
        "min_traffic", "max_traffic", "secondaryhostnames", "activated", "id__in__exclude",
        "bill_type", "users_name", "users_email", "created_at_gte", "created_at_lte",
        "feature_id_in", "is_test", "client_type", "personal_product_availability",
        "promocode", "country_code",
    }
)  # fmt: skip
ORDERING_FIELDS: frozenset[str] = frozenset({"id", "email", "name", "status", "companyName", "created_at"})

# Called once the current thread's next request to Gcore is on the wire (or has failed): a caller
# waiting for that (services/concurrency.py) sets it for the thread that sends.
request_sent: ContextVar[Callable[[], object] | None] = ContextVar("gcore_request_sent", default=None)
# httpcore's trace events once a request's last byte has left.
SENT_EVENTS = frozenset({"http11.send_request_body.complete", "http2.send_request_body.complete"})

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Exceptions raised before a request left this machine: safe to retry even a write.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _Envelope(BaseModel, Generic[M]):
    """A page of GET /iam/clients with `limit`: `results`, or `result` in some endpoints and older docs
    (docs/gcore-api-notes.md §6)."""

    model_config = ConfigDict(extra="ignore")

    count: int | None = None
    results: list[M] | None = None
    result: list[M] | None = None


@functools.cache
def _adapter(shape: Any) -> TypeAdapter[Any]:
    """A validator per response shape, built once (building one costs far more than using it)."""
    return TypeAdapter(shape)


def _unbound(response: httpx.Response) -> httpx.Response:
    """The response, no longer in a reference cycle with its (already read and closed) stream.

    httpx 0.28 links each response and its stream both ways (encode/httpx#3733), so a body stays
    in memory until Python's cycle collector runs; an export of many pages piled them up.
    """
    response.stream = httpx.ByteStream(b"")
    return response


def _tracer(sent: Callable[[], object]) -> Callable[[str, dict[str, Any]], None]:
    """An httpcore trace callback that reports when the request has left."""

    def trace(event: str, info: dict[str, Any]) -> None:
        if event in SENT_EVENTS:
            sent()

    return trace


def _wire_value(value: object) -> str:
    """A query value as Gcore expects it: lowercase booleans, ISO dates, comma-separated lists
    (docs/gcore-api-notes.md §3)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_wire_value(item) for item in value)
    return str(value)


class GcoreClient:
    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_retries: int = 2,
        retry_backoff: float = 0.5,
        retry_after_cap: float = 5.0,
        pool_size: int = 20,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.retry_after_cap = retry_after_cap
        self._http = httpx.Client(
            base_url=base_url,
            headers={
                "Authorization": f"APIKey {token}",
                "Accept": "application/json",
                "User-Agent": "gcore-reseller-dashboard",
            },
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # -- endpoints ---------------------------------------------------------------------------

    def list_clients(
        self,
        *,
        filters: Mapping[str, object] | None = None,
        ordering: str | None = None,
        limit: int = 25,
        offset: int = 0,
        model: type[M] = Client,  # type: ignore[assignment]
    ) -> Page[M]:
        """GET /iam/clients: one page of clients matching `filters` (wire names).

        `model` picks what is read of each client: `Client` (everything) or `ClientSummary`.
        """
        unknown = set(filters or {}) - CLIENT_FILTERS
        if unknown:
            raise ValueError(f"Not a GET /iam/clients filter: {', '.join(sorted(unknown))}")
        # Gcore: without `limit` the API returns a bare array of every client (docs/gcore-api-notes.md §6).
        params: dict[str, str] = {"limit": str(limit), "offset": str(offset)}
        if ordering:
            params["ordering"] = ordering
        for name, value in (filters or {}).items():
            if value is not None and value != "":
                params[name] = _wire_value(value)
        response = self._request("GET", "/iam/clients", params=params)
        # Gcore: without `limit` the body is a bare array (docs/gcore-api-notes.md §6), so either shape is
        # read. Its first character tells which: a union would have pydantic read the body twice.
        bare = response.content.lstrip()[:1] == b"["
        page = self._read(list[model] if bare else _Envelope[model], response)  # type: ignore[valid-type]
        if isinstance(page, list):
            count, items = len(page), page
        elif (items := page.results if page.results is not None else page.result) is not None:
            count = page.count if page.count is not None else len(items)
        else:
            log.warning("gcore response did not match a page of %s", model.__name__)
            raise GcoreResponseError(status_code=response.status_code)
        # Already checked: build the page as it is. (`Page[model]` would make a new generic class each time.)
        return Page.model_construct(count=count, results=items, offset=offset, limit=limit)

    def get_client(self, client_id: int) -> Client:
        """GET /iam/clients/{id}, users included."""
        return self._read(Client, self._request("GET", f"/iam/clients/{int(client_id)}"))

    def update_client(self, client_id: int, changes: ClientUpdate) -> Client:
        """PATCH /iam/clients/{id} with only the fields set on `changes`."""
        body = changes.model_dump(exclude_unset=True)
        return self._read(Client, self._request("PATCH", f"/iam/clients/{int(client_id)}", json=body))

    def get_user(self, user_id: int) -> User:
        """GET /iam/users/{id}."""
        return self._read(User, self._request("GET", f"/iam/users/{int(user_id)}"))

    def update_user(self, user_id: int, changes: UserUpdate) -> User:
        """PATCH /iam/users/{id} with only the fields set on `changes`."""
        body = changes.model_dump(exclude_unset=True)
        return self._read(User, self._request("PATCH", f"/iam/users/{int(user_id)}", json=body))

    def set_user_role(self, client_id: int, user_id: int, role: Group) -> None:
        """PUT /iam/clients/{cid}/client-users/{uid}: the user's group in that client."""
        # Gcore: answers 204 with no body (docs/gcore-api-notes.md §2).
        self._request(
            "PUT",
            f"/iam/clients/{int(client_id)}/client-users/{int(user_id)}",
            json={"user_role": {"id": role.id, "name": role.name}},
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, json: Any = None
    ) -> httpx.Response:
        """Send one call; retry reads on transient failures, writes only when nothing was sent."""
        is_read = method == "GET"
        attempt = 0
        sent = request_sent.get()
        extensions = {"trace": _tracer(sent)} if sent is not None else None
        while True:
            started = time.perf_counter()
            try:
                response = _unbound(
                    self._http.request(method, path, params=params, json=json, extensions=extensions)
                )
            except httpx.TransportError as exc:
                if sent is not None:
                    sent()
                error = self._transport_error(exc)
                retry = attempt < self.max_retries and (is_read or isinstance(exc, NOT_SENT))
                log.warning(
                    "gcore %s %s failed after %.0f ms: %s%s",
                    method, path, (time.perf_counter() - started) * 1000, type(exc).__name__,
                    " (retrying)" if retry else "",
                )  # fmt: skip
                if not retry:
                    raise error from exc
                self._sleep(attempt, None)
                attempt += 1
                continue

            if sent is not None:
                sent()  # a transport without tracing (the in-process sandbox) has answered by now
            elapsed_ms = (time.perf_counter() - started) * 1000
            request_id = request_id_of(response) or "-"
            log.info(
                "gcore %s %s -> %s in %.0f ms (request id %s)",
                method,
                path,
                response.status_code,
                elapsed_ms,
                request_id,
            )
            if response.is_success:
                return response
            error = error_for_response(response)
            retry_after = getattr(error, "retry_after", None)
            if (
                is_read
                and response.status_code in RETRY_STATUSES
                and attempt < self.max_retries
                and (retry_after is None or retry_after <= self.retry_after_cap)
            ):
                self._sleep(attempt, retry_after)
                attempt += 1
                continue
            raise error

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        """Exponential backoff with jitter, never shorter than Gcore's Retry-After."""
        backoff = self.retry_backoff * (2**attempt) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
        delay = max(backoff, retry_after or 0.0)
        time.sleep(min(delay, self.retry_after_cap))

    @staticmethod
    def _transport_error(exc: httpx.TransportError) -> GcoreError:
        if isinstance(exc, httpx.TimeoutException):
            return GcoreTimeout()
        if isinstance(exc, httpx.ConnectError):
            return GcoreBadGateway("Gcore could not be reached.")
        return GcoreBadGateway("The connection to Gcore broke off.")

    @staticmethod
    def _read(shape: Any, response: httpx.Response) -> Any:
        """The body as `shape`, read by pydantic straight from the bytes (parsed and checked in one pass).

        A body that is not JSON, or not of that shape, is a GcoreResponseError.
        """
        try:
            return _adapter(shape).validate_json(response.content)
        except ValidationError as exc:
            name = getattr(shape, "__name__", None) or str(shape)
            log.warning("gcore response did not match %s: %s error(s)", name, exc.error_count())
            raise GcoreResponseError(status_code=response.status_code) from exc


__all__ = ["CLIENT_FILTERS", "ORDERING_FIELDS", "GcoreClient", "GcoreUnavailable"]
