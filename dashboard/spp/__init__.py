"""The SPP (Service Provider Pro) clients API client: typed models, errors, one shared client per process.

SPP is where many resellers keep the same customers for their portal and invoices; the dashboard
shows a Gcore client's SPP record beside it and keeps the two in step. Our notes on SPP's API,
with what it does not document: docs/spp-api-notes.md.
"""

from .client import SppClient
from .errors import (
    SppAuthError,
    SppBadGateway,
    SppError,
    SppNotFound,
    SppRateLimited,
    SppResponseError,
    SppTimeout,
    SppUnavailable,
    SppValidationError,
)
from .factory import get_spp_client, get_spp_sandbox, spp_mode

__all__ = [
    "SppAuthError",
    "SppBadGateway",
    "SppClient",
    "SppError",
    "SppNotFound",
    "SppRateLimited",
    "SppResponseError",
    "SppTimeout",
    "SppUnavailable",
    "SppValidationError",
    "get_spp_client",
    "get_spp_sandbox",
    "spp_mode",
]
