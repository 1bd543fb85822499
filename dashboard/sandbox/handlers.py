"""The API's routing table, and the handlers of clients and users (one per path and method).

The other endpoints have their own modules: `signup` (POST /iam/users), `invitations` (inviting and
removing a client's users, the invitation and password e-mails), `tokens` (API tokens),
`client_services`, `availability`, `features` and `sellers`. Handlers run with the sandbox lock held
and read or change the Store directly.
"""

from __future__ import annotations

import re
from functools import partial

from . import (
    activity,
    availability,
    client_services,
    features,
    invitations,
    reseller,
    sellers,
    signup,
    tokens,
)
from .api import ApiRequest, Handler, Route
from .catalog import AUTH_TYPES, LANGUAGES, RESELLER_IDS
from .data import tokens_of
from .query import QueryErrors, page_links, parse_list_query, select_clients
from .responses import (
    USER_NOT_FOUND,
    SandboxResponse,
    empty_response,
    field_errors,
    json_response,
    not_found,
)
from .store import ClientRecord, Store, UserRecord, group_json
from .validation import (
    REQUIRED,
    BodyError,
    CharField,
    Validator,
    boolean,
    choice,
    choice_list,
    email_field,
    parse_json_object,
    primary_key,
    role,
    validate_fields,
)

__all__ = ["ROUTES", "ApiRequest", "Handler", "Route", "resolve", "role"]


# -- clients ---------------------------------------------------------------------------------

# Gcore: UpdateClientRequest (docs/gcore-api-notes.md §4); lengths follow the Django model
# limits a DRF ModelSerializer would enforce (254 for e-mail, 255 for names, 30 for phones).
CLIENT_UPDATE: dict[str, Validator] = {
    "email": email_field(),
    "companyName": CharField(max_length=255),
    "custom_id": CharField(max_length=255, allow_null=True, allow_blank=True),
    "name": CharField(max_length=255, allow_null=True, allow_blank=True),
    "phone": CharField(max_length=30, allow_null=True, allow_blank=True),
    "reseller": primary_key(lambda: RESELLER_IDS, allow_null=False),
    "is_test": boolean,
}
# Gcore: the body says `reseller`, the Client response says `resellers` (docs/gcore-api-notes.md §4).
CLIENT_RESPONSE_KEYS = {"reseller": "resellers"}


def list_clients(request: ApiRequest, store: Store) -> SandboxResponse:
    try:
        query = parse_list_query(request.params)
    except QueryErrors as exc:
        # Gcore: a malformed filter value is refused with 400 and the validation body
        # (docs/gcore-api-notes.md §3).
        return field_errors(exc.errors)
    clients = select_clients(store, query)
    if query.limit is None:
        # Gcore: without `limit` the answer is a plain array of every match
        # (GetClientsResponse.ClientsArray; docs/gcore-api-notes.md §6).
        return json_response(200, [store.client_json(c) for c in clients])
    window = clients[query.offset : query.offset + query.limit]
    next_url, previous_url = page_links(
        request.url, count=len(clients), limit=query.limit, offset=query.offset
    )
    return json_response(
        200,
        {
            "count": len(clients),
            "next": next_url,
            "previous": previous_url,
            "results": [store.client_json(c) for c in window],
        },
    )


def get_client(request: ApiRequest, store: Store, client_id: int) -> SandboxResponse:
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    return json_response(200, store.client_json(client))


def patch_client(request: ApiRequest, store: Store, client_id: int) -> SandboxResponse:
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    # A client's seller must be one of the sellers not deleted (DELETE /iam/admin/sellers/{id}).
    validators = {
        **CLIENT_UPDATE,
        "seller": primary_key(lambda: sellers.live_seller_ids(store), allow_null=True),
    }
    try:
        changes = validate_fields(parse_json_object(request.body), validators)
    except BodyError as exc:
        return exc.response
    for key, value in changes.items():
        client.fields[CLIENT_RESPONSE_KEYS.get(key, key)] = value
    return json_response(200, store.client_json(client))


