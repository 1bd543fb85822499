"""Request-body parsing and field validation with Django REST Framework's rules and messages.

Gcore's IAM answers validation failures in DRF's shape (`{"errors": {"field": ["msg"]}}`,
docs/gcore-api-notes.md §5), so the sandbox reproduces the DRF field
behaviour a serializer would have: CharFields trim whitespace and accept numbers, BooleanFields
accept DRF's string spellings, related fields accept a pk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

from .catalog import GROUPS
from .responses import SandboxResponse, field_errors, json_parse_error

Validator = Callable[[object], object]

MAY_NOT_BE_NULL = "This field may not be null."
MAY_NOT_BE_BLANK = "This field may not be blank."
REQUIRED = "This field is required."
INVALID_EMAIL = "Enter a valid email address."

# DRF BooleanField.TRUE_VALUES / FALSE_VALUES.
_TRUE = {
    "t",
    "T",
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "true",
    "True",
    "TRUE",
    "on",
    "On",
    "ON",
    "1",
    1,
}  # 1 == True
_FALSE = {
    "f",
    "F",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "false",
    "False",
    "FALSE",
    "off",
    "Off",
    "OFF",
    "0",
    0,
}  # 0 == False

# Django's EmailValidator, reduced to its dot-atom user part and hostname domain part.
_EMAIL_USER = re.compile(r"[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Za-z]+)*")
_EMAIL_DOMAIN = re.compile(r"((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+[A-Za-z]{2,63}|localhost")


class FieldError(ValueError):
    """The messages for one invalid field."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


class BodyError(ValueError):
    """A body that cannot be validated at all; carries the finished 400 response."""

    def __init__(self, response: SandboxResponse) -> None:
        super().__init__(response.status)
        self.response = response


# -- body ------------------------------------------------------------------------------------


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a dict, or BodyError with Gcore's 400 for broken JSON or a non-object."""
    if not body.strip():
        return {}  # DRF treats an empty body as empty data, so a bare PATCH changes nothing
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        # Gcore: `{"message": "JSON parse error - Expecting ',' delimiter: ..."}` (docs/gcore-api-notes.md
        # §5).
        raise BodyError(json_parse_error(str(exc))) from None
    if data is None:
        raise BodyError(field_errors({"non_field_errors": ["No data provided"]}))
    if not isinstance(data, dict):
        # DRF Serializer.to_internal_value's message for a non-dict payload.
        message = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
        raise BodyError(field_errors({"non_field_errors": [message]}))
    return data


def validate_fields(
    data: Mapping[str, Any], validators: Mapping[str, Validator], *, required: Collection[str] = ()
) -> dict[str, Any]:
    """Clean every known key present in `data`; unknown keys are ignored, as DRF ignores them.
    All fields' errors are collected before failing, so the caller sees them at once."""
    cleaned, errors = clean_fields(data, validators, required=required)
    if errors:
        raise BodyError(field_errors(errors))
    return cleaned


