"""The SPP clients endpoints: routing as Laravel routes, and one handler per (path, method).

Handlers run with the sandbox lock held and read or change the store directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dashboard.sandbox.api import Route
from dashboard.sandbox.responses import SandboxResponse

from .listing import ListErrors, envelope, parse_list_query, select_clients
from .responses import MODEL_NOT_FOUND, json_response, message_error, validation_error
from .store import SppClient, SppStore
from .update import BodyInvalid, Invalid, apply, parse_body, validate


@dataclass(frozen=True)
class SppRequest:
    """What a handler needs from the HTTP request."""

    params: dict[str, Any]  # the query as PHP's parse_str reads it
    body: bytes
    path_url: str  # scheme://host/path, without the query: Laravel's `$request->url()`
    case_sensitive: bool  # the collation the sandbox simulates (docs/spp-api-notes.md §8)


def list_clients(request: SppRequest, store: SppStore) -> SandboxResponse:
    try:
        query = parse_list_query(request.params, case_sensitive=request.case_sensitive)
    except ListErrors as exc:
        return validation_error(exc.errors)
    matches = select_clients(store, query, case_sensitive=request.case_sensitive)
    start = (query.page - 1) * query.limit
    items = [client.list_json() for client in matches[start : start + query.limit]]
    return json_response(
        200, envelope(items, total=len(matches), query=query, path=request.path_url, params=request.params)
    )


def get_client(request: SppRequest, store: SppStore, user: str) -> SandboxResponse:
    client = _bound_client(store, user)
    if client is None:
        return _model_not_found(user)
    # SPP: one client is the bare User, without a `data` wrapper (docs/spp-api-notes.md §2).
    return json_response(200, client.full_json())


def put_client(request: SppRequest, store: SppStore, user: str) -> SandboxResponse:
    client = _bound_client(store, user)
    if client is None:
        return _model_not_found(user)
    try:
        changes = validate(parse_body(request.body), client, store, case_sensitive=request.case_sensitive)
    except BodyInvalid as exc:
        return message_error(400, str(exc))
    except Invalid as exc:
        return validation_error(exc.errors)
    apply(client, changes)
    return json_response(200, client.full_json())


def _bound_client(store: SppStore, user: str) -> SppClient | None:
    """Laravel's route-model binding by id; only clients are bound (employees are users too, but
    not clients)."""
    if not re.fullmatch(r"[0-9]+", user):
        return None
    return store.clients.get(int(user))


def _model_not_found(user: str) -> SandboxResponse:
    return message_error(404, MODEL_NOT_FOUND.format(id=user))


# SPP: the clients routes the sandbox serves; Laravel answers HEAD wherever it answers GET.
# POST /api/clients and DELETE /api/clients/{user} exist in SPP but not here (docs/spp-api-notes.md §2).
ROUTES: tuple[Route, ...] = (
    Route(re.compile(r"/api/clients"), {"GET": list_clients, "HEAD": list_clients}),
    Route(
        re.compile(r"/api/clients/(?P<user>[^/]+)"),
        {"GET": get_client, "HEAD": get_client, "PUT": put_client},
    ),
)


def resolve(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a decoded path. No trailing slash is tolerated (docs/spp-api-notes.md §8)."""
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match:
            return route, match.groupdict()
    return None
