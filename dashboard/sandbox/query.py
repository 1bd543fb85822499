"""GET /iam/clients: query-parameter parsing, filtering, ordering and limit/offset pagination.

Gcore's IAM is Django REST Framework with django-filter (docs/gcore-api-notes.md §5), so behaviour the docs
leave open follows those libraries: an empty parameter value means "no filter", the last of a
repeated parameter wins, unknown ordering fields are ignored, and the pagination links are built
the way DRF's LimitOffsetPagination builds them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .catalog import CLIENT_TYPES, SERVICE_STATUSES
from .store import ClientRecord, Store

T = TypeVar("T")
Predicate = Callable[[ClientRecord, Store], bool]

# Gcore: the maximum `limit` is undocumented; Gcore's general pagination page gives 1000
# (docs/gcore-api-notes.md §6).
MAX_LIMIT = 1000

INVALID_INTEGER = "A valid integer is required."
INVALID_NUMBER = "Enter a number."
INVALID_DATETIME = "Enter a valid date/time."
INVALID_BOOLEAN = "Must be a valid boolean."
_INT_RE = re.compile(r"[+-]?[0-9]+")
# DRF BooleanField's query spellings the brief asks for; anything else is refused.
_BOOLEANS = {"true": True, "True": True, "1": True, "false": False, "False": False, "0": False}


class ParamError(ValueError):
    """One invalid query-parameter value; the message is the DRF-style text sent to the caller."""


class QueryErrors(ValueError):
    """Every invalid parameter of one request, in the `{"param": ["message"]}` shape."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


# -- value parsers ----------------------------------------------------------------------------


def parse_int(value: str) -> int:
    if not _INT_RE.fullmatch(value.strip()):
        raise ParamError(INVALID_INTEGER)
    return int(value)


def parse_number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ParamError(INVALID_NUMBER) from None
    if not math.isfinite(number):  # Django's FloatField refuses nan and inf too
        raise ParamError(INVALID_NUMBER)
    return number


def parse_bool(value: str) -> bool:
    try:
        return _BOOLEANS[value]
    except KeyError:
        raise ParamError(INVALID_BOOLEAN) from None


