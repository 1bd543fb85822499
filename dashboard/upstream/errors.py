"""The kinds of failure between the dashboard and an upstream API, whichever system it is.

Each system subclasses these (GcoreValidationError is a GcoreError and an UpstreamValidationError),
so code that only cares about the kind catches the kind. No exception carries the request headers,
so an API key never reaches a message, a log line or an error page; each keeps the upstream's
request id when one was sent, for the audit log and for that system's support.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

# Keys that wrap messages rather than name a field: DRF's and Laravel's wrappers
# (docs/gcore-api-notes.md §5, docs/spp-api-notes.md §7).
TRANSPARENT = {"errors", "message", "detail", "non_field_errors"}


def split_errors(body: object) -> tuple[dict[str, list[str]], list[str]]:
    """Flatten an error body into ({"a.b": [msg]}, [general messages]).

    Gcore answers validation errors in several shapes (docs/gcore-api-notes.md §5):
    `{"errors": {"f": ["m"]}}`, a string instead of a list, nested objects, `errors.errors` for
    non-field messages, a top-level list of strings, a list of error objects and
    `{"message": "..."}`; SPP (Laravel) `{"message": "...", "errors": {"f": ["m"]}}`, where the
    message repeats the first field error (docs/spp-api-notes.md §7). All reduce to dotted field
    paths and general messages.
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


class UpstreamError(Exception):
    """Any failure talking to an upstream API."""

    system = "The upstream"  # the system's name, for messages ("Gcore", "SPP")
    default_message = "The upstream returned an unexpected error."

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
        self.request_id = request_id  # the upstream's id of the request, when it sent one
        # A write that failed after it left (no answer in time, a broken connection, a gateway
        # error): the upstream may or may not have applied it. Never retried; said as such.
        self.maybe_applied = False
        super().__init__(self.message)


class UpstreamValidationError(UpstreamError):
    """400/422: the upstream refused the input; messages per field and general."""

    def __init__(self, message: str | None = None, *, status_code: int | None = 400, **kwargs: Any) -> None:
        self.field_errors, general = split_errors(kwargs.get("body"))
        # Laravel's top-level message is the first field error with "(and N more errors)": not a
        # message of its own (docs/spp-api-notes.md §7).
        first = next((messages[0] for messages in self.field_errors.values() if messages), None)
        self.non_field_errors = [m for m in general if first is None or not m.startswith(first)]
        summary = "; ".join(self.non_field_errors) or None
        super().__init__(message or summary, status_code=status_code, **kwargs)


class UpstreamAuthError(UpstreamError):
    """401: the dashboard's own credentials for this system are missing, wrong or expired."""


class UpstreamPermissionDenied(UpstreamError):
    """403: the credentials are valid but may not do this."""

    def __init__(self, message: str | None = None, *, status_code: int | None = 403, **kwargs: Any) -> None:
        _, general = split_errors(kwargs.get("body"))
        super().__init__(message or "; ".join(general) or None, status_code=status_code, **kwargs)


class UpstreamNotFound(UpstreamError):
    """404: no such record (any more)."""


class UpstreamUnavailable(UpstreamError):
    """No usable answer: down, overloaded, rate-limiting or timing out."""

    def __init__(
        self, message: str | None = None, *, retry_after: float | None = None, **kwargs: Any
    ) -> None:
        self.retry_after = retry_after  # seconds, when the upstream said (Retry-After)
        super().__init__(message, **kwargs)


class UpstreamRateLimited(UpstreamUnavailable):
    """429: too many requests; `retry_after` says when to try again, if the upstream said."""


class UpstreamTimeout(UpstreamUnavailable):
    """No answer within the configured timeout."""


class UpstreamBadGateway(UpstreamUnavailable):
    """A 5xx, a broken connection, or a body that is not what the API documents."""


class UpstreamResponseError(UpstreamBadGateway):
    """A 2xx whose body does not parse into the documented shape."""


class UpstreamAPIError(UpstreamError):
    """Any other unexpected status."""


def error_kind_for(status: int) -> type[UpstreamError]:
    """The kind of failure an HTTP status is, for any upstream."""
    if status in (400, 422):
        return UpstreamValidationError
    return {
        401: UpstreamAuthError,
        403: UpstreamPermissionDenied,
        404: UpstreamNotFound,
        429: UpstreamRateLimited,
        503: UpstreamUnavailable,
        504: UpstreamTimeout,
    }.get(status, UpstreamBadGateway if status >= 500 else UpstreamAPIError)


def error_for_response(
    status: int,
    body: Any,
    *,
    classes: dict[type[UpstreamError], type[UpstreamError]],
    request_id: str | None,
    retry_after: float | None,
) -> UpstreamError:
    """The exception for one non-2xx answer: its kind (`error_kind_for`), as the system's class."""
    kind = error_kind_for(status)
    error_class = classes[kind]
    kwargs: dict[str, Any] = {"status_code": status, "body": body, "request_id": request_id}
    if kind in (UpstreamRateLimited, UpstreamUnavailable, UpstreamBadGateway):
        kwargs["retry_after"] = retry_after
    if kind is UpstreamAPIError:
        return error_class(f"{error_class.system} answered HTTP {status}.", **kwargs)
    return error_class(**kwargs)
