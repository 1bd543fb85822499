"""Exceptions for everything that can go wrong between the dashboard and Gcore.

Every upstream status is mapped to one of these in `error_for_response`; nothing else in the project
looks at raw status codes. What each failure becomes for the browser (an HTTP status, a message) is
the web layer's business (dashboard/http.py), not this client's. No exception carries the request
headers, so the token never reaches a message, a log line or an error page; each keeps Gcore's
request id when Gcore sent one, for the audit log and for Gcore's support.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

# Gcore: no Gcore document names a request-id header; this common one is read when it is present
# (docs/gcore-api-notes.md §5).
REQUEST_ID_HEADER = "X-Request-ID"
# Keys that wrap messages rather than name a field (docs/gcore-api-notes.md §5).
TRANSPARENT = {"errors", "message", "detail", "non_field_errors"}


def split_errors(body: object) -> tuple[dict[str, list[str]], list[str]]:
    """Flatten any Gcore error body into ({"a.b": [msg]}, [general messages]).

    Gcore answers validation errors in several shapes (docs/gcore-api-notes.md §5):
    `{"errors": {"f": ["m"]}}`, a string instead of a list, nested objects, `errors.errors` for
    non-field messages, a top-level list of strings, a list of error objects and
    `{"message": "..."}`. All reduce to dotted field paths and general messages.
    """
    fields: dict[str, list[str]] = {}
    general: list[str] = []

    def visit(value: object, path: str = "") -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                if key == "code":  # a machine code next to a message ("token_not_valid"), not a message
                    continue
                visit(sub, path if key in TRANSPARENT else f"{path}.{key}".lstrip("."))
        elif isinstance(value, list):
            for item in value:
                visit(item, path)
        elif value is not None and str(value).strip():
            (fields.setdefault(path, []) if path else general).append(str(value))

    visit(body)
    return fields, general


class GcoreError(Exception):
    """Base class: any failure talking to Gcore."""

    default_message = "Gcore returned an unexpected error."

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.status_code = status_code
        self.body = body
        self.request_id = request_id  # Gcore's id of the request, when it sent one
        super().__init__(self.message)


class GcoreValidationError(GcoreError):
    """400/422: Gcore refused the input; messages per field and general."""

    default_message = "Gcore rejected the data."

    def __init__(self, message: str | None = None, *, status_code: int | None = 400, **kwargs: Any) -> None:
        self.field_errors, self.non_field_errors = split_errors(kwargs.get("body"))
        super().__init__(
            message or "; ".join(self.non_field_errors) or None, status_code=status_code, **kwargs
        )


class GcoreAuthError(GcoreError):
    """401: the dashboard's own token is missing, wrong or expired."""

    default_message = "The dashboard's Gcore API token is missing or invalid."


class GcorePermissionDenied(GcoreError):
    """403: the token is valid but may not do this."""

    default_message = "Gcore refused this action for the reseller's token."

    def __init__(self, message: str | None = None, *, status_code: int | None = 403, **kwargs: Any) -> None:
        _, general = split_errors(kwargs.get("body"))
        super().__init__(message or "; ".join(general) or None, status_code=status_code, **kwargs)


class GcoreNotFound(GcoreError):
    """404: no such client or user (for this reseller)."""

    default_message = "Gcore has no such record."


class GcoreUnavailable(GcoreError):
    """Gcore did not give a usable answer: down, overloaded, rate-limiting or timing out."""

    default_message = "Gcore did not answer."

    def __init__(
        self, message: str | None = None, *, retry_after: float | None = None, **kwargs: Any
    ) -> None:
        self.retry_after = retry_after  # seconds, when Gcore said (Retry-After)
        super().__init__(message, **kwargs)


class GcoreRateLimited(GcoreUnavailable):
    """429: too many requests; `retry_after` says when to try again, if Gcore said."""

    default_message = "Gcore is rate-limiting the dashboard."


class GcoreTimeout(GcoreUnavailable):
    """No answer within the configured timeout."""

    default_message = "Gcore did not answer in time."


class GcoreBadGateway(GcoreUnavailable):
    """A 5xx from Gcore, a broken connection, or a body that is not what the API documents."""

    default_message = "Gcore answered with an error."


class GcoreResponseError(GcoreBadGateway):
    """A 2xx whose body does not parse into the documented shape."""

    default_message = "Gcore sent a response the dashboard could not read."


class GcoreAPIError(GcoreError):
    """Any other unexpected status."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_for_response(response: httpx.Response) -> GcoreError:
    """Map one non-2xx response to its exception (the only place that reads status codes)."""
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text[:500] or None
    common: dict[str, Any] = {"status_code": status, "body": body, "request_id": request_id_of(response)}
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status in (400, 422):
        return GcoreValidationError(**common)
    if status == 401:
        return GcoreAuthError(**common)
    if status == 403:
        return GcorePermissionDenied(**common)
    if status == 404:
        return GcoreNotFound(**common)
    if status == 429:
        return GcoreRateLimited(retry_after=retry_after, **common)
    if status == 503:
        return GcoreUnavailable(retry_after=retry_after, **common)
    if status == 504:
        return GcoreTimeout(**common)
    if status >= 500:
        return GcoreBadGateway(retry_after=retry_after, **common)
    return GcoreAPIError(f"Gcore answered HTTP {status}.", **common)


def request_id_of(response: httpx.Response) -> str | None:
    """Gcore's id for this request, when it sent one (httpx reads header names case-insensitively)."""
    return response.headers.get(REQUEST_ID_HEADER) or None
