"""Injected faults: what a flaky upstream does to the dashboard (throttling, 5xx, hangs, drops, garbage)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import TypedDict

from .responses import JSON_CONTENT_TYPE, SandboxResponse, detail_error

FAULT_KINDS = ("status", "timeout", "disconnect", "malformed")
DEFAULT_TIMEOUT_SECONDS = 30.0


class SimulatedTimeout(Exception):
    """The request was processed but the answer is late: the in-process transport raises
    httpx.ReadTimeout, the socket server sends `response` only after `seconds`."""

    def __init__(self, response: SandboxResponse, seconds: float) -> None:
        super().__init__(f"simulated timeout ({seconds} s)")
        self.response = response
        self.seconds = seconds


class SimulatedDisconnect(Exception):
    """The connection dropped before the request reached the API, so nothing was processed."""


@dataclass
class Fault:
    """One armed fault. `times` counts down; None means it never runs out."""

    kind: str
    method: str | None
    path: re.Pattern[str] | None
    times: int | None
    status: int
    retry_after: float | str | None
    seconds: float

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.path is None or self.path.fullmatch(path) is not None

    def consume(self) -> None:
        if self.times is not None:
            self.times -= 1


class FaultOptions(TypedDict, total=False):
    """The keyword options of `Sandbox.add_fault`, for static checking of its **options."""

    method: str | None
    path: str | None
    times: int | None
    status: int
    retry_after: float | str | None
    seconds: float | None


def make_fault(
    kind: str,
    *,
    method: str | None = None,
    path: str | None = None,
    times: int | None = None,
    status: int = 503,
    retry_after: float | str | None = None,
    seconds: float | None = None,
) -> Fault:
    """Validate add_fault's arguments (ValueError names the bad one)."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 0):
        raise ValueError("times must be a non-negative integer or None")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError("status must be an HTTP status code (100-599)")
    if seconds is not None and (not isinstance(seconds, (int, float)) or seconds < 0):
        raise ValueError("seconds must be a non-negative number")
    if retry_after is not None and not isinstance(retry_after, (int, float, str)):
        raise ValueError("retry_after must be a number of seconds or an HTTP date")
    try:
        pattern = None if path is None else re.compile(path)
    except re.error as exc:
        raise ValueError(f"path is not a valid regular expression: {exc}") from None
    return Fault(
        kind=kind,
        method=None if method is None else str(method).upper(),
        path=pattern,
        times=times,
        status=status,
        retry_after=retry_after,
        seconds=DEFAULT_TIMEOUT_SECONDS if seconds is None else float(seconds),
    )


def status_fault_response(fault: Fault) -> SandboxResponse:
    """A JSON error like the one DRF or the front proxy would send for that status."""
    headers = {} if fault.retry_after is None else {"Retry-After": _header_value(fault.retry_after)}
    return detail_error(fault.status, _status_detail(fault), headers)


def _status_detail(fault: Fault) -> str:
    if fault.status == 429:
        # Gcore: no IAM throttling body is documented (docs/gcore-api-notes.md §5);
        # DRF's Throttled text is the best guess.
        if isinstance(fault.retry_after, (int, float)):
            return f"Request was throttled. Expected available in {math.ceil(fault.retry_after)} seconds."
        return "Request was throttled."
    try:
        return HTTPStatus(fault.status).phrase
    except ValueError:
        return "Error"


def _header_value(value: float | str) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def malformed(response: SandboxResponse) -> SandboxResponse:
    """A 200 whose body is cut off mid-JSON: a strict prefix of an object or array never parses."""
    body = response.body[: len(response.body) // 2] if len(response.body) >= 2 else b'{"detail": '
    return SandboxResponse(status=200, headers={"Content-Type": JSON_CONTENT_TYPE}, body=body)
