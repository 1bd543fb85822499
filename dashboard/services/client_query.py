"""The client list's query language: what a list address asks Gcore for, read once.

In the spirit of Django admin's `ChangeList`: a `ClientQuery` is built from the list's query
string (a QueryDict) and yields everything the list, the overview's links, the CSV export and the
saved views need: the upstream filters under Gcore's wire names, the ordering, the page and page
size, where the quick search goes, one message per invalid filter, and the chips. A bad value is
an error on its own parameter and is left out of the upstream call; the other filters still apply.

The web layer only declares and renders the controls (dashboard/forms/clients.py); nothing here knows of
forms, views or templates: it reads query-string data, wherever that comes from (a request's GET,
a saved view, an overview link).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import QueryDict

from dashboard.gcore import ORDERING_FIELDS
from dashboard.gcore.models import ClientType, ServiceStatus

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = PAGE_SIZES[0]
# Always sent, so that paging is stable whatever the upstream default order is.
DEFAULT_ORDERING = "id"

Choices = tuple[tuple[str, str], ...]

TRI_STATE: Choices = (("", "Any"), ("true", "Yes"), ("false", "No"))
SERVICE_STATUS_CHOICES: Choices = (("", "Any"), *((s.value, s.value) for s in ServiceStatus))
# Gcore: `deleted` takes "true" / "false" and anything else returns every client; the default is
# undocumented (docs/gcore-api-notes.md §3). The list hides deleted clients unless asked: "any"
# sends no `deleted` at all.
DELETED_CHOICES: Choices = (("", "Hidden"), ("true", "Only deleted"), ("any", "Shown"))
CLIENT_TYPE_CHOICES: Choices = (("", "Any"), *((t.value, t.value.capitalize()) for t in ClientType))
# The service filters of GET /iam/clients, wire name -> label. infrastructure_protection and
# connect have a filter but no serviceStatuses key (docs/gcore-api-notes.md §4).
SERVICE_FILTERS: dict[str, str] = {
    "cdn": "CDN",
    "storage": "Storage",
    "ddos": "DDoS",
    "dns": "DNS",
    "cloud": "Cloud",
    "infrastructure_protection": "Infrastructure protection",
    "connect": "Connect",
}
ORDERING_CHOICES: Choices = (
    ("id", "ID, ascending"),
    ("-id", "ID, descending"),
    ("companyName", "Company, A–Z"),
    ("-companyName", "Company, Z–A"),
    ("email", "Email, A–Z"),
    ("-email", "Email, Z–A"),
    ("name", "Contact, A–Z"),
    ("-name", "Contact, Z–A"),
    ("status", "Status, A–Z"),
    ("-status", "Status, Z–A"),
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
)
PAGE_SIZE_CHOICES: Choices = tuple((str(n), str(n)) for n in PAGE_SIZES)

INT_LIST = re.compile(r"^\d+(,\d+)*$")
WORD_LIST = re.compile(r"^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$")
COUNTRY = re.compile(r"^([A-Za-z]{2}|null)$")


class InvalidValue(ValueError):
    """A parameter's value that the list cannot use; the message is shown on its control."""


# -- parsers: raw text in, a clean value out (or InvalidValue) --------------------------------------


