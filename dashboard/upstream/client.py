"""The HTTP plumbing every upstream client shares: one httpx.Client, retries, logging, parsing.

A system's client (GcoreClient, SppClient) subclasses `UpstreamClient`, names itself, its
request-id header and its exception classes, and adds one method per endpoint. What may be
retried is decided here alone: reads on transient failures; writes only when the connection
failed before anything was sent, never after a timeout or a 5xx, because the upstream may already
have applied the change. The clients know nothing of Django requests or HTML.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from .errors import (
    UpstreamBadGateway,
    UpstreamError,
    UpstreamResponseError,
    UpstreamTimeout,
    error_for_response,
    parse_retry_after,
)

# Called once the current thread's next upstream request is on the wire (or has failed): a caller
# waiting for that (services/concurrency.py) sets it for the thread that sends.
request_sent: ContextVar[Callable[[], object] | None] = ContextVar("upstream_request_sent", default=None)
# httpcore's trace events once a request's last byte has left.
SENT_EVENTS = frozenset({"http11.send_request_body.complete", "http2.send_request_body.complete"})

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAYBE_APPLIED_STATUSES = frozenset({502, 504})
# Exceptions raised before a request left this machine: safe to retry even a write.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

T = TypeVar("T")


# Keyed by the shape itself (a dict, not functools.cache: mypy does not take a class as Hashable).
_ADAPTERS: dict[object, TypeAdapter[Any]] = {}


def adapter(shape: type[T]) -> TypeAdapter[T]:
    """A validator per response shape, built once (building one costs far more than using it)."""
    found = _ADAPTERS.get(shape)
    if found is None:
        # Two threads may both build one; either is the same validator, and one is kept.
        found = _ADAPTERS.setdefault(shape, TypeAdapter(shape))
    return found


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


class UpstreamClient:
    """One upstream API: one `httpx.Client` and keep-alive pool per process, shared by its threads."""

    # Set by each system's client.
    system: ClassVar[str] = "upstream"
    request_id_header: ClassVar[str] = "X-Request-ID"
    # Kind of failure (dashboard/upstream/errors.py) -> this system's exception class.
    error_classes: ClassVar[dict[type[UpstreamError], type[UpstreamError]]] = {}
    log: ClassVar[logging.Logger] = logging.getLogger("dashboard.upstream")

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
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
            headers={"Accept": "application/json", "User-Agent": "gcore-reseller-dashboard", **headers},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        # A tuple, not a list, for repeated names: httpx's list type takes more than strings.
        params: Mapping[str, str] | tuple[tuple[str, str], ...] | None = None,
        json: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        """Send one call; retry reads on transient failures, writes only when nothing was sent."""
        is_read = method == "GET"
        attempt = 0
        sent = request_sent.get()
        extensions = {"trace": _tracer(sent)} if sent is not None else None
        name = self.system.lower()
        while True:
            started = time.perf_counter()
            try:
                response = _unbound(
                    self._http.request(
                        method, path, params=params, json=json, files=files, extensions=extensions
                    )
                )
            except httpx.TransportError as exc:
                if sent is not None:
                    sent()
                error = self._transport_error(exc)
                retry = attempt < self.max_retries and (is_read or isinstance(exc, NOT_SENT))
                self.log.warning(
                    "%s %s %s failed after %.0f ms: %s%s",
                    name, method, path, (time.perf_counter() - started) * 1000, type(exc).__name__,
                    " (retrying)" if retry else "",
                )  # fmt: skip
                if not retry:
                    error.maybe_applied = not is_read and not isinstance(exc, NOT_SENT)
                    raise error from exc
                self._sleep(attempt, None)
                attempt += 1
                continue

            if sent is not None:
                sent()  # a transport without tracing (the in-process sandbox) has answered by now
            elapsed_ms = (time.perf_counter() - started) * 1000
            request_id = response.headers.get(self.request_id_header) or None
            log = self.log.info if response.is_success else self.log.warning
            log(
                "%s %s %s -> %s in %.0f ms (request id %s)",
                name, method, path, response.status_code, elapsed_ms, request_id or "-",
            )  # fmt: skip
            if response.is_success:
                return response
            error = self._error_for(response, request_id)
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
            # A gateway that gave up may have passed the write on first.
            error.maybe_applied = not is_read and response.status_code in MAYBE_APPLIED_STATUSES
            raise error

    def _error_for(self, response: httpx.Response, request_id: str | None) -> UpstreamError:
        """The exception for one non-2xx answer (the only place that reads status codes)."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500] or None
        return error_for_response(
            response.status_code,
            body,
            classes=self.error_classes,
            request_id=request_id,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        """Exponential backoff with jitter, never shorter than the upstream's Retry-After."""
        backoff = self.retry_backoff * (2**attempt) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
        delay = max(backoff, retry_after or 0.0)
        time.sleep(min(delay, self.retry_after_cap))

    def _transport_error(self, exc: httpx.TransportError) -> UpstreamError:
        if isinstance(exc, httpx.TimeoutException):
            return self.error_classes[UpstreamTimeout]()
        bad_gateway = self.error_classes[UpstreamBadGateway]
        if isinstance(exc, httpx.ConnectError):
            return bad_gateway(f"{self.system} could not be reached.")
        return bad_gateway(f"The connection to {self.system} broke off.")

    def _read(self, shape: type[T], response: httpx.Response) -> T:
        """The body as `shape`, read by pydantic straight from the bytes (parsed and checked in one pass).

        A body that is not JSON, or not of that shape, is this system's response error.
        """
        try:
            return adapter(shape).validate_json(response.content)
        except ValidationError as exc:
            shape_name = getattr(shape, "__name__", None) or str(shape)
            errors = exc.error_count()
            self.log.warning(
                "%s response did not match %s: %s error(s)", self.system.lower(), shape_name, errors
            )
            error = self.error_classes[UpstreamResponseError](status_code=response.status_code)
            # A write answered with a success status was applied, whatever its body says.
            error.maybe_applied = response.request.method != "GET"
            raise error from exc
