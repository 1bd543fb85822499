"""SPP-shaped responses: Laravel's JSON bodies and the headers every SPP answer carries."""

from __future__ import annotations

import dataclasses
import json
import uuid
from http import HTTPStatus

from dashboard.sandbox.faults import Fault, status_fault_response
from dashboard.sandbox.responses import JSON_CONTENT_TYPE, SandboxResponse

from .catalog import API_VERSION

# SPP: a client that does not exist; Laravel's ModelNotFoundException text for App\Models\User
# (docs/spp-api-notes.md §7).
MODEL_NOT_FOUND = "No query results for model [App\\Models\\User] {id}"
UNAUTHENTICATED = "Unauthenticated."
# Laravel's words for statuses whose message it sets itself (an unhandled exception, the throttle);
# other statuses answer their reason phrase (docs/spp-api-notes.md §7).
LARAVEL_MESSAGES = {429: "Too Many Attempts.", 500: "Server Error"}


def encode_json(payload: object) -> bytes:
    """Serialise like PHP's json_encode with Laravel's default flags: compact, non-ASCII as \\uXXXX
    and `/` escaped as `\\/`. A `/` occurs only inside strings, so escaping it keeps the JSON valid."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def json_response(status: int, payload: object, headers: dict[str, str] | None = None) -> SandboxResponse:
    return SandboxResponse(
        status=status,
        headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})},
        body=encode_json(payload),
    )


def message_error(status: int, message: str, headers: dict[str, str] | None = None) -> SandboxResponse:
    """Laravel's error shape: `{"message": "..."}` (docs/spp-api-notes.md §7)."""
    return json_response(status, {"message": message}, headers)


def validation_error(errors: dict[str, list[str]]) -> SandboxResponse:
    """Laravel's validation body, with SPP's documented 400 instead of Laravel's usual 422
    (docs/spp-api-notes.md §7): the first message, "(and N more errors)" counting every other
    message of every field, and the messages by field."""
    messages = [message for field_messages in errors.values() for message in field_messages]
    summary = messages[0]
    if more := len(messages) - 1:
        summary += f" (and {more} more {'error' if more == 1 else 'errors'})"
    return json_response(400, {"message": summary, "errors": errors})


def status_fault(fault: Fault) -> SandboxResponse:
    """A "status" fault in Laravel's shape; `Retry-After` exactly as the Gcore sandbox writes it."""
    headers = {k: v for k, v in status_fault_response(fault).headers.items() if k != "Content-Type"}
    try:
        phrase = HTTPStatus(fault.status).phrase
    except ValueError:
        phrase = "Error"
    return message_error(fault.status, LARAVEL_MESSAGES.get(fault.status, phrase), headers)


def with_api_headers(response: SandboxResponse) -> SandboxResponse:
    """SPP: every answer carries `X-Api-Version` and a fresh `X-Api-Identifier` (docs/spp-api-notes.md §1)."""
    headers = {**response.headers, "X-Api-Version": API_VERSION, "X-Api-Identifier": str(uuid.uuid4())}
    return dataclasses.replace(response, headers=headers)
