"""The reseller's own account and settings: GET /iam/clients/me (iam_api.yaml), the notification
e-mails (/iam/reselling/resellers/{resellerId}/notification_settings[/{id}]) and the branding
(GET/PUT /iam/reselling/settings, POST /iam/reselling/settings/upload; iam_reseller_api.yaml;
docs/gcore-api-notes.md §12).

The sandbox's API key belongs to the reseller account catalog.RESELLER_ACCOUNT_ID: its id is what
GET /iam/clients/me answers, the `resellerId` the notification settings take (any other answers
403) and the branding's `reseller`.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
from collections.abc import Callable
from email.message import Message
from operator import itemgetter
from typing import Any

from .api import ApiRequest
from .catalog import (
    ADMIN_GROUP_ID,
    RESELLER_ACCOUNT_ID,
    RESELLER_ADMIN_EMAIL,
    RESELLER_ADMIN_ID,
    RESELLER_ADMIN_NAME,
    RESELLER_DOMAIN,
    RESELLER_NAME,
    SERVICES,
)
from .query import QueryErrors, page_body, parse_page
from .responses import SandboxResponse, detail_error, empty_response, field_errors, json_response, not_found
from .store import Store, group_json
from .validation import (
    INVALID_EMAIL,
    BodyError,
    CharField,
    Validator,
    boolean,
    choice,
    email_field,
    is_email,
    nested_object,
    parse_json_object,
    validate_fields,
)

# DRF's PermissionDenied detail: the answer for another reseller's settings (Gcore documents a 403
# without a body).
NO_PERMISSION = "You do not have permission to perform this action."

# -- the account -------------------------------------------------------------------------------------


def get_account(request: ApiRequest, store: Store) -> SandboxResponse:
    """ClientBase (iam_api.yaml): the reseller's own account, with its one administrator."""
    admin = {
        "id": RESELLER_ADMIN_ID,
        "email": RESELLER_ADMIN_EMAIL,
        "name": RESELLER_ADMIN_NAME,
        "lang": "en",
        "phone": "+44 20 5550 1001",
        "company": RESELLER_NAME,
        "reseller": RESELLER_ACCOUNT_ID,
        "client": RESELLER_ACCOUNT_ID,
        "deleted": False,
        "groups": [group_json(ADMIN_GROUP_ID)],
        "activated": True,
        "sso_auth": False,
        "two_fa": True,
        "auth_types": ["password"],
    }
    return json_response(
        200,
        {
            "id": RESELLER_ACCOUNT_ID,
            "users": [admin],
            "email": RESELLER_ADMIN_EMAIL,
            "phone": "+44 20 5550 1000",
            "name": RESELLER_ADMIN_NAME,
            "status": "active",
            "companyName": RESELLER_NAME,
            "website": "https://www.edge-reseller.example",
            "currentUser": RESELLER_ADMIN_ID,
            "capabilities": list(SERVICES),
            "serviceStatuses": {name: {"status": "active", "enabled": True} for name in SERVICES},
            "paidFeatures": {},
            "freeFeatures": {},
            "entryBaseDomain": RESELLER_DOMAIN,
            "signup_process": None,
            "deleted": False,
            "bill_type": "postpaid",
            "custom_id": None,
            "country_code": "GB",
            "is_test": False,
            "has_active_admin": True,
        },
    )


# -- notification settings ---------------------------------------------------------------------------

# Gcore: NotificationSettingsWrite (iam_reseller_api.yaml), in the spec's order.
NOTIFICATION_TYPES: tuple[str, ...] = ("deletion_request", "failed_login")
NOTIFICATION_SETTING: dict[str, Validator] = {
    "notification_type": choice(NOTIFICATION_TYPES),
    "email": email_field(max_length=254),
    "enabled": boolean,
}
# The sandbox's choice: one entry per address and type, refused with DRF's unique-together message.
ALREADY_THERE = "The fields reseller, notification_type, email must make a unique set."
# Gcore: `ordering` is documented only as "which field to use" (Ordering): the sandbox takes the
# object's own fields and drops others, as DRF's OrderingFilter does.
NOTIFICATION_ORDER_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    name: itemgetter(name) for name in ("id", "notification_type", "email", "enabled")
}


def list_notification_settings(request: ApiRequest, store: Store, reseller_id: int) -> SandboxResponse:
    if reseller_id != RESELLER_ACCOUNT_ID:
        return detail_error(403, NO_PERMISSION)
    try:
        limit, offset = parse_page(request.params)
    except QueryErrors as exc:
        return field_errors(exc.errors)
    items = _ordered(store.notification_settings, request.params.get("ordering", ""))
    # Gcore: the answer is always a page (NotificationSettingsPaginatedArray); without `limit` the
    # sandbox puts every entry in it (docs/gcore-api-notes.md §12).
    return json_response(200, page_body(request.url, items, limit=limit or max(len(items), 1), offset=offset))


