"""PUT /api/clients/{user}: the body's validation with Laravel's rules and messages, then the update.

SPP documents the body's fields and types, "any parameters not provided will be left unchanged",
and a 400 (docs/spp-api-notes.md §5, §7). The rules below are the sandbox's reading of those
types; where SPP is silent the choice is named (docs/spp-api-notes.md §8). As Laravel does, every
field is checked before the first error is reported, and an attribute is named in a message with
its underscores as spaces ("The name f field must be a string.").
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC
from typing import Any

from dashboard.sandbox.validation import is_email

from .catalog import CLIENT_STATUSES, EMPLOYEES
from .listing import parse_date
from .store import SppClient, SppStore

MAX_STRING = 255
# SPP: the documented body fields, in the documented order (docs/spp-api-notes.md §5); anything
# else in the body is ignored, as Laravel's validated() data leaves it out.
# SPP: the request's address object documents these five keys only (docs/spp-api-notes.md §5);
# line_2 and the billing keys of the response's Address are not writable here.
ADDRESS_FIELDS = ("line_1", "city", "state", "postcode", "country")
OPTIN_VALUES = ("Yes", "No")


class BodyInvalid(ValueError):
    """A body that is not a JSON object; the message is sent as `{"message": ...}`."""


class Invalid(ValueError):
    """Field errors, Laravel's `{"field": ["message"]}`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of the request; an empty body is an empty update."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        # SPP: the answer to a body that is not JSON is not documented (docs/spp-api-notes.md §8).
        raise BodyInvalid("The request body is not valid JSON.") from None
    if isinstance(data, list) and not data:
        return {}  # PHP cannot tell `[]` from `{}`
    if not isinstance(data, dict):
        raise BodyInvalid("The request body must be a JSON object.")
    return data


def attribute(key: str) -> str:
    """Laravel's displayable attribute name: underscores become spaces."""
    return key.replace("_", " ")


def validate(
    data: dict[str, Any], client: SppClient, store: SppStore, *, case_sensitive: bool
) -> dict[str, Any]:
    """The cleaned changes, or Invalid with every field's messages."""
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}

    def check(key: str, rule: Callable[[Any, str], Any]) -> None:
        if key not in data:
            return
        try:
            changes[key] = rule(data[key], key)
        except Invalid as exc:
            errors.update(exc.errors)

    check("created_at", _date)
    check("name_f", _string)
    check("name_l", _string)
    check("email", lambda value, key: _email(value, key, client, store, case_sensitive=case_sensitive))
    for key in ("company", "tax_id", "phone"):
        check(key, _string)
    check("address", _address)
    check("note", _string)
    check("balance", _numeric)
    check("optin", lambda value, key: _one_of(_string(value, key), key, OPTIN_VALUES))
    check("stripe_id", _string)
    check("custom_fields", _object)
    check("status_id", lambda value, key: _one_of(_integer(value, key), key, CLIENT_STATUSES))
    check("employee_id", _employees)
    if errors:
        raise Invalid(errors)
    return changes


def apply(client: SppClient, changes: dict[str, Any]) -> None:
    """Store the validated changes; fields not sent stay as they are (docs/spp-api-notes.md §5)."""
    fields = client.fields
    for key, value in changes.items():
        if key == "address":
            # SPP: whether a partial address replaces or merges is not documented
            # (docs/spp-api-notes.md §8); the sandbox merges, so address keys not sent stay.
            fields["address"].update(value)
        elif key == "custom_fields":
            # Not documented either: merged the same way, key by key (docs/spp-api-notes.md §8).
            fields["custom_fields"].update(value)
        elif key == "status_id":
            fields["status"] = value
        elif key == "employee_id":
            client.employee_ids = value
        else:
            fields[key] = value


# -- rules ------------------------------------------------------------------------------------


def _fail(key: str, message: str) -> Invalid:
    return Invalid({key: [message.format(attribute=attribute(key))]})


def _string(value: Any, key: str) -> str:
    """`string|max:255`, after Laravel's TrimStrings middleware."""
    if not isinstance(value, str):
        raise _fail(key, "The {attribute} field must be a string.")
    text = value.strip()
    if len(text) > MAX_STRING:
        raise _fail(key, f"The {{attribute}} field must not be greater than {MAX_STRING} characters.")
    return text


def _email(value: Any, key: str, client: SppClient, store: SppStore, *, case_sensitive: bool) -> str:
    """`email|max:255|unique:users,email,<this client>`; unique under the collation the sandbox
    simulates (docs/spp-api-notes.md §8)."""
    text = _string(value, key)
    if not is_email(text):
        raise _fail(key, "The {attribute} field must be a valid email address.")
    if any(other.id != client.id for other in store.with_email(text, case_sensitive=case_sensitive)):
        raise _fail(key, "The {attribute} has already been taken.")
    return text


def _numeric(value: Any, key: str) -> float:
    """`numeric`: a JSON number or a numeric string; kept with two decimals."""
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise _fail(key, "The {attribute} field must be a number.")
    return round(number, 2)


def _integer(value: Any, key: str) -> int:
    """`integer`: a JSON integer or a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise _fail(key, "The {attribute} field must be an integer.")


def _one_of(value: Any, key: str, allowed: tuple[Any, ...]) -> Any:
    """`in:...` (also `exists`): Laravel's "The selected ... is invalid."."""
    if value not in allowed:
        raise _fail(key, "The selected {attribute} is invalid.")
    return value


def _array(value: Any, key: str) -> dict[str, Any]:
    """`array`: a JSON object, or a list read as PHP reads it (keys "0", "1", ...)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    raise _fail(key, "The {attribute} field must be an array.")


def _object(value: Any, key: str) -> dict[str, Any]:
    return dict(_array(value, key))


def _address(value: Any, key: str) -> dict[str, str]:
    """`address` an array; each documented key a string of at most 255 (others ignored)."""
    given = _array(value, key)
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in ADDRESS_FIELDS:
        if name in given:
            try:
                cleaned[name] = _string(given[name], f"{key}.{name}")
            except Invalid as exc:
                errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    return cleaned


def _employees(value: Any, key: str) -> list[int]:
    """`employee_id` an array; `employee_id.*` integers naming existing employees (`exists`).
    Duplicates are assigned once."""
    ids: list[int] = []
    errors: dict[str, list[str]] = {}
    for index, item in _array(value, key).items():
        item_key = f"{key}.{index}"
        try:
            employee_id = _one_of(_integer(item, item_key), item_key, tuple(EMPLOYEES))
        except Invalid as exc:
            errors.update(exc.errors)
            continue
        if employee_id not in ids:
            ids.append(employee_id)
    if errors:
        raise Invalid(errors)
    return ids


def _date(value: Any, key: str) -> Any:
    """`date`: an ISO 8601 date or date-time, kept in UTC to the second."""
    moment = parse_date(value) if isinstance(value, str) else None
    if moment is None:
        raise _fail(key, "The {attribute} field must be a valid date.")
    return moment.astimezone(UTC).replace(microsecond=0)
