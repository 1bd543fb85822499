"""The reseller's sellers: GET and POST /iam/admin/sellers, GET, PATCH and DELETE
/iam/admin/sellers/{sellerId} (iam_reseller_api.yaml, "Sellers"; docs/gcore-api-notes.md §12).

The seeded sellers are catalog.SELLERS. A deleted seller is kept, flagged `deleted: true` (the
Seller schema has the flag and the list a `deleted` filter), and is unassigned from every client;
it can no longer be named as a client's `seller`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from .api import ApiRequest
from .catalog import RESELLER_NAME
from .invitations import users_with_email
from .query import (
    ParamError,
    QueryErrors,
    page_body,
    parse_bool,
    parse_deleted,
    parse_int,
    parse_int_csv,
    parse_page,
)
from .responses import SandboxResponse, empty_response, field_errors, json_response, not_found
from .store import Store, api_datetime
from .validation import (
    BodyError,
    CharField,
    FieldError,
    Validator,
    email_field,
    parse_json_object,
    validate_fields,
)

# Gcore: IAM answers in DRF's shape (docs/gcore-api-notes.md §5): a seller is a user, so an address
# already used by a user or a seller gets DRF's UniqueValidator message for the user model's e-mail.
EMAIL_TAKEN = "user with this email already exists."
# Gcore: Seller.phone's pattern (iam_reseller_api.yaml); Django's RegexValidator message.
PHONE_PATTERN = re.compile(r"[a-z0-9+\-()#, *]*")
INVALID_VALUE = "Enter a valid value."

# Gcore: the list's ordering fields (SellersOrdering); unknown ones are dropped, as DRF drops them.
ORDER_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    name: itemgetter(name) for name in ("id", "email", "full_name", "date_joined", "activated", "deleted")
}


def _contains(key: str) -> Callable[[str], Callable[[dict[str, Any]], bool]]:
    # Case-insensitive substring, as the client list's text filters (docs/gcore-api-notes.md §3).
    return lambda needle: lambda seller: needle.lower() in str(seller[key]).lower()


# Gcore: the list's filters, in the spec's order (iam_reseller_api.yaml, GET /iam/admin/sellers).
FILTERS: dict[str, tuple[Callable[[str], Any], Callable[[Any], Callable[[dict[str, Any]], bool]]]] = {
    "id": (parse_int, lambda wanted: lambda seller: seller["id"] == wanted),
    "id__in": (parse_int_csv, lambda ids: lambda seller: seller["id"] in ids),
    "id__contains": (str, lambda part: lambda seller: part in str(seller["id"])),
    "email": (str, _contains("email")),
    "full_name": (str, _contains("full_name")),
    "activated": (parse_bool, lambda wanted: lambda seller: seller["activated"] is wanted),
    "deleted": (parse_deleted, lambda wanted: lambda seller: wanted is None or seller["deleted"] is wanted),
    "reseller_name": (str, _contains("reseller_name")),
}


def list_sellers(request: ApiRequest, store: Store) -> SandboxResponse:
    try:
        limit, offset = parse_page(request.params)
        tests = _filters(request.params)
    except QueryErrors as exc:
        return field_errors(exc.errors)
    sellers = [s for s in store.sellers if all(test(s) for test in tests)]
    sellers = _ordered(sellers, request.params.get("ordering", ""))
    if limit is None:
        # Gcore: without `limit`, a plain array of every seller (GetSellersResponse.SellersArray;
        # docs/gcore-api-notes.md §6).
        return json_response(200, sellers)
    return json_response(200, page_body(request.url, sellers, limit=limit, offset=offset))


def create_seller(request: ApiRequest, store: Store) -> SandboxResponse:
    try:
        data = parse_json_object(request.body)
        new = validate_fields(data, _validators(store, None), required=("email", "full_name"))
    except BodyError as exc:
        return exc.response
    seller = {
        "id": store.take_id("seller"),
        "email": new["email"],
        "full_name": new["full_name"],
        "phone": new.get("phone") or "",
        "reseller_name": RESELLER_NAME,
        "company": RESELLER_NAME,
        "date_joined": api_datetime(request.now),
        # Gcore: the seller is e-mailed an activation link; until it sets a password it is not
        # activated (POST /iam/admin/sellers). The sandbox sends no e-mail.
        "activated": False,
        "deleted": False,
    }
    store.sellers.append(seller)
    # Gcore: 200, not 201 (iam_reseller_api.yaml, POST /iam/admin/sellers).
    return json_response(200, seller)


def get_seller(request: ApiRequest, store: Store, seller_id: int) -> SandboxResponse:
    seller = find_seller(store, seller_id)
    if seller is None:
        return not_found()
    return json_response(200, seller)


def patch_seller(request: ApiRequest, store: Store, seller_id: int) -> SandboxResponse:
    seller = find_seller(store, seller_id)
    if seller is None or seller["deleted"]:
        return not_found()
    try:
        changes = validate_fields(parse_json_object(request.body), _validators(store, seller_id))
    except BodyError as exc:
        return exc.response
    if "phone" in changes:
        changes["phone"] = changes["phone"] or ""
    seller.update(changes)
    return json_response(200, seller)


def delete_seller(request: ApiRequest, store: Store, seller_id: int) -> SandboxResponse:
    seller = find_seller(store, seller_id)
    # The sandbox's reading: a deleted seller stays, flagged; deleting it again finds nothing.
    if seller is None or seller["deleted"]:
        return not_found()
    seller["deleted"] = True
    # Gcore: "Seller will be unassigned from all clients to which he was appointed."
    for client in store.clients.values():
        if client.fields["seller"] == seller_id:
            client.fields["seller"] = None
    return empty_response(204)


def find_seller(store: Store, seller_id: int) -> dict[str, Any] | None:
    return next((seller for seller in store.sellers if seller["id"] == seller_id), None)


def live_seller_ids(store: Store) -> frozenset[int]:
    """The sellers a client's `seller` may name: those not deleted."""
    return frozenset(seller["id"] for seller in store.sellers if not seller["deleted"])


