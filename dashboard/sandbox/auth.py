"""API-key authentication as Gcore's permanent tokens work."""

from __future__ import annotations

import hmac

from .responses import SandboxResponse, json_response

# Gcore: the scheme word is documented both as `APIKey` (SDK) and `apikey` (securityScheme), so it is
# case-insensitive (docs/gcore-api-notes.md §1).
SCHEME = "apikey"
# DRF answers 401 (not 403) only when the authenticator names a challenge.
CHALLENGE = {"WWW-Authenticate": "APIKey"}


def _unauthorized(detail: str, code: str) -> SandboxResponse:
    # Gcore: the 401 codes are DRF/simplejwt's not_authenticated and token_not_valid (docs/gcore-api-notes.md
    # §1).
    return json_response(401, {"detail": detail, "code": code}, CHALLENGE)


def authenticate(header: str | None, token: str | None) -> SandboxResponse | None:
    """None when `Authorization` carries an acceptable key, else the 401 to send.
    `token` None accepts any non-empty key. The key itself never appears in a response."""
    if not header or not header.strip():
        return _unauthorized("Authentication credentials were not provided.", "not_authenticated")
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    accepted = scheme.lower() == SCHEME and bool(key)
    if accepted and token is not None:
        accepted = hmac.compare_digest(key.encode("utf-8"), token.encode("utf-8"))
    if not accepted:
        return _unauthorized("Token is invalid or expired", "token_not_valid")
    return None