def create_notification_setting(request: ApiRequest, store: Store, reseller_id: int) -> SandboxResponse:
    if reseller_id != RESELLER_ACCOUNT_ID:
        return detail_error(403, NO_PERMISSION)
    try:
        data = parse_json_object(request.body)
        new = validate_fields(data, NOTIFICATION_SETTING, required=("email", "notification_type"))
    except BodyError as exc:
        return exc.response
    item = {
        "id": store.take_id("notification_setting"),
        "reseller": RESELLER_ACCOUNT_ID,
        "notification_type": new["notification_type"],
        "email": new["email"],
        # The sandbox's choice: Gcore documents no default; a new address is notified.
        "enabled": new.get("enabled", True),
    }
    if _duplicate(store, item):
        return field_errors({"non_field_errors": [ALREADY_THERE]})
    store.notification_settings.append(item)
    return json_response(201, item)


def get_notification_setting(
    request: ApiRequest, store: Store, reseller_id: int, setting_id: int
) -> SandboxResponse:
    if reseller_id != RESELLER_ACCOUNT_ID:
        return detail_error(403, NO_PERMISSION)
    item = _find(store, setting_id)
    if item is None:
        return not_found()
    return json_response(200, item)


def put_notification_setting(
    request: ApiRequest, store: Store, reseller_id: int, setting_id: int
) -> SandboxResponse:
    return _update(request, store, reseller_id, setting_id, required=("email", "notification_type"))


def patch_notification_setting(
    request: ApiRequest, store: Store, reseller_id: int, setting_id: int
) -> SandboxResponse:
    return _update(request, store, reseller_id, setting_id, required=())


def delete_notification_setting(
    request: ApiRequest, store: Store, reseller_id: int, setting_id: int
) -> SandboxResponse:
    if reseller_id != RESELLER_ACCOUNT_ID:
        return detail_error(403, NO_PERMISSION)
    item = _find(store, setting_id)
    if item is None:
        return not_found()
    store.notification_settings.remove(item)
    return empty_response(204)


def _update(
    request: ApiRequest, store: Store, reseller_id: int, setting_id: int, *, required: tuple[str, ...]
) -> SandboxResponse:
    if reseller_id != RESELLER_ACCOUNT_ID:
        return detail_error(403, NO_PERMISSION)
    item = _find(store, setting_id)
    if item is None:
        return not_found()
    try:
        changes = validate_fields(parse_json_object(request.body), NOTIFICATION_SETTING, required=required)
    except BodyError as exc:
        return exc.response
    changed = {**item, **changes}
    if _duplicate(store, changed):
        return field_errors({"non_field_errors": [ALREADY_THERE]})
    item.update(changes)
    return json_response(200, item)


def _find(store: Store, setting_id: int) -> dict[str, Any] | None:
    return next((item for item in store.notification_settings if item["id"] == setting_id), None)


def _duplicate(store: Store, wanted: dict[str, Any]) -> bool:
    return any(
        item["id"] != wanted["id"]
        and item["notification_type"] == wanted["notification_type"]
        and item["email"].lower() == wanted["email"].lower()
        for item in store.notification_settings
    )


def _ordered(items: list[dict[str, Any]], raw: str) -> list[dict[str, Any]]:
    result = sorted(items, key=lambda item: item["id"])
    terms = [term.strip() for term in raw.split(",")]
    known = [
        (term.lstrip("-"), term.startswith("-"))
        for term in terms
        if term.lstrip("-") in NOTIFICATION_ORDER_KEYS and term.count("-") <= 1
    ]
    for name, descending in reversed(known):
        result.sort(key=NOTIFICATION_ORDER_KEYS[name], reverse=descending)
    return result


# -- branding ----------------------------------------------------------------------------------------