def clean_fields(
    data: Mapping[str, Any], validators: Mapping[str, Validator], *, required: Collection[str] = ()
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(cleaned values, errors by field), the errors in the validators' order as DRF lists them."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, validate in validators.items():
        if name not in data:
            if name in required:
                errors[name] = [REQUIRED]
            continue
        try:
            cleaned[name] = validate(data[name])
        except FieldError as exc:
            errors[name] = exc.messages
    return cleaned, errors


# -- field validators -------------------------------------------------------------------------


@dataclass(frozen=True)
class CharField:
    """DRF CharField: numbers become strings, whitespace is trimmed, then blank and length checks."""

    max_length: int
    allow_null: bool = False
    allow_blank: bool = False
    check: Callable[[str], list[str]] | None = None  # more messages for a non-blank text, e.g. e-mail syntax

    def __call__(self, value: object) -> str | None:
        if value is None:
            _refuse_null(allowed=self.allow_null)
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise FieldError("Not a valid string.")
        text = str(value).strip()
        if not text:
            if self.allow_blank:
                return text
            raise FieldError(MAY_NOT_BE_BLANK)
        messages = [] if self.check is None else self.check(text)
        if len(text) > self.max_length:
            messages.append(f"Ensure this field has no more than {self.max_length} characters.")
        if messages:
            raise FieldError(*messages)
        return text


def email_field(*, max_length: int = 254) -> CharField:
    """DRF EmailField (max 254, the RFC 5321 limit Django uses)."""
    return CharField(max_length=max_length, check=lambda text: [] if is_email(text) else [INVALID_EMAIL])


def is_email(text: str) -> bool:
    user, at, domain = text.rpartition("@")
    if not at or not _EMAIL_USER.fullmatch(user):
        return False
    try:
        ascii_domain = domain.encode("idna").decode("ascii")  # Django accepts IDN domains too
    except UnicodeError:
        return False
    return bool(_EMAIL_DOMAIN.fullmatch(ascii_domain))


def boolean(value: object) -> bool:
    """DRF BooleanField (never null here)."""
    if value is None:
        raise FieldError(MAY_NOT_BE_NULL)
    if isinstance(value, (str, int)):  # a list or dict is unhashable and simply invalid
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise FieldError("Must be a valid boolean.")


def nullable_boolean(value: object) -> bool | None:
    """DRF BooleanField(allow_null=True)."""
    return None if value is None else boolean(value)


def choice(choices: Collection[str]) -> Validator:
    """DRF ChoiceField."""

    def validate(value: object) -> str:
        if value is None:
            raise FieldError(MAY_NOT_BE_NULL)
        if not isinstance(value, str) or value not in choices:
            raise FieldError(f'"{value}" is not a valid choice.')
        return value

    return validate


def choice_list(choices: Collection[str], *, allow_empty: bool = False, distinct: bool = True) -> Validator:
    """A list of choices: by default non-empty and without repeats (auth_types)."""

    def validate(value: object) -> list[str]:
        if value is None:
            raise FieldError(MAY_NOT_BE_NULL)
        if not isinstance(value, list):
            raise FieldError(_not_a_list(value))
        if not value and not allow_empty:
            raise FieldError("This list may not be empty.")
        invalid = [f'"{item}" is not a valid choice.' for item in value if not _is_choice(item, choices)]
        if invalid:
            raise FieldError(*invalid)
        if distinct and len(set(value)) != len(value):
            raise FieldError("Duplicate values are not allowed.")
        return list(value)

    return validate


def object_list(item: Validator | None = None) -> Validator:
    """A list of objects (DRF's ListSerializer), each cleaned by `item` or, without one, kept as sent.

    DRF would report errors item by item (`[{}, {"name": [...]}]`), but Gcore's published
    ValidationError holds strings only, so the sandbox lists each distinct message once, a nested
    field's prefixed with its name ("product_name: This field is required.")."""

    def validate(value: object) -> list[Any]:
        if value is None:
            raise FieldError(MAY_NOT_BE_NULL)
        if not isinstance(value, list):
            raise FieldError(_not_a_list(value))
        cleaned: list[Any] = []
        messages: list[str] = []
        for entry in value:
            try:
                if entry is None:
                    raise FieldError(MAY_NOT_BE_NULL)
                if not isinstance(entry, dict):
                    raise FieldError(f"Invalid data. Expected a dictionary, but got {type(entry).__name__}.")
                cleaned.append(dict(entry) if item is None else item(entry))
            except FieldError as exc:
                messages.extend(m for m in exc.messages if m not in messages)
        if messages:
            raise FieldError(*messages)
        return cleaned

    return validate


def nested(validators: Mapping[str, Validator], *, required: Collection[str] = ()) -> Validator:
    """One object of a list, as a nested DRF serializer cleans it (for `object_list`)."""

    def validate(value: object) -> dict[str, Any]:
        data = cast(dict[str, Any], value)  # object_list passes dicts only
        cleaned, errors = clean_fields(data, validators, required=required)
        if errors:
            raise FieldError(
                *(f"{name}: {message}" for name, messages in errors.items() for message in messages)
            )
        return cleaned

    return validate


def primary_key(existing: Callable[[], Collection[int]], *, allow_null: bool) -> Validator:
    """DRF PrimaryKeyRelatedField against the ids `existing()` returns."""

    def validate(value: object) -> int | None:
        if value is None:
            _refuse_null(allowed=allow_null)
            return None
        if isinstance(value, str) and re.fullmatch(r"[0-9]+", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(f"Incorrect type. Expected pk value, received {type(value).__name__}.")
        if value not in existing():
            raise FieldError(f'Invalid pk "{value}" - object does not exist.')
        return value

    return validate


def role(value: object) -> int:
    """`{"id": N, "name": "..."}` naming one of the five groups exactly (a user's or a token's role)."""
    if isinstance(value, dict):
        group_id = value.get("id")
        if (
            isinstance(group_id, int)
            and not isinstance(group_id, bool)
            and GROUPS.get(group_id) == value.get("name")
        ):
            return group_id
    # Gcore: `{"errors": {"user_role": ["Invalid role: …"]}}` (docs/gcore-api-notes.md §2); the sandbox names
    # the role by its name, else its id, else the raw value.
    described: Any = value.get("name", value.get("id")) if isinstance(value, dict) else value
    raise FieldError(f"Invalid role: {described}")


def _is_choice(item: object, choices: Collection[str]) -> bool:
    return isinstance(item, str) and item in choices  # a list or dict item is no choice (nor hashable)


def _not_a_list(value: object) -> str:
    return f'Expected a list of items but got type "{type(value).__name__}".'


# -- passwords ---------------------------------------------------------------------------------

# Django's default AUTH_PASSWORD_VALIDATORS, as a DRF serializer reports them under `password`:
# MinimumLengthValidator (8), CommonPasswordValidator, NumericPasswordValidator, in that order.
# The common passwords are a few of Django's list (which holds 20,000), compared lower-cased.
MIN_PASSWORD_LENGTH = 8
COMMON_PASSWORDS = frozenset(
    {
        "000000", "00000000", "111111", "11111111", "123123", "123456", "1234567", "12345678",
        "123456789", "1234567890", "1q2w3e4r", "abc123", "admin", "admin123", "baseball", "changeme",
        "dragon", "football", "iloveyou", "letmein", "master", "monkey", "passw0rd", "password",
        "password1", "password123", "princess", "qwerty", "qwerty123", "qwertyuiop", "shadow",
        "starwars", "sunshine", "superman", "trustno1", "welcome", "welcome1", "zaq12wsx",
    }
)  # fmt: skip


def password_problems(password: str) -> list[str]:
    """Django's messages for a password its default validators refuse (none for a good one)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"This password is too short. It must contain at least {MIN_PASSWORD_LENGTH} characters."
        )
    if password.lower().strip() in COMMON_PASSWORDS:
        problems.append("This password is too common.")
    if password.isdigit():
        problems.append("This password is entirely numeric.")
    return problems


def _refuse_null(*, allowed: bool) -> None:
    if not allowed:
        raise FieldError(MAY_NOT_BE_NULL)


def nested_object(validators: Mapping[str, Validator], *, required: Collection[str] = ()) -> Validator:
    """One nested object (a DRF nested serializer), its errors flattened as `nested` flattens them,
    so the 400 keeps Gcore's `{"errors": {"field": ["msg"]}}` shape."""
    clean = nested(validators, required=required)

    def validate(value: object) -> dict[str, Any]:
        if value is None:
            raise FieldError(MAY_NOT_BE_NULL)
        if not isinstance(value, dict):
            raise FieldError(f"Invalid data. Expected a dictionary, but got {type(value).__name__}.")
        return cast(dict[str, Any], clean(value))

    return validate