# -- users -----------------------------------------------------------------------------------

# Gcore: PATCH /iam/users/{userId} body (docs/gcore-api-notes.md §4). `groups` is listed there, but
# roles change through PUT .../client-users/{uid}, so it is ignored like any unknown key.
USER_UPDATE: dict[str, Validator] = {
    "email": email_field(),
    "name": CharField(max_length=255, allow_null=True, allow_blank=True),
    "lang": choice(LANGUAGES),
    "phone": CharField(max_length=30, allow_null=True, allow_blank=True),
    "company": CharField(max_length=255),
    "auth_types": choice_list(AUTH_TYPES),
}


def get_user(request: ApiRequest, store: Store, user_id: int) -> SandboxResponse:
    user = store.users.get(user_id)
    if user is None:
        return not_found(USER_NOT_FOUND)
    # Gcore: GET /iam/users/{id} is the User without client_and_roles (docs/gcore-api-notes.md §4).
    return json_response(200, store.user_json(user, with_roles=False))


def patch_user(request: ApiRequest, store: Store, user_id: int) -> SandboxResponse:
    user = store.users.get(user_id)
    if user is None:
        return not_found(USER_NOT_FOUND)
    try:
        changes = validate_fields(parse_json_object(request.body), USER_UPDATE)
    except BodyError as exc:
        return exc.response
    user.fields.update(changes)
    return json_response(200, store.user_json(user, with_roles=True))


# -- a user's role in a client ---------------------------------------------------------------


def get_role(request: ApiRequest, store: Store, client_id: int, user_id: int) -> SandboxResponse:
    user = _client_user(store, client_id, user_id)
    if user is None:
        return not_found()
    return json_response(200, {"user_role": group_json(user.roles()[client_id])})


def put_role(request: ApiRequest, store: Store, client_id: int, user_id: int) -> SandboxResponse:
    user = _client_user(store, client_id, user_id)
    if user is None:
        return not_found()
    try:
        data = parse_json_object(request.body)
        if "user_role" not in data:
            return field_errors({"user_role": [REQUIRED]})
        group_id = validate_fields(data, {"user_role": role})["user_role"]
    except BodyError as exc:
        return exc.response
    tokens_of(store, store.clients[client_id])  # seeded tokens take their roles from the seeded groups
    user.set_role(client_id, group_id)
    # Gcore: a successful role change answers 204 with no body (docs/gcore-api-notes.md §2).
    return empty_response(204)


def _client_user(store: Store, client_id: int, user_id: int) -> UserRecord | None:
    client: ClientRecord | None = store.clients.get(client_id)
    if client is None or user_id not in client.user_ids:
        return None
    return store.users[user_id]


def _route(pattern: str, methods: dict[str, Handler]) -> Route:
    return Route(re.compile(pattern.replace("{id}", "[0-9]+")), methods)


