"""The Gcore API client: typed models, errors, one shared client per process."""

from .client import CLIENT_FILTERS, ORDERING_FIELDS, GcoreClient
from .errors import (
    GcoreAPIError,
    GcoreAuthError,
    GcoreBadGateway,
    GcoreError,
    GcoreNotFound,
    GcorePermissionDenied,
    GcoreRateLimited,
    GcoreResponseError,
    GcoreTimeout,
    GcoreUnavailable,
    GcoreValidationError,
    split_errors,
)
from .factory import get_gcore_client, get_sandbox, is_sandbox

__all__ = [
    "CLIENT_FILTERS",
    "ORDERING_FIELDS",
    "GcoreAPIError",
    "GcoreAuthError",
    "GcoreBadGateway",
    "GcoreClient",
    "GcoreError",
    "GcoreNotFound",
    "GcorePermissionDenied",
    "GcoreRateLimited",
    "GcoreResponseError",
    "GcoreTimeout",
    "GcoreUnavailable",
    "GcoreValidationError",
    "get_gcore_client",
    "get_sandbox",
    "is_sandbox",
    "split_errors",
]