# The sandbox's lengths: Gcore publishes none for the branding settings.
_TEXT = CharField(max_length=255, allow_blank=True)
# Gcore: PublicBrandingSettings (iam_reseller_api.yaml); `fromEmail` is an e-mail, `supportEmail` a
# plain string. `showStatusPage` is typed as a string although it reads like the boolean `show*`
# flags beside it: the sandbox follows the type (docs/gcore-api-notes.md §12).
PUBLIC_SETTINGS: dict[str, Validator] = {
    "brandName": _TEXT,
    "fromEmail": CharField(
        max_length=254,
        allow_blank=True,
        check=lambda text: [] if is_email(text) else [INVALID_EMAIL],
    ),
    "showApiDoc": boolean,
    "websiteLink": _TEXT,
    "supportEmail": _TEXT,
    "supportPhone": _TEXT,
    "agreementLink": _TEXT,
    "showStatusPage": _TEXT,
    "entryBaseDomain": _TEXT,
    "showKnowledgeBase": boolean,
    "showTickets": boolean,
    # Gcore: the colours' example is null, their type a non-nullable string: the type wins.
    "colors": nested_object({"header": _TEXT, "primary": _TEXT}),
}
# Gcore: PrivateBrandingSettings.mailServer; `port` is typed as a string (a number is taken as its
# text, as DRF's CharField takes it). `password` is not marked write-only: the sandbox answers it
# like the other properties (docs/gcore-api-notes.md §12).
MAIL_SERVER: dict[str, Validator] = {
    "tls": boolean,
    "host": _TEXT,
    "port": CharField(max_length=5, allow_blank=True),
    "login": _TEXT,
    "password": CharField(max_length=255, allow_blank=True),
}
# Gcore: BrandingSettings; `reseller` and `deleted` are read-only (ignored in a body).
BRANDING: dict[str, Validator] = {
    "domain": CharField(max_length=255),
    "publicSettings": nested_object(
        PUBLIC_SETTINGS, required=("showApiDoc", "showStatusPage", "showKnowledgeBase", "showTickets")
    ),
    "privateSettings": nested_object({"mailServer": nested_object(MAIL_SERVER)}),
}


def get_branding(request: ApiRequest, store: Store) -> SandboxResponse:
    return json_response(200, store.branding)


def put_branding(request: ApiRequest, store: Store) -> SandboxResponse:
    """A PUT replaces the settings with what it sends (what it leaves out is gone, the mail server's
    password too); unknown keys are dropped, as a DRF serializer drops them."""
    try:
        data = parse_json_object(request.body)
        new = validate_fields(data, BRANDING, required=("domain", "publicSettings", "privateSettings"))
    except BodyError as exc:
        return exc.response
    store.branding.update(copy.deepcopy(new))
    return json_response(200, store.branding)


# -- the logo and favicon ----------------------------------------------------------------------------

ASSET_FIELDS: tuple[str, ...] = ("logo", "favicon")
# The sandbox's choice: what Pillow (so a DRF ImageField) opens; no SVG. Gcore says only "binary".
IMAGE_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"\x00\x00\x01\x00", 0, "image/x-icon"),
    (b"BM", 0, "image/bmp"),
)
# The sandbox's limit on one file; Gcore publishes none.
MAX_ASSET_BYTES = 1024 * 1024
# DRF's FileField and ImageField messages.
NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."
EMPTY_FILE = "The submitted file is empty."
NOT_AN_IMAGE = "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
TOO_LARGE = f"Ensure this file is no larger than {MAX_ASSET_BYTES // 1024} KB."
# The sandbox's wording: Gcore says the two may come "separately or simultaneously", so one is needed.
NOTHING_UPLOADED = "Upload a logo, a favicon or both."


def upload_branding_assets(request: ApiRequest, store: Store) -> SandboxResponse:
    """multipart/form-data with `logo`, `favicon` or both (UploadBrandingAssetsRequest) -> 200 with
    the BrandingSettings. Gcore documents no 400 here; a refusal has the API's validation shape.

    Gcore: BrandingSettings has no property for the images' addresses, so the answer cannot show
    them; the sandbox keeps the files (`Sandbox.branding_asset`) (docs/gcore-api-notes.md §12)."""
    parts = _multipart_parts(request.content_type, request.body)
    errors: dict[str, list[str]] = {}
    accepted: dict[str, tuple[str, str, bytes]] = {}
    for name in ASSET_FIELDS:
        part = parts.get(name)
        if part is None:
            continue
        filename = part.get_filename()
        content = part.get_payload(decode=True)
        if filename is None or not isinstance(content, bytes):
            errors[name] = [NOT_A_FILE]
        elif not content:
            errors[name] = [EMPTY_FILE]
        elif len(content) > MAX_ASSET_BYTES:
            errors[name] = [TOO_LARGE]
        elif (kind := _image_type(content)) is None:
            errors[name] = [NOT_AN_IMAGE]
        else:
            accepted[name] = (filename, kind, content)
    if not errors and not accepted:
        errors["non_field_errors"] = [NOTHING_UPLOADED]
    if errors:
        return field_errors(errors)
    store.branding_assets.update(accepted)
    return json_response(200, store.branding)


def _multipart_parts(content_type: str, body: bytes) -> dict[str, Message]:
    """The form's parts by field name (the first of a repeated name); none for any other body."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", errors="replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return {}
    parts: dict[str, Message] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and name not in parts:
            parts[name] = part
    return parts


def _image_type(content: bytes) -> str | None:
    for signature, offset, kind in IMAGE_SIGNATURES:
        if content[offset : offset + len(signature)] == signature:
            if kind == "image/webp" and not content.startswith(b"RIFF"):
                continue
            return kind
    return None