# Gcore: paths exactly as the API spells them, no trailing slash (docs/gcore-api-notes.md §1, §2, §8;
# iam_reseller_api.yaml). Ids must be digits: Django's `<int:...>` converter would not match
# anything else, so anything else is an unknown path. A method not listed answers 405.
CLIENT = r"/iam/clients/(?P<client_id>{id})"
NOTIFICATIONS = r"/iam/reselling/resellers/(?P<reseller_id>{id})/notification_settings"
ROUTES: tuple[Route, ...] = (
    _route(r"/iam/clients", {"GET": list_clients}),
    _route(CLIENT, {"GET": get_client, "PATCH": patch_client}),
    _route(r"/iam/users", {"POST": signup.create_user}),
    _route(r"/iam/users/(?P<user_id>{id})", {"GET": get_user, "PATCH": patch_user}),
    _route(r"/iam/clients/invite_user", {"POST": invitations.invite_user}),
    _route(
        CLIENT + r"/client-users/(?P<user_id>{id})",
        {"GET": get_role, "PUT": put_role, "DELETE": invitations.revoke_access},
    ),
    _route(r"/iam/auth/renew_invitation", {"POST": invitations.renew_invitation}),
    _route(r"/iam/auth/reset_password", {"POST": invitations.reset_password}),
    # Gcore: the v1 token paths are deprecated (removed on 2026-07-17) and behave as v2's, but for
    # the `$` in the token a POST creates (iam_api.yaml, "API Tokens").
    *(
        route
        for prefix, separator in ((r"/iam/v2/clients", "_"), (r"/iam/clients", "$"))
        for route in (
            _route(
                prefix + r"/(?P<client_id>{id})/tokens",
                {"GET": tokens.list_tokens, "POST": partial(tokens.create_token, separator=separator)},
            ),
            _route(
                prefix + r"/(?P<client_id>{id})/tokens/(?P<token_id>{id})",
                {"GET": tokens.get_token, "DELETE": tokens.delete_token},
            ),
        )
    ),
    _route(CLIENT + r"/services", {"GET": client_services.list_services}),
    _route(
        CLIENT + r"/services/(?P<service_id>{id})",
        {
            "GET": client_services.get_service,
            "PUT": client_services.put_service,
            "PATCH": client_services.patch_service,
        },
    ),
    _route(
        r"/iam/products/availability/defaults",
        {"GET": availability.get_defaults, "PATCH": availability.patch_defaults},
    ),
    _route(r"/iam/products/availability/clients", {"DELETE": availability.reset_all_clients}),
    _route(
        r"/iam/products/availability/clients/(?P<client_id>{id})",
        {
            "GET": availability.get_client,
            "PATCH": availability.patch_client,
            "DELETE": availability.reset_client,
        },
    ),
    _route(r"/iam/admin/feature", {"GET": features.list_features}),
    _route(r"/iam/admin/feature/(?P<feature_id>{id})", {"GET": features.get_feature}),
    _route(
        r"/iam/admin/free_features",
        {"GET": partial(features.list_activations, free=True), "POST": partial(features.activate, free=True)},
    ),
    _route(
        r"/iam/admin/free_features/(?P<activation_id>{id})",
        {
            "GET": partial(features.get_activation, free=True),
            "DELETE": partial(features.deactivate, free=True),
        },
    ),
    _route(
        r"/iam/admin/paid_features",
        {
            "GET": partial(features.list_activations, free=False),
            "POST": partial(features.activate, free=False),
        },
    ),
    _route(
        r"/iam/admin/paid_features/(?P<activation_id>{id})",
        {
            "GET": partial(features.get_activation, free=False),
            "DELETE": partial(features.deactivate, free=False),
        },
    ),
    _route(r"/iam/admin/sellers", {"GET": sellers.list_sellers, "POST": sellers.create_seller}),
    _route(
        r"/iam/admin/sellers/(?P<seller_id>{id})",
        {"GET": sellers.get_seller, "PATCH": sellers.patch_seller, "DELETE": sellers.delete_seller},
    ),
    _route(r"/iam/clients/me", {"GET": reseller.get_account}),
    _route(
        NOTIFICATIONS,
        {"GET": reseller.list_notification_settings, "POST": reseller.create_notification_setting},
    ),
    _route(
        NOTIFICATIONS + r"/(?P<setting_id>{id})",
        {
            "GET": reseller.get_notification_setting,
            "PUT": reseller.put_notification_setting,
            "PATCH": reseller.patch_notification_setting,
            "DELETE": reseller.delete_notification_setting,
        },
    ),
    _route(r"/iam/reselling/settings", {"GET": reseller.get_branding, "PUT": reseller.put_branding}),
    _route(r"/iam/reselling/settings/upload", {"POST": reseller.upload_branding_assets}),
    _route(r"/iam/activity_log/requests", {"GET": activity.list_requests}),
    _route(r"/iam/activity_log/requests/(?P<request_id>{id})", {"GET": activity.get_request}),
    _route(r"/iam/activity_log/account_status_changes", {"GET": activity.list_status_changes}),
)


def resolve(path: str) -> tuple[Route, dict[str, int]] | None:
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match:
            return route, {name: int(value) for name, value in match.groupdict().items()}
    return None