def _validators(store: Store, seller_id: int | None) -> dict[str, Validator]:
    """Seller's writable properties in the spec's order (the order errors come in)."""
    return {
        "email": _unused_email(store, seller_id),
        "full_name": CharField(max_length=255),
        "phone": CharField(max_length=30, allow_null=True, allow_blank=True, check=_phone_problems),
    }


def _unused_email(store: Store, seller_id: int | None) -> Validator:
    # Gcore: Seller.email is at most 150 characters, not the 254 of other e-mails (iam_reseller_api.yaml).
    valid_email = email_field(max_length=150)

    def validate(value: object) -> str | None:
        email = valid_email(value)
        if email is None:
            return None
        wanted = email.lower()
        taken = any(s["email"].lower() == wanted and s["id"] != seller_id for s in store.sellers) or bool(
            users_with_email(store, email)
        )
        if taken:
            raise FieldError(EMAIL_TAKEN)
        return email

    return validate


def _phone_problems(text: str) -> list[str]:
    return [] if PHONE_PATTERN.fullmatch(text) else [INVALID_VALUE]


def _filters(params: dict[str, str]) -> list[Callable[[dict[str, Any]], bool]]:
    tests: list[Callable[[dict[str, Any]], bool]] = []
    errors: dict[str, list[str]] = {}
    for name, (parse, build) in FILTERS.items():
        raw = params.get(name, "")
        if raw == "":  # django-filter skips empty values
            continue
        try:
            tests.append(build(parse(raw)))
        except ParamError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise QueryErrors(errors)
    return tests


def _ordered(sellers: list[dict[str, Any]], raw: str) -> list[dict[str, Any]]:
    """By id, then by each known `ordering` term (the last applied first), as query.order_clients."""
    result = sorted(sellers, key=lambda seller: seller["id"])
    terms = [term.strip() for term in raw.split(",")]
    known = [
        (t.lstrip("-"), t.startswith("-")) for t in terms if t.lstrip("-") in ORDER_KEYS and t.count("-") <= 1
    ]
    for name, descending in reversed(known):
        key = ORDER_KEYS[name]
        result.sort(key=key, reverse=descending)  # no Seller property is ever null
    return result
