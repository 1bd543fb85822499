"""POST /iam/users: a new client and its first user, both active at once (CreateUserRequest ->
201 iam_reseller_User; iam_reseller_api.yaml; docs/gcore-api-notes.md §10).

The password is checked and then dropped: no record and no response holds it. Only the activity log
keeps the request's body, as Gcore documents its `data` (activity.py).
"""

from __future__ import annotations

from typing import Any

from .api import ApiRequest
from .catalog import ADMIN_GROUP_ID, HIDDEN_SERVICES, LANGUAGES, RESELLER_IDS, SERVICES
from .data import services_of
from .invitations import users_with_email
from .responses import SandboxResponse, json_response
from .sellers import live_seller_ids
from .store import ClientRecord, Store, UserRecord
from .validation import (
    BodyError,
    CharField,
    FieldError,
    Validator,
    boolean,
    choice,
    email_field,
    nested,
    nullable_boolean,
    object_list,
    parse_json_object,
    password_problems,
    primary_key,
    validate_fields,
)

# Gcore: IAM answers in DRF's shape (docs/gcore-api-notes.md §5): DRF's UniqueValidator message for
# the user model's e-mail.
EMAIL_TAKEN = "user with this email already exists."
# Gcore: CreateUserRequest.services items (iam_reseller_api.yaml); `available` null means "inherit
# the default". The sandbox requires `product_name` (an item without one says nothing); for a
# repeated product, the last one wins.
PRODUCT_SETTING = nested(
    {"product_name": choice(SERVICES), "available": nullable_boolean}, required=("product_name",)
)
# The sandbox's choice: the spec types the new client's bill_type as a plain string, with no default.
NEW_CLIENT_BILL_TYPE = "postpaid"


def create_user(request: ApiRequest, store: Store) -> SandboxResponse:
    try:
        data = parse_json_object(request.body)
        new = validate_fields(data, _validators(store), required=("email", "password", "company"))
    except BodyError as exc:
        return exc.response
    client = _new_client(store, new, request)
    user = _new_user(store, new, client)
    client.user_ids.append(user.id)
    client.fields["currentUser"] = client.fields["owner"] = user.id
    store.clients[client.id] = client
    store.users[user.id] = user
    services_of(store, client)  # six `new` services, stamped now
    return json_response(201, store.user_json(user, with_roles=True))


def _validators(store: Store) -> dict[str, Validator]:
    """CreateUserRequest's properties in the spec's order, which is the order errors come in."""
    # Lengths as PATCH client / PATCH user have them (docs/gcore-api-notes.md §4).
    optional_text = CharField(max_length=255, allow_null=True, allow_blank=True)
    return {
        "email": _unused_email(store),
        "password": _password,
        "company": CharField(max_length=255),
        "user_type": choice(("common",)),  # Gcore: CreateUserRequest.user_type "must be `common`"
        "name": optional_text,
        "phone": CharField(max_length=30, allow_null=True, allow_blank=True),
        "seller": primary_key(lambda: live_seller_ids(store), allow_null=True),
        "services": object_list(PRODUCT_SETTING),
        "lang": choice(LANGUAGES),
        "custom_id": optional_text,
        "country_code": _country_code,
        "is_test": boolean,
    }


def _unused_email(store: Store) -> Validator:
    valid_email = email_field()

    def validate(value: object) -> str | None:
        email = valid_email(value)
        # One account per address, compared case-insensitively: the sandbox's reading.
        if email is not None and users_with_email(store, email):
            raise FieldError(EMAIL_TAKEN)
        return email

    return validate


def _password(value: object) -> None:
    """Checked like Django's default password validators, then dropped (never returned)."""
    # No published maximum; 128 is what DRF serializers of Django users usually allow.
    password = CharField(max_length=128)(value)
    problems = password_problems(password or "")
    if problems:
        raise FieldError(*problems)


def _country_code(value: object) -> str | None:
    """ISO 3166-1 alpha-2 (ClientCountryCode), stored upper-case; blank or null: no country.
    The sandbox checks the form only, not that the country exists."""
    code = CharField(max_length=2, allow_null=True, allow_blank=True)(value)
    if not code:
        return None
    if not (len(code) == 2 and code.isascii() and code.isalpha()):
        raise FieldError(f'"{code}" is not a valid choice.')
    return code.upper()


def _new_client(store: Store, new: dict[str, Any], request: ApiRequest) -> ClientRecord:
    """Status `new`, every service `new` and disabled, no features; the sandbox's first reseller."""
    overrides: dict[str, bool] = {}
    for setting in new.get("services", []):
        if setting.get("available") is None:
            overrides.pop(setting["product_name"], None)  # null: follow the default
        else:
            overrides[setting["product_name"]] = setting["available"]
    client_id = store.take_id("client")
    # The keys in the order the seeded clients have them (data.py).
    fields: dict[str, Any] = {
        "email": new["email"],
        "phone": new.get("phone"),
        "name": new.get("name"),
        "status": "new",
        "companyName": new["company"],
        "website": "",
        "currentUser": 0,  # set once the user exists
        "capabilities": [],
        "serviceStatuses": {service: {"status": "new", "enabled": False} for service in SERVICES},
        "paidFeatures": {},
        "freeFeatures": {},
        "entryBaseDomain": None,
        "signup_process": None,  # made through the API, not a sign-up form
        "deleted": False,
        "bill_type": NEW_CLIENT_BILL_TYPE,
        "custom_id": new.get("custom_id"),
        "is_test": new.get("is_test", False),
        "seller": new.get("seller"),
        "resellers": RESELLER_IDS[0],
        "client_type": "common",
        "owner": 0,  # set once the user exists
    }
    return ClientRecord(
        id=client_id,
        fields=fields,
        user_ids=[],
        created_at=request.now,
        country=new.get("country_code"),
        traffic_gb=0.0,
        hidden_service_statuses=dict.fromkeys(HIDDEN_SERVICES, "new"),
        secondary_hostnames=(),
        promocode=None,
        product_overrides=overrides,
        tokens={},  # a new client has no API token yet (only seeded clients get seeded ones)
    )


def _new_user(store: Store, new: dict[str, Any], client: ClientRecord) -> UserRecord:
    """An activated administrator of the new client (Gcore: "activated automatically")."""
    fields: dict[str, Any] = {
        "email": new["email"],
        "name": new.get("name"),
        "lang": new.get("lang", "en"),
        "phone": new.get("phone"),
        "company": new["company"],
        "deleted": False,
        "activated": True,
        "sso_auth": False,
        "two_fa": False,
        "auth_types": ["password"],
        "user_type": new.get("user_type", "common"),
        "is_active": True,
    }
    return UserRecord(id=store.take_id("user"), client_id=client.id, group_id=ADMIN_GROUP_ID, fields=fields)
