"""SPP's exceptions: each kind of upstream failure (dashboard/upstream/errors.py), from SPP."""

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
)

# SPP: every response names itself with this header; SPP's support asks for it
# (docs/spp-api-notes.md §1). Logged with every error and kept in the audit log.
REQUEST_ID_HEADER = "X-Api-Identifier"


class SppError(UpstreamError):
    """Base class: any failure talking to SPP."""

    system = "SPP"
    default_message = "SPP returned an unexpected error."


class SppValidationError(SppError, UpstreamValidationError):
    """400/422: SPP refused the input; messages per field when it gave them."""

    default_message = "SPP rejected the data."


class SppAuthError(SppError, UpstreamAuthError):
    """401: the dashboard's SPP API key is missing, wrong or revoked."""

    default_message = "The dashboard's SPP API key is missing or invalid."


class SppPermissionDenied(SppError, UpstreamPermissionDenied):
    """403: the key is valid but may not do this."""

    default_message = "SPP refused this action for the dashboard's API key."


class SppNotFound(SppError, UpstreamNotFound):
    """404: the record is no longer in SPP (deleted there, or the link points nowhere)."""

    default_message = "This client is no longer in SPP."


class SppUnavailable(SppError, UpstreamUnavailable):
    """SPP did not give a usable answer: down, overloaded, rate-limiting or timing out."""

    default_message = "SPP did not answer."


class SppRateLimited(SppUnavailable, UpstreamRateLimited):
    """429: too many requests (SPP documents no limits); `retry_after` when SPP said."""

    default_message = "SPP is rate-limiting the dashboard."


class SppTimeout(SppUnavailable, UpstreamTimeout):
    """No answer within the configured timeout."""

    default_message = "SPP did not answer in time."


class SppBadGateway(SppUnavailable, UpstreamBadGateway):
    """A 5xx from SPP, a broken connection, or a body that is not what the API documents."""

    default_message = "SPP answered with an error."


class SppResponseError(SppBadGateway, UpstreamResponseError):
    """A 2xx whose body does not parse into the documented shape."""

    default_message = "SPP sent a response the dashboard could not read."


class SppAPIError(SppError, UpstreamAPIError):
    """Any other unexpected status."""


ERROR_CLASSES: dict[type[UpstreamError], type[UpstreamError]] = {
    UpstreamValidationError: SppValidationError,
    UpstreamAuthError: SppAuthError,
    UpstreamPermissionDenied: SppPermissionDenied,
    UpstreamNotFound: SppNotFound,
    UpstreamUnavailable: SppUnavailable,
    UpstreamRateLimited: SppRateLimited,
    UpstreamTimeout: SppTimeout,
    UpstreamBadGateway: SppBadGateway,
    UpstreamResponseError: SppResponseError,
    UpstreamAPIError: SppAPIError,
}