def parse_datetime(value: str) -> datetime:
    """ISO 8601 date-time or plain date; a naive value is UTC (Django's USE_TZ default zone)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParamError(INVALID_DATETIME) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_int_csv(value: str) -> frozenset[int]:
    """Comma-separated ids; every item must be an integer (an empty item is malformed too)."""
    return frozenset(parse_int(item) for item in value.split(","))


def parse_str_csv(value: str) -> frozenset[str]:
    return frozenset(item.strip() for item in value.split(",") if item.strip())


def choice_parser(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = frozenset(choices)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ParamError(f"Select a valid choice. {value} is not one of the available choices.")
        return value

    return parse


def parse_deleted(value: str) -> bool | None:
    """Gcore: `true` only deleted, `false` only non-deleted, any other value returns all
    (FilterByDeleted; docs/gcore-api-notes.md §3)."""
    return {"true": True, "false": False}.get(value)


# -- predicates -------------------------------------------------------------------------------


def _contains(haystack: str | None, needle: str) -> bool:
    # Gcore: matching semantics are undocumented (docs/gcore-api-notes.md §3); case-insensitive substring
    # (django-filter `icontains`) is what makes a search box useful.
    return haystack is not None and needle.lower() in haystack.lower()


def field_contains(key: str) -> Callable[[str], Predicate]:
    return lambda needle: lambda client, store: _contains(client.fields[key], needle)


def users_contain(key: str) -> Callable[[str], Predicate]:
    return lambda needle: (
        lambda client, store: any(_contains(user.fields[key], needle) for user in store.users_of(client))
    )


def field_equals(key: str) -> Callable[[Any], Predicate]:
    return lambda wanted: lambda client, store: client.fields[key] == wanted


def service_status_is(service: str) -> Callable[[str], Predicate]:
    return lambda wanted: lambda client, store: client.fields["serviceStatuses"][service]["status"] == wanted


def hidden_service_status_is(service: str) -> Callable[[str], Predicate]:
    return lambda wanted: lambda client, store: client.hidden_service_statuses[service] == wanted


def deleted_is(wanted: bool | None) -> Predicate:
    return lambda client, store: wanted is None or client.fields["deleted"] is wanted


def activated_is(wanted: bool) -> Predicate:
    # Gcore: "status of activation" is undocumented for clients; the sandbox reads it as "has at
    # least one activated, non-deleted user", the flag Gcore's users carry (docs/gcore-api-notes.md §3).
    return lambda client, store: (
        wanted
        is any(user.fields["activated"] and not user.fields["deleted"] for user in store.users_of(client))
    )


def country_is(wanted: str) -> Predicate:
    # Gcore: the literal `null` selects clients without a country (FilterClientsByCountryCode;
    # docs/gcore-api-notes.md §3).
    if wanted == "null":
        return lambda client, store: client.country is None
    return lambda client, store: client.country is not None and client.country.lower() == wanted.lower()


def _predicate(test: Callable[[ClientRecord, T], bool]) -> Callable[[T], Predicate]:
    """Lift a test on internal client state into a predicate factory."""
    return lambda wanted: lambda client, store: test(client, wanted)


@dataclass(frozen=True)
class Filter(Generic[T]):
    parse: Callable[[str], T]
    build: Callable[[T], Predicate]


def _text(build: Callable[[str], Predicate]) -> Filter[str]:
    return Filter(str, build)


_SERVICE_STATUS = choice_parser(SERVICE_STATUSES)

# Gcore: every filter of GET /iam/clients, in the order Gcore documents them (docs/gcore-api-notes.md §3).
FILTERS: dict[str, Filter[Any]] = {
    "email": _text(field_contains("email")),
    "companyName": _text(field_contains("companyName")),
    "name": _text(field_contains("name")),
    "deleted": Filter(parse_deleted, deleted_is),
    "reseller_id": Filter(parse_int, field_equals("resellers")),
    "seller_id": Filter(parse_int, field_equals("seller")),
    "custom_id": _text(field_contains("custom_id")),
    "cdn": Filter(_SERVICE_STATUS, service_status_is("CDN")),
    "storage": Filter(_SERVICE_STATUS, service_status_is("STORAGE")),
    "ddos": Filter(_SERVICE_STATUS, service_status_is("DDOS")),
    "dns": Filter(_SERVICE_STATUS, service_status_is("DNS")),
    "cloud": Filter(_SERVICE_STATUS, service_status_is("CLOUD")),
    "infrastructure_protection": Filter(
        _SERVICE_STATUS, hidden_service_status_is("infrastructure_protection")
    ),
    "connect": Filter(_SERVICE_STATUS, hidden_service_status_is("connect")),
    "min_traffic": Filter(parse_number, _predicate(lambda c, gb: c.traffic_gb >= gb)),
    "max_traffic": Filter(parse_number, _predicate(lambda c, gb: c.traffic_gb <= gb)),
    "secondaryhostnames": _text(
        _predicate(lambda c, needle: any(_contains(host, needle) for host in c.secondary_hostnames))
    ),
    "activated": Filter(parse_bool, activated_is),
    "id__in__exclude": Filter(parse_int_csv, _predicate(lambda c, ids: c.id not in ids)),
    "bill_type": _text(field_contains("bill_type")),
    "users_name": _text(users_contain("name")),
    "users_email": _text(users_contain("email")),
    "created_at_gte": Filter(parse_datetime, _predicate(lambda c, moment: c.created_at >= moment)),
    "created_at_lte": Filter(parse_datetime, _predicate(lambda c, moment: c.created_at <= moment)),
    "feature_id_in": Filter(parse_int_csv, _predicate(lambda c, ids: bool(c.feature_ids & ids))),
    "is_test": Filter(parse_bool, field_equals("is_test")),
    "client_type": Filter(choice_parser(CLIENT_TYPES), field_equals("client_type")),
    "personal_product_availability": Filter(
        parse_str_csv, _predicate(lambda c, names: bool(c.personal_products & names))
    ),
    "promocode": _text(_predicate(lambda c, needle: _contains(c.promocode, needle))),
    "country_code": _text(country_is),
}

# Gcore: ordering fields of ClientsOrdering; `created_at` is internal (not in the Client schema)
# (docs/gcore-api-notes.md §3, §4).
ORDER_KEYS: dict[str, Callable[[ClientRecord], Any]] = {
    "id": lambda c: c.id,
    "email": lambda c: c.fields["email"],
    "name": lambda c: c.fields["name"],
    "status": lambda c: c.fields["status"],
    "companyName": lambda c: c.fields["companyName"],
    "created_at": lambda c: c.created_at,
}


# -- the parsed request -----------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    predicates: tuple[Predicate, ...]
    ordering: tuple[tuple[str, bool], ...]  # (field, descending)
    limit: int | None
    offset: int


def parse_list_query(params: dict[str, str]) -> ListQuery:
    """Validate every parameter at once; raise QueryErrors listing all the bad ones."""
    errors: dict[str, list[str]] = {}

    def parsed(name: str, parse: Callable[[str], T]) -> T | None:
        raw = params.get(name, "")
        if raw == "":  # django-filter skips empty values
            return None
        try:
            return parse(raw)
        except ParamError as exc:
            errors[name] = [str(exc)]
            return None

    predicates = []
    for name, spec in FILTERS.items():
        value = parsed(name, spec.parse)
        if value is not None:
            predicates.append(spec.build(value))
    limit = parsed("limit", _bounded_int(1))
    offset = parsed("offset", _bounded_int(0))
    if errors:
        raise QueryErrors(errors)
    return ListQuery(
        predicates=tuple(predicates),
        ordering=parse_ordering(params.get("ordering", "")),
        # Gcore: the largest limit is undocumented; larger ones are capped, like DRF's
        # LimitOffsetPagination.max_limit (docs/gcore-api-notes.md §6).
        limit=None if limit is None else min(limit, MAX_LIMIT),
        offset=offset or 0,
    )


def parse_page(params: dict[str, str]) -> tuple[int | None, int]:
    """(limit, offset) of a list that takes nothing else (the sellers), checked and capped as for
    GET /iam/clients; QueryErrors if either is malformed."""
    query = parse_list_query({name: params[name] for name in ("limit", "offset") if name in params})
    return query.limit, query.offset


def _bounded_int(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number = parse_int(value)
        if number < minimum:
            raise ParamError(f"Ensure this value is greater than or equal to {minimum}.")
        return number

    return parse


def parse_ordering(raw: str) -> tuple[tuple[str, bool], ...]:
    """`email,-created_at` → (("email", False), ("created_at", True)); unknown terms are dropped
    as DRF's OrderingFilter drops them."""
    terms = (term.strip() for term in raw.split(","))
    return tuple(
        (term.lstrip("-"), term.startswith("-"))
        for term in terms
        if term.lstrip("-") in ORDER_KEYS and term.count("-") <= 1
    )


