"""Response value and the Gcore-shaped error bodies the sandbox sends."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON_CONTENT_TYPE = "application/json"

# Gcore: IAM is Django REST Framework; DRF's 404 body (docs/gcore-api-notes.md §5).
NOT_FOUND = "Not found."
# Gcore: the IAM users API answers an unknown user with this detail
# (docs/gcore-api-notes.md §5).
USER_NOT_FOUND = "User not found."


@dataclass(frozen=True)
class SandboxResponse:
    """One HTTP response, independent of how it travels (in-process transport or socket)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """Decode the body; for tests and callers that use `Sandbox.handle` directly."""
        return json.loads(self.body)


def encode_json(payload: object) -> bytes:
    """Serialise like DRF's JSONRenderer: compact separators, raw UTF-8 (UNICODE_JSON / COMPACT_JSON)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> SandboxResponse:
    """A JSON response with the content type every Gcore JSON answer carries."""
    all_headers = {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})}
    return SandboxResponse(status=status, headers=all_headers, body=encode_json(payload))


def empty_response(status: int = 204) -> SandboxResponse:
    """A bodyless answer (PUT client-users returns 204)."""
    return SandboxResponse(status=status, headers={}, body=b"")


def detail_error(status: int, detail: str, headers: dict[str, str] | None = None) -> SandboxResponse:
    """DRF's `{"detail": ...}` error shape (401, 404, 405, throttling)."""
    return json_response(status, {"detail": detail}, headers)


def not_found(detail: str = NOT_FOUND) -> SandboxResponse:
    return detail_error(404, detail)


def field_errors(errors: dict[str, list[str]]) -> SandboxResponse:
    """Gcore: validation errors are `{"errors": {"<field>": ["msg"]}}`
    (docs/gcore-api-notes.md §5)."""
    return json_response(400, {"errors": errors})


def json_parse_error(detail: str) -> SandboxResponse:
    """Gcore: a body that is not JSON gives `{"message": "JSON parse error - ..."}`
    (docs/gcore-api-notes.md §5)."""
    return json_response(400, {"message": f"JSON parse error - {detail}"})


def method_not_allowed(method: str, allowed: list[str]) -> SandboxResponse:
    """DRF's 405 body, with the `Allow` header HTTP requires."""
    return detail_error(405, f'Method "{method}" not allowed.', {"Allow": ", ".join(allowed)})
