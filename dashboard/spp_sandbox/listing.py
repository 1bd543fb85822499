"""GET /api/clients: PHP-style query parsing, filters, sort and Laravel's length-aware pagination.

SPP is a Laravel application, so what its docs leave open follows Laravel and PHP
(docs/spp-api-notes.md §3, §8): the query string is read as PHP's `parse_str` reads it
(`filters[email][$eq]=x` nests, `[]` appends, the last of a repeated name wins), the envelope is
what a paginated API resource collection renders, and its URLs are rebuilt with PHP's
`http_build_query` (RFC 3986 encoding, the request's query kept, `page` last).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from .store import SppClient, SppStore

DEFAULT_LIMIT = 20
# SPP: no maximum `limit` is documented; the sandbox refuses more than 100 (docs/spp-api-notes.md §8).
MAX_LIMIT = 100
# Laravel's UrlWindow default: three page links on each side of the current one.
ON_EACH_SIDE = 3
PREVIOUS_LABEL = "&laquo; Previous"
NEXT_LABEL = "Next &raquo;"

# SPP: "any field" of the list item can be filtered and sorted (docs/spp-api-notes.md §3); these are its
# scalars (address, custom_fields and role are objects) and how they compare.
INT, NUMBER, DATE, TEXT = "integer", "number", "date", "text"
FIELD_TYPES: dict[str, str] = {
    "id": INT,
    "aff_id": INT,
    "aff_link": TEXT,
    "created_at": DATE,
    "name_f": TEXT,
    "name_l": TEXT,
    "email": TEXT,
    "company": TEXT,
    "tax_id": TEXT,
    "phone": TEXT,
    "note": TEXT,
    "balance": NUMBER,
    "optin": TEXT,
    "stripe_id": TEXT,
    "status": INT,
    "role_id": INT,
    "name": TEXT,
    "spent": NUMBER,
}
OPERATORS = ("$eq", "$lt", "$gt", "$in")
_INT_RE = re.compile(r"[+-]?[0-9]+")
_KEY_RE = re.compile(r"([^\[]*)((?:\[[^\]]*\])*)")


class ListErrors(ValueError):
    """Every invalid query parameter of one request, as Laravel's `{"field": ["message"]}`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


# -- PHP's query strings ----------------------------------------------------------------------


def parse_php_query(query: str) -> dict[str, Any]:
    """`parse_str`: `a[b][c]=1` nests, `a[]=1&a[]=2` appends (PHP arrays become dicts with
    "0", "1", ... keys), a repeated name keeps its last value."""
    result: dict[str, Any] = {}
    for raw_key, value in parse_qsl(query, keep_blank_values=True):
        match = _KEY_RE.match(raw_key)
        if match is None:  # never: both groups may be empty, so every name matches
            continue
        base, parts = match.group(1), re.findall(r"\[([^\]]*)\]", match.group(2))
        if not parts:
            # No complete `[...]`: the whole name is literal, an unclosed `[` becoming `_`.
            base = raw_key.replace("[", "_", 1)
        if not base:
            continue  # PHP drops a parameter without a name
        # PHP turns dots and spaces in the top-level name into underscores; it ignores
        # anything after the last complete `[...]` group.
        keys = [base.replace(".", "_").replace(" ", "_"), *parts]
        node = result
        for key in keys[:-1]:
            key = key or _next_index(node)
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node[keys[-1] or _next_index(node)] = value
    return result


def _next_index(array: dict[str, Any]) -> str:
    indices = [int(key) for key in array if _INT_RE.fullmatch(key)]
    return str(max(indices) + 1 if indices else 0)