def select_clients(store: Store, query: ListQuery) -> list[ClientRecord]:
    """All matching clients in the requested order."""
    matches = [c for c in store.clients.values() if all(test(c, store) for test in query.predicates)]
    return order_clients(matches, query.ordering)


def order_clients(clients: list[ClientRecord], ordering: Iterable[tuple[str, bool]]) -> list[ClientRecord]:
    """Stable multi-key sort: id ascending first, so every tie ends up broken by id."""
    result = sorted(clients, key=lambda c: c.id)
    for name, descending in reversed(tuple(ordering)):
        key = ORDER_KEYS[name]
        # NULLs sort after every value ascending and before them descending, as PostgreSQL does.
        result.sort(key=lambda c: _nulls_last(key(c)), reverse=descending)
    return result


def _nulls_last(value: Any) -> tuple[bool, Any]:
    return (value is None, "" if value is None else value)


# -- pagination links -------------------------------------------------------------------------


def page_body(url: str, items: list[Any], *, limit: int, offset: int) -> dict[str, Any]:
    """`{count, next, previous, results}`: one page of `items` (already rendered), as DRF's
    LimitOffsetPagination answers."""
    next_url, previous_url = page_links(url, count=len(items), limit=limit, offset=offset)
    return {
        "count": len(items),
        "next": next_url,
        "previous": previous_url,
        "results": items[offset : offset + limit],
    }


def page_links(url: str, *, count: int, limit: int, offset: int) -> tuple[str | None, str | None]:
    """(next, previous) exactly as DRF's LimitOffsetPagination derives them from the request URL."""
    next_url = None
    if offset + limit < count:
        next_url = _replace_param(_replace_param(url, "limit", limit), "offset", offset + limit)
    previous_url = None
    if offset > 0:
        with_limit = _replace_param(url, "limit", limit)
        previous_url = (
            _replace_param(with_limit, "offset", None)
            if offset - limit <= 0
            else _replace_param(with_limit, "offset", offset - limit)
        )
    return next_url, previous_url


def _replace_param(url: str, key: str, value: int | None) -> str:
    """DRF's replace_query_param / remove_query_param (value None): sorted, re-encoded query."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params.pop(key, None)
    if value is not None:
        params[key] = [str(value)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment))
