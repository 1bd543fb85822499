"""Gcore's exceptions: each kind of upstream failure (dashboard/upstream/errors.py), from Gcore.

Every Gcore status is mapped to one of these by the shared client plumbing; nothing else in the
project looks at raw status codes. What each failure becomes for the browser (an HTTP status, a
message) is the web layer's business (dashboard/http.py). Each keeps Gcore's request id when Gcore
sent one, for the audit log and for Gcore's support.
"""

from __future__ import annotations

from dashboard.upstream.errors import (
    UpstreamAPIError,
    UpstreamAuthError,
    UpstreamBadGateway,
    UpstreamError,
    UpstreamNotFound,
    UpstreamPermissionDenied,
    UpstreamRateLimited,
    UpstreamResponseError,
    UpstreamTimeout,
    UpstreamUnavailable,
    UpstreamValidationError,
    split_errors,
)

# Gcore: no Gcore document names a request-id header; this common one is read when it is present
# (docs/gcore-api-notes.md §5).
REQUEST_ID_HEADER = "X-Request-ID"


class GcoreError(UpstreamError):
    """Base class: any failure talking to Gcore."""

    system = "Gcore"
    default_message = "Gcore returned an unexpected error."


class GcoreValidationError(GcoreError, UpstreamValidationError):
    """400/422: Gcore refused the input; messages per field and general."""

    default_message = "Gcore rejected the data."


class GcoreAuthError(GcoreError, UpstreamAuthError):
    """401: the dashboard's own token is missing, wrong or expired."""

    default_message = "The dashboard's Gcore API token is missing or invalid."


class GcorePermissionDenied(GcoreError, UpstreamPermissionDenied):
    """403: the token is valid but may not do this."""

    default_message = "Gcore refused this action for the reseller's token."


class GcoreNotFound(GcoreError, UpstreamNotFound):
    """404: no such client or user (for this reseller)."""

    default_message = "Gcore has no such record."


class GcoreUnavailable(GcoreError, UpstreamUnavailable):
    """Gcore did not give a usable answer: down, overloaded, rate-limiting or timing out."""

    default_message = "Gcore did not answer."


class GcoreRateLimited(GcoreUnavailable, UpstreamRateLimited):
    """429: too many requests; `retry_after` says when to try again, if Gcore said."""

    default_message = "Gcore is rate-limiting the dashboard."


class GcoreTimeout(GcoreUnavailable, UpstreamTimeout):
    """No answer within the configured timeout."""

    default_message = "Gcore did not answer in time."


class GcoreBadGateway(GcoreUnavailable, UpstreamBadGateway):
    """A 5xx from Gcore, a broken connection, or a body that is not what the API documents."""

    default_message = "Gcore answered with an error."


class GcoreResponseError(GcoreBadGateway, UpstreamResponseError):
    """A 2xx whose body does not parse into the documented shape."""

    default_message = "Gcore sent a response the dashboard could not read."


class GcoreAPIError(GcoreError, UpstreamAPIError):
    """Any other unexpected status."""


ERROR_CLASSES: dict[type[UpstreamError], type[UpstreamError]] = {
    UpstreamValidationError: GcoreValidationError,
    UpstreamAuthError: GcoreAuthError,
    UpstreamPermissionDenied: GcorePermissionDenied,
    UpstreamNotFound: GcoreNotFound,
    UpstreamUnavailable: GcoreUnavailable,
    UpstreamRateLimited: GcoreRateLimited,
    UpstreamTimeout: GcoreTimeout,
    UpstreamBadGateway: GcoreBadGateway,
    UpstreamResponseError: GcoreResponseError,
    UpstreamAPIError: GcoreAPIError,
}

__all__ = [
    *(cls.__name__ for cls in ERROR_CLASSES.values()),
    "ERROR_CLASSES",
    "REQUEST_ID_HEADER",
    "GcoreError",
    "split_errors",
]