def _length(value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise InvalidValue(f"Ensure this value has at most {max_length} characters (it has {len(value)}).")
    return value


def text(max_length: int = 255) -> Callable[[str], str]:
    return lambda raw: _length(raw.strip(), max_length)


def choice(choices: Choices) -> Callable[[str], str]:
    allowed = {key for key, _ in choices}

    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in allowed:
            raise InvalidValue(f"Select a valid choice. {value} is not one of the available choices.")
        return value

    return parse


def whole_number(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidValue("Enter a whole number.") from None
    if value < 0:
        raise InvalidValue("Ensure this value is greater than or equal to 0.")
    return value


def gigabytes(raw: str) -> str:
    """A non-negative number of at most 15 digits, written plainly ("1.5", never "1.5E+1")."""
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise InvalidValue("Enter a number.") from None
    if not value.is_finite():
        raise InvalidValue("Enter a number.")
    if value < 0:
        raise InvalidValue("Ensure this value is greater than or equal to 0.")
    if len(value.as_tuple().digits) > 15:
        raise InvalidValue("Ensure that there are no more than 15 digits in total.")
    return format(value.normalize(), "f")


def day(raw: str) -> date:
    """A calendar day as the browser's date input sends it (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidValue("Enter a valid date.") from None


def csv_of(pattern: re.Pattern[str], message: str) -> Callable[[str], str]:
    """Comma-separated values; spaces around commas are dropped before the pattern is checked."""

    def parse(raw: str) -> str:
        value = ",".join(part.strip() for part in _length(raw, 500).split(",") if part.strip())
        if value and not pattern.match(value):
            raise InvalidValue(message)
        return value

    return parse


def email_address(raw: str) -> str:
    value = _length(raw.strip(), 254)
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidValue("Enter a valid email address.") from None
    return value


def country(raw: str) -> str:
    value = raw.strip()
    if not COUNTRY.match(value):
        raise InvalidValue("Enter a two-letter country code (DE, US), or null.")
    return value if value == "null" else value.upper()


def quick_search(raw: str) -> str:
    value = _length(raw.strip(), 255)
    if "@" in value and not value.isdigit():
        try:
            validate_email(value)
        except ValidationError:
            # Gcore: the `email` filter is typed `format: email`, so a fragment may be refused
            # (docs/gcore-api-notes.md §3).
            raise InvalidValue("To search by email, type the whole address (name@example.com).") from None
    return value


def ordering(raw: str) -> str:
    terms = [term.strip() for term in _length(raw, 200).split(",") if term.strip()]
    if any(term.removeprefix("-") not in ORDERING_FIELDS for term in terms):
        raise InvalidValue("Unknown sort order.")
    return ",".join(terms)


def page_size(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value not in PAGE_SIZES:
        raise InvalidValue(f"Select a valid choice. {raw.strip()} is not one of the available choices.")
    return value


# -- the parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter of the list's address: its name (Gcore's own, for filters), label and parser."""

    name: str
    label: str
    parse: Callable[[str], Any]
    choices: Choices = ()
    help_text: str = ""

    def shown(self, raw: str) -> str:
        """The value as a person reads it (a choice's label rather than its key)."""
        return dict(self.choices).get(raw, raw) if self.choices else raw


def _choice(name: str, label: str, choices: Choices) -> Param:
    return Param(name, label, choice(choices), choices)


SEARCH = Param(
    "q",
    "Quick search",
    quick_search,
    help_text=(
        "A client ID opens that client; text with @ searches by email; anything else searches company names."
    ),
)
COMMON: tuple[Param, ...] = (
    _choice("activated", "Activated", TRI_STATE),
    _choice("is_test", "Test clients", TRI_STATE),
    _choice("deleted", "Deleted clients", DELETED_CHOICES),
    _choice("client_type", "Client type", CLIENT_TYPE_CHOICES),
    Param("country_code", "Country", country, help_text="Two letters (DE, US), or null for none."),
    *(_choice(name, label, SERVICE_STATUS_CHOICES) for name, label in SERVICE_FILTERS.items()),
)
ADVANCED: tuple[Param, ...] = (
    Param("email", "Email", email_address),
    Param("companyName", "Company name", text()),
    Param("name", "Contact name", text()),
    Param("custom_id", "Custom ID", text()),
    Param("users_name", "User name", text()),
    Param("users_email", "User email", text()),
    Param("secondaryhostnames", "Secondary hostname", text()),
    Param("promocode", "Promo code", text()),
    Param("bill_type", "Bill type", text()),
    Param("reseller_id", "Reseller ID", whole_number),
    Param("seller_id", "Seller ID", whole_number),
    Param("min_traffic", "Traffic from (GB)", gigabytes),
    Param("max_traffic", "Traffic up to (GB)", gigabytes),
    Param("created_at_gte", "Created from", day),
    Param("created_at_lte", "Created until", day),
    Param(
        "id__in__exclude",
        "Exclude client IDs",
        csv_of(INT_LIST, "Enter client IDs separated by commas."),
        help_text="1001,1002",
    ),
    Param(
        "feature_id_in",
        "Feature IDs",
        csv_of(INT_LIST, "Enter feature IDs separated by commas."),
        help_text="104,202",
    ),
    Param(
        "personal_product_availability",
        "Personal product availability",
        csv_of(WORD_LIST, "Enter product names separated by commas."),
        help_text="CDN,STORAGE",
    ),
)
SORTING: tuple[Param, ...] = (
    Param("ordering", "Sort by", ordering, ORDERING_CHOICES),
    Param("page_size", "Per page", page_size, PAGE_SIZE_CHOICES),
)
FILTERS: tuple[Param, ...] = COMMON + ADVANCED
PARAMS: dict[str, Param] = {param.name: param for param in (SEARCH, *FILTERS, *SORTING)}
# The parameters a saved view keeps; `page` never (a view opens on page 1).
VIEW_PARAMETERS: tuple[str, ...] = tuple(PARAMS)


@dataclass(frozen=True)
class Chip:
    """One active filter: its label, its value as shown, and the list's query string without it."""

    name: str
    label: str
    value: str
    remove_query: str


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


@dataclass(frozen=True)
class ClientQuery:
    """One client-list query, parsed. Build it with `ClientQuery.from_data(request.GET)`."""

    data: QueryDict
    values: Mapping[str, Any]
    errors: Mapping[str, str]
    page: int = 1

    @classmethod
    def from_data(cls, data: QueryDict | Mapping[str, str] | str) -> ClientQuery:
        """Read a query string (a QueryDict, a mapping or the text after `?`)."""
        if isinstance(data, str):
            data = QueryDict(data.lstrip("?"))
        elif not isinstance(data, QueryDict):
            data = QueryDict(urlencode(dict(data)))
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, param in PARAMS.items():
            raw = data.get(name)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[name] = param.parse(raw)
            except InvalidValue as exc:
                errors[name] = str(exc)
        for low, high, message in (
            ("min_traffic", "max_traffic", "Must not be less than the lower bound."),
            ("created_at_gte", "created_at_lte", "Must not be before the start date."),
        ):
            if low in values and high in values and _ordered(values[low]) > _ordered(values[high]):
                errors[high] = message
                del values[high]
        return cls(data=data, values=values, errors=errors, page=_page_number(data.get("page")))

    # -- what the list asks Gcore ------------------------------------------------------------------

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def ordering(self) -> str:
        return self.values.get("ordering") or DEFAULT_ORDERING

    @property
    def page_size(self) -> int:
        return self.values.get("page_size") or DEFAULT_PAGE_SIZE

    @property
    def quick_client_id(self) -> int | None:
        """The client ID typed into quick search, if that is what was typed: it opens that client."""
        search = self.values.get("q", "")
        return int(search) if search.isascii() and search.isdigit() else None  # not "²", which int() refuses

    @property
    def search_field(self) -> str | None:
        """Which Gcore filter the quick search becomes: `email` for an address, else `companyName`."""
        search = self.values.get("q", "")
        if not search or self.quick_client_id is not None:
            return None
        return "email" if "@" in search else "companyName"

    @cached_property
    def filters(self) -> dict[str, object]:
        """The valid filters as GET /iam/clients parameters (wire names and formats)."""
        filters: dict[str, object] = {}
        for param in FILTERS:
            value = self.values.get(param.name)
            if value is None or value == "":
                continue
            if isinstance(value, date):
                # Gcore: the created_at filters are date-times (docs/gcore-api-notes.md §3); a
                # day covers the whole day, in UTC.
                moment = time.min if param.name == "created_at_gte" else time.max.replace(microsecond=0)
                value = datetime.combine(value, moment, tzinfo=UTC)
            filters[param.name] = value
        deleted = filters.pop("deleted", None)
        if deleted != "any":
            filters["deleted"] = deleted or "false"
        if (target := self.search_field) is not None:
            filters[target] = self.values["q"]
        return filters

    # -- what the page shows -----------------------------------------------------------------------

    @cached_property
    def chips(self) -> list[Chip]:
        """The parameters the person set (valid or not), each with the query string without it."""
        chips = []
        for param in (SEARCH, *FILTERS):
            raw = self.data.get(param.name, "")
            if not raw:
                continue
            rest = [
                (key, value)
                for key, values in self.data.lists()
                if key not in (param.name, "page")
                for value in values
            ]
            chips.append(Chip(param.name, param.label, param.shown(raw), urlencode(rest)))
        return chips

    @property
    def messages(self) -> list[tuple[str, str]]:
        """Each invalid parameter's label and message, to show above the results."""
        return [(self.label(name), message) for name, message in self.errors.items()]

    def label(self, name: str) -> str:
        """A parameter's label; anything else (errors about several fields) reads as "Filters"."""
        param = PARAMS.get(name)
        return param.label if param is not None else "Filters"

    def tidy(self) -> str:
        """The query string with known parameters only, no empty ones and no page (a saved view's)."""
        kept = ((name, self.data.get(name, "").strip()) for name in VIEW_PARAMETERS)
        return urlencode([(name, value) for name, value in kept if value])


def _ordered(value: Any) -> Any:
    """A bound as something that compares: traffic bounds are kept as text, days as dates."""
    return Decimal(value) if isinstance(value, str) else value
