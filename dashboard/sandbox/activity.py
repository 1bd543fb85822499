"""The account's activity log: GET /iam/activity_log/requests[/{id}] and GET
/iam/activity_log/account_status_changes (iam_reseller_api.yaml, "IAM Reseller Account";
docs/gcore-api-notes.md §13).

The sandbox records every request it serves with a valid key (`record`, called by the Sandbox),
after seeded history of the last three weeks (data.activity_history). Both lists answer newest
first, paged with `limit` and `offset`, the only parameters Gcore documents. The log is bounded:
the last MAX_REQUESTS requests are kept, seeded ones included.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .api import ApiRequest
from .catalog import RESELLER_ACCOUNT_ID, RESELLER_ADMIN_EMAIL, RESELLER_ADMIN_ID, RESELLER_TOKEN_ID
from .data import activity_entry, activity_history
from .query import QueryErrors, page_links, parse_page
from .responses import SandboxResponse, field_errors, json_response, not_found
from .store import MAX_LOGGED_REQUESTS, Store

# The most requests the log keeps (the oldest go first), seeded and recorded together.
MAX_REQUESTS = MAX_LOGGED_REQUESTS
# The sandbox's choice: a page without `limit` holds this many (Gcore documents only the page).
DEFAULT_LIMIT = 100
# A recorded body longer than this is cut (the sandbox's bound on what one entry holds).
MAX_DATA_CHARS = 10_000
# Reads of the log itself are not recorded: an indexer polling the log would otherwise feed it.
NOT_RECORDED = "/iam/activity_log/"
FIRST_RECORDED_ID = 4_000_001
_TOKEN_ID = re.compile(r"([0-9]+)[$_]")


def record(
    store: Store,
    *,
    method: str,
    path: str,
    query: str,
    body: bytes,
    status: int,
    headers: dict[str, str],
    now: datetime,
) -> None:
    """Add one served request to the log (the lock held by the caller). The sandbox's key acts for
    the reseller's administrator, through an API token."""
    if path.startswith(NOT_RECORDED):
        return
    try:
        data = body.decode("utf-8")[:MAX_DATA_CHARS]
    except UnicodeDecodeError:
        data = ""  # an uploaded image is no text
    forwarded = headers.get("x-real-ip") or headers.get("x-forwarded-for", "").split(",")[0].strip()
    entry = activity_entry(
        FIRST_RECORDED_ID + store.recorded_count,
        RESELLER_ADMIN_ID,
        RESELLER_ADMIN_EMAIL,
        RESELLER_ACCOUNT_ID,
        token_id(headers.get("authorization", "")),
        now,
        method=method,
        path=path,
        query=query,
        data=data,
        status=status,
        ip=forwarded or "127.0.0.1",
        host=headers.get("host") or "api.gcore.com",
    )
    store.recorded_count += 1
    store.recorded_requests.append(entry)


def token_id(authorization: str) -> int:
    """The id of the key's token: Gcore's permanent tokens are `<id>$<secret>` or `<id>_<secret>`;
    any other key is the reseller's own token, RESELLER_TOKEN_ID."""
    key = authorization.strip().partition(" ")[2].strip()
    match = _TOKEN_ID.match(key)
    return int(match.group(1)) if match else RESELLER_TOKEN_ID


def list_requests(request: ApiRequest, store: Store) -> SandboxResponse:
    return _page(request, _requests(store))


def get_request(request: ApiRequest, store: Store, request_id: int) -> SandboxResponse:
    entry = next((e for e in _requests(store) if e["id"] == request_id), None)
    if entry is None:
        return not_found()
    return json_response(200, entry)


def list_status_changes(request: ApiRequest, store: Store) -> SandboxResponse:
    return _page(request, list(reversed(_history(store)[1])))


def _requests(store: Store) -> list[dict[str, Any]]:
    """Every request kept, newest first."""
    kept = [*_history(store)[0], *store.recorded_requests][-MAX_REQUESTS:]
    return kept[::-1]


def _history(store: Store) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if store.seeded_activity is None:
        store.seeded_activity = activity_history(store)
    return store.seeded_activity


def _page(request: ApiRequest, items: list[dict[str, Any]]) -> SandboxResponse:
    """Gcore: `{count, next, previous, result}`, the key singular (AccountRequestsSchema,
    AccountStatusChangesSchema; docs/gcore-api-notes.md §6)."""
    try:
        limit, offset = parse_page(request.params)
    except QueryErrors as exc:
        return field_errors(exc.errors)
    limit = limit or DEFAULT_LIMIT
    next_url, previous_url = page_links(request.url, count=len(items), limit=limit, offset=offset)
    return json_response(
        200,
        {
            "count": len(items),
            "next": next_url,
            "previous": previous_url,
            "result": items[offset : offset + limit],
        },
    )