def build_php_query(params: dict[str, Any]) -> str:
    """`http_build_query($params, '', '&', PHP_QUERY_RFC3986)`: nested keys as `a%5Bb%5D`."""
    pairs: list[str] = []

    def add(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                add(f"{prefix}%5B{_raw(key)}%5D", item)
        else:
            pairs.append(f"{prefix}={_raw(str(value))}")

    for key, value in params.items():
        add(_raw(key), value)
    return "&".join(pairs)


def _raw(text: str) -> str:
    """PHP's rawurlencode: everything but letters, digits and `-_.~`."""
    return quote(text, safe="-_.~")


# -- the parsed request -----------------------------------------------------------------------

Predicate = Callable[[SppClient], bool]


@dataclass(frozen=True)
class ListQuery:
    predicates: tuple[Predicate, ...]
    sort_field: str | None  # None: SPP's default order, newest first
    descending: bool
    limit: int
    page: int


def parse_list_query(params: dict[str, Any], *, case_sensitive: bool) -> ListQuery:
    """Validate every parameter at once; ListErrors lists all the bad ones."""
    errors: dict[str, list[str]] = {}
    limit = _bounded_int(params, "limit", DEFAULT_LIMIT, errors, maximum=MAX_LIMIT)
    page = _bounded_int(params, "page", 1, errors)
    sort_field, descending = _sort(params, errors)
    predicates = _filters(params, errors, case_sensitive=case_sensitive)
    if errors:
        raise ListErrors(errors)
    return ListQuery(tuple(predicates), sort_field, descending, limit, page)


def _bounded_int(
    params: dict[str, Any],
    name: str,
    default: int,
    errors: dict[str, list[str]],
    *,
    maximum: int | None = None,
) -> int:
    """Laravel's `integer|min:1|max:N` with its messages (docs/spp-api-notes.md §3)."""
    if name not in params:
        return default
    raw = params[name]
    if not isinstance(raw, str) or not _INT_RE.fullmatch(raw.strip()):
        errors[name] = [f"The {name} field must be an integer."]
        return default
    number = int(raw)
    if number < 1:
        errors[name] = [f"The {name} field must be at least 1."]
    elif maximum is not None and number > maximum:
        errors[name] = [f"The {name} field must not be greater than {maximum}."]
    return number


def _sort(params: dict[str, Any], errors: dict[str, list[str]]) -> tuple[str | None, bool]:
    """SPP: `sort=field:dir` (docs/spp-api-notes.md §3); the sandbox wants exactly one field of the list
    item and `asc` or `desc`."""
    if "sort" not in params:
        return None, True
    raw = params["sort"]
    name, colon, direction = raw.partition(":") if isinstance(raw, str) else ("", "", "")
    if not colon or name not in FIELD_TYPES or direction not in ("asc", "desc"):
        errors["sort"] = ["The selected sort is invalid."]
        return None, True
    return name, direction == "desc"


def _filters(
    params: dict[str, Any], errors: dict[str, list[str]], *, case_sensitive: bool
) -> list[Predicate]:
    """SPP: `filters[field][$op]=value`, `$in` an array; several filters all apply
    (docs/spp-api-notes.md §3)."""
    if "filters" not in params:
        return []
    filters = params["filters"]
    if not isinstance(filters, dict):
        errors["filters"] = ["The filters field must be an array."]
        return []
    predicates: list[Predicate] = []
    for name, operations in filters.items():
        key = f"filters.{name}"
        if name not in FIELD_TYPES:
            errors[key] = [f"The selected {key} is invalid."]
            continue
        if not isinstance(operations, dict):
            errors[key] = [f"The {key} field must be an array."]
            continue
        for operator, raw in operations.items():
            op_key = f"{key}.{operator}"
            if operator not in OPERATORS:
                errors[op_key] = [f"The selected {op_key} is invalid."]
                continue
            if operator == "$in":
                if not isinstance(raw, dict):
                    errors[op_key] = [f"The {op_key} field must be an array."]
                    continue
                wanted = [_filter_value(name, item, f"{op_key}.{i}", errors) for i, item in raw.items()]
                if all(value is not None for value in wanted):
                    predicates.append(_predicate(name, operator, wanted, case_sensitive))
                continue
            value = _filter_value(name, raw, op_key, errors)
            if value is not None:
                predicates.append(_predicate(name, operator, value, case_sensitive))
    return predicates


def _filter_value(name: str, raw: Any, key: str, errors: dict[str, list[str]]) -> Any:
    """The filter's value as its field compares it, or None after recording the error."""
    kind = FIELD_TYPES[name]
    if isinstance(raw, str):
        if kind == TEXT:
            return raw
        if kind == INT and _INT_RE.fullmatch(raw.strip()):
            return int(raw)
        if kind == NUMBER:
            number = _number(raw)
            if number is not None:
                return number
        if kind == DATE:
            moment = parse_date(raw)
            if moment is not None:
                return moment
    messages = {
        TEXT: f"The {key} field must be a string.",
        INT: f"The {key} field must be an integer.",
        NUMBER: f"The {key} field must be a number.",
        DATE: f"The {key} field must be a valid date.",
    }
    errors[key] = [messages[kind]]
    return None


def _number(raw: str) -> float | None:
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_date(raw: str) -> datetime | None:
    """ISO 8601 date or date-time; a value without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def comparable(name: str, value: Any, *, case_sensitive: bool) -> Any:
    """A stored value as filters and sorting compare it. SPP does not document collation
    (docs/spp-api-notes.md §8): by default text compares case-insensitively, as MySQL's `_ci`
    collations do."""
    kind = FIELD_TYPES[name]
    if value is None:
        return None
    if kind == NUMBER:
        return float(value)  # `spent` is a decimal string
    if kind == TEXT and not case_sensitive:
        return value.lower()
    return value


def _predicate(name: str, operator: str, wanted: Any, case_sensitive: bool) -> Predicate:
    """NULL matches no comparison, as in SQL."""
    if operator == "$in":
        targets = {comparable(name, item, case_sensitive=case_sensitive) for item in wanted}
    else:
        target = comparable(name, wanted, case_sensitive=case_sensitive)

    def test(client: SppClient) -> bool:
        value = comparable(name, client.value(name), case_sensitive=case_sensitive)
        if value is None:
            return False
        if operator == "$in":
            return value in targets
        if operator == "$eq":
            return value == target
        return value < target if operator == "$lt" else value > target

    return test


# -- selection and the page -------------------------------------------------------------------


def select_clients(store: SppStore, query: ListQuery, *, case_sensitive: bool) -> list[SppClient]:
    """Every match, in order. SPP: newest first by default (docs/spp-api-notes.md §3), ties by id,
    newest first too. An explicit sort breaks its ties by id in the same direction; NULLs come first
    ascending and last descending, as MySQL sorts them."""
    matches = [c for c in store.clients.values() if all(test(c) for test in query.predicates)]
    if query.sort_field is None:
        return sorted(matches, key=lambda c: (c.fields["created_at"], c.id), reverse=True)
    name = query.sort_field

    def key(client: SppClient) -> tuple[bool, Any, int]:
        value = comparable(name, client.value(name), case_sensitive=case_sensitive)
        return (value is not None, value if value is not None else 0, client.id)

    return sorted(matches, key=key, reverse=query.descending)


def envelope(
    items: list[dict[str, Any]], *, total: int, query: ListQuery, path: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Laravel's paginated resource response: `data`, `links`, `meta` (docs/spp-api-notes.md §3).

    `path` is the request URL without its query; `params` the parsed query, kept in every link.
    """
    page, per_page = query.page, query.limit
    last_page = max(math.ceil(total / per_page), 1)
    kept = {key: value for key, value in params.items() if key != "page"}

    def url(number: int) -> str:
        return f"{path}?{build_php_query({**kept, 'page': str(number)})}"

    first_item = (page - 1) * per_page + 1 if items else None
    prev_url = url(page - 1) if page > 1 else None
    next_url = url(page + 1) if page < last_page else None
    links = [{"url": prev_url, "label": PREVIOUS_LABEL, "active": False}]
    for element in _url_window(page, last_page):
        if element is None:
            links.append({"url": None, "label": "...", "active": False})
        else:
            links.append({"url": url(element), "label": str(element), "active": element == page})
    links.append({"url": next_url, "label": NEXT_LABEL, "active": False})
    return {
        "data": items,
        "links": {"first": url(1), "last": url(last_page), "prev": prev_url, "next": next_url},
        "meta": {
            "current_page": page,
            "from": first_item,
            "last_page": last_page,
            "links": links,
            "path": path,
            "per_page": per_page,
            "to": None if first_item is None else first_item + len(items) - 1,
            "total": total,
        },
    }


def _url_window(page: int, last_page: int) -> list[int | None]:
    """Laravel's UrlWindow: the numbered links, None for a "..." gap."""
    if last_page < ON_EACH_SIDE * 2 + 8:
        return list(range(1, last_page + 1))
    window = ON_EACH_SIDE + 4
    start, finish = [1, 2], [last_page - 1, last_page]
    if page <= window:
        return [*range(1, window + ON_EACH_SIDE + 1), None, *finish]
    if page > last_page - window:
        return [*start, None, *range(last_page - (window + ON_EACH_SIDE - 1), last_page + 1)]
    return [*start, None, *range(page - ON_EACH_SIDE, page + ON_EACH_SIDE + 1), None, *finish]
