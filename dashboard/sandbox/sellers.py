"""GET /iam/admin/sellers: the sandbox's sellers (catalog.SELLERS, the ids clients' `seller` may
name; iam_reseller_api.yaml, "Sellers")."""

from __future__ import annotations

from .api import ApiRequest
from .query import QueryErrors, page_body, parse_page
from .responses import SandboxResponse, field_errors, json_response
from .store import Store


def list_sellers(request: ApiRequest, store: Store) -> SandboxResponse:
    # The sandbox serves the list alone: the spec's filters and `ordering` are ignored (the order
    # is by id), as unknown parameters are.
    try:
        limit, offset = parse_page(request.params)
    except QueryErrors as exc:
        return field_errors(exc.errors)
    sellers = sorted(store.sellers, key=lambda seller: seller["id"])
    if limit is None:
        # Gcore: without `limit`, a plain array of every seller (GetSellersResponse.SellersArray;
        # docs/gcore-api-notes.md §6).
        return json_response(200, sellers)
    return json_response(200, page_body(request.url, sellers, limit=limit, offset=offset))
