"""Products' availability: the reseller's defaults and each client's personal settings
(iam_reseller_api.yaml, "Products' availability"; docs/gcore-api-notes.md §10).

A client follows the default of every product it has not personalised. A PATCH of a client's
product personalises it (`ClientRecord.product_overrides`, which the
`personal_product_availability` list filter reads); a DELETE makes it follow the default again.
"""

from __future__ import annotations

from collections.abc import Iterable

from .api import ApiRequest
from .catalog import LOCKING_SERVICE_STATUSES, SERVICES
from .responses import SandboxResponse, empty_response, json_response, not_found
from .store import ClientRecord, Store
from .validation import BodyError, Validator, boolean, choice, choice_list, parse_json_object, validate_fields

# Gcore: ProductAvailability, both properties required; a PATCH takes ONE of them, not an array
# (iam_reseller_api.yaml; docs/gcore-api-notes.md §10).
PRODUCT_AVAILABILITY: dict[str, Validator] = {"product_name": choice(SERVICES), "available": boolean}
# Gcore: DeletePersonalProductAvailabilityRequest (iam_reseller_api.yaml). An empty list is
# accepted and changes nothing, and a repeated name is harmless (the sandbox's reading; DRF's
# ListField allows both).
RESET: dict[str, Validator] = {"product_names": choice_list(SERVICES, allow_empty=True, distinct=False)}
# The sandbox's wording: Gcore documents the 403's shape, not its message.
LOCKED_MESSAGE = (
    "A product cannot be made unavailable while services of it are in trial, activating or active status."
)


def get_defaults(request: ApiRequest, store: Store) -> SandboxResponse:
    return json_response(
        200, [{"product_name": p, "available": store.default_availability[p]} for p in SERVICES]
    )


def patch_defaults(request: ApiRequest, store: Store) -> SandboxResponse:
    try:
        product, available = _product_availability(request.body)
    except BodyError as exc:
        return exc.response
    if not available:
        # Only the clients that follow the default would lose the product.
        following = (c for c in store.clients.values() if product not in c.product_overrides)
        refused = locked_response((client, product) for client in following)
        if refused is not None:
            return refused
    store.default_availability[product] = available
    return json_response(200, {"product_name": product, "available": available})


def get_client(request: ApiRequest, store: Store, client_id: int) -> SandboxResponse:
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    return json_response(200, store.availability_json(client))


def patch_client(request: ApiRequest, store: Store, client_id: int) -> SandboxResponse:
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    try:
        product, available = _product_availability(request.body)
    except BodyError as exc:
        return exc.response
    if not available:
        refused = locked_response([(client, product)])
        if refused is not None:
            return refused
    # Gcore: once set, the client's setting of this product no longer follows the defaults, even
    # when it equals them (the PATCH's description, iam_reseller_api.yaml; docs/gcore-api-notes.md §10).
    client.product_overrides[product] = available
    return json_response(200, {"product_name": product, "available": available})


def reset_client(request: ApiRequest, store: Store, client_id: int) -> SandboxResponse:
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    return _reset(request, store, [client])


def reset_all_clients(request: ApiRequest, store: Store) -> SandboxResponse:
    return _reset(request, store, list(store.clients.values()))


def _reset(request: ApiRequest, store: Store, clients: list[ClientRecord]) -> SandboxResponse:
    """Back to the defaults for the named products: refused (403, nothing changes) if that would
    turn off a product whose service is in use."""
    try:
        data = parse_json_object(request.body)
        products = validate_fields(data, RESET, required=("product_names",))["product_names"]
    except BodyError as exc:
        return exc.response
    losing = (
        (client, product)
        for client in clients
        for product in products
        if client.product_overrides.get(product) is True and not store.default_availability[product]
    )
    refused = locked_response(losing)
    if refused is not None:
        return refused
    for client in clients:
        for product in products:
            client.product_overrides.pop(product, None)
    return empty_response(204)


def locked_response(losing: Iterable[tuple[ClientRecord, str]]) -> SandboxResponse | None:
    """Gcore's 403 (ProductAvailabilityEditingForbiddenSchema) when any client would lose a product
    whose service is in trial, activating or active: the products listed under each such status;
    None when nothing is in the way. The sandbox always sends all three lists."""
    found: dict[str, set[str]] = {status: set() for status in LOCKING_SERVICE_STATUSES}
    for client, product in losing:
        status = client.service_state(product)["status"]
        if status in found:
            found[status].add(product)
    if not any(found.values()):
        return None
    body = {"message": LOCKED_MESSAGE} | {
        status: [p for p in SERVICES if p in products] for status, products in found.items()
    }
    return json_response(403, body)


def _product_availability(body: bytes) -> tuple[str, bool]:
    cleaned = validate_fields(
        parse_json_object(body), PRODUCT_AVAILABILITY, required=("product_name", "available")
    )
    return cleaned["product_name"], cleaned["available"]
