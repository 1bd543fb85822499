"""A client's permanent API tokens: GET and POST /iam/v2/clients/{clientId}/tokens, GET and DELETE
/iam/v2/clients/{clientId}/tokens/{tokenId}, and the deprecated v1 paths without `/v2`, which
behave the same but for the separator in a created token (iam_api.yaml, "API Tokens";
docs/gcore-api-notes.md §8).

The sandbox's API key acts for the reseller, not for one of the client's users, so it sees every
token of the client (Gcore: "A user with the Administrators role gets information about all API
tokens in the account"), and a token it creates is issued by the client's current user.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .api import ApiRequest
from .catalog import ADMIN_GROUP_ID, GROUPS
from .data import tokens_of
from .query import ParamError, QueryErrors, parse_bool, parse_int
from .responses import SandboxResponse, empty_response, field_errors, json_response, not_found
from .store import ClientRecord, Store, TokenRecord, UserRecord
from .validation import (
    MAY_NOT_BE_NULL,
    REQUIRED,
    BodyError,
    CharField,
    FieldError,
    Validator,
    clean_fields,
    parse_json_object,
    role,
)

# DRF DateTimeField's message; its ISO 8601 input: a date, a time to the minute at least, a zone.
WRONG_DATETIME = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")
# Gcore: the documented 403 body (RevokeUserAccessForbiddenError's first shape, iam_api.yaml): the
# sandbox's answer when a client has no user left to issue a token.
NO_PERMISSION = "You do not have permission to perform this action."


@dataclass(frozen=True)
class TokenQuery:
    deleted: bool
    role_id: int | None
    issued_by: int | None
    not_issued_by: int | None

    def matches(self, token: TokenRecord) -> bool:
        return (
            token.deleted is self.deleted
            and (self.role_id is None or token.role_id == self.role_id)
            and (self.issued_by is None or token.user_id == self.issued_by)
            and (self.not_issued_by is None or token.user_id != self.not_issued_by)
        )


def list_tokens(request: ApiRequest, store: Store, client_id: int) -> SandboxResponse:
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    try:
        query = parse_token_query(request.params)
    except QueryErrors as exc:
        return field_errors(exc.errors)
    tokens = sorted((t for t in tokens_of(store, client).values() if query.matches(t)), key=lambda t: t.id)
    # Gcore: a plain array (TokenResponseArray), never a page; the sandbox orders it by id.
    return json_response(200, [store.token_json(token, now=request.now) for token in tokens])


def get_token(request: ApiRequest, store: Store, client_id: int, token_id: int) -> SandboxResponse:
    token = _find(store, client_id, token_id)
    if token is None:
        return not_found()
    # A deleted token is still shown, `deleted: true`, as the list shows it with `deleted=true`.
    return json_response(200, store.token_json(token, now=request.now))


def delete_token(request: ApiRequest, store: Store, client_id: int, token_id: int) -> SandboxResponse:
    token = _find(store, client_id, token_id)
    # Gcore: "The action cannot be reversed." A deleted token is kept, flagged, and a second DELETE
    # finds nothing to delete (the sandbox's reading).
    if token is None or token.deleted:
        return not_found()
    token.deleted = True
    return empty_response(204)


def create_token(request: ApiRequest, store: Store, client_id: int, *, separator: str) -> SandboxResponse:
    """Token-2 -> 200 CreateTokenResponse(V2): the token once, `<id><separator><secret>`, and the
    TokenResponse fields."""
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    try:
        data = parse_json_object(request.body)
    except BodyError as exc:
        return exc.response
    cleaned, errors = _clean_token(data)
    if errors:
        return json_response(400, {"errors": errors})
    issuer = _issuer(store, client)
    if issuer is None:
        return json_response(403, {"message": NO_PERMISSION})
    role_id: int = cleaned["role"]
    if role_id == ADMIN_GROUP_ID and issuer.roles()[client.id] != ADMIN_GROUP_ID:
        # Gcore: CreateTokenError "You can't create an API token with the specified role" (the role
        # is higher than the issuer's). The groups' order is not published: the sandbox ranks only
        # Administrators above the others.
        message = f"Can't create token with role {GROUPS[role_id]}"
        return json_response(400, {"errors": {"client_user": {"role": [message]}}})
    token = TokenRecord(
        id=store.take_id("token"),
        client_id=client.id,
        user_id=issuer.id,
        role_id=role_id,
        name=cleaned["name"],
        description=cleaned.get("description", ""),
        exp_date=cleaned["exp_date"],
        created=request.now,
        last_usage=None,
    )
    tokens_of(store, client)[token.id] = token
    # Gcore: "We do not store tokens": nor does the sandbox; the secret exists in this answer only.
    secret = secrets.token_hex(32)
    body = {"token": f"{token.id}{separator}{secret}", **store.token_json(token, now=request.now)}
    return json_response(200, body)


def parse_token_query(params: dict[str, str]) -> TokenQuery:
    """The list's filters; an empty value means no filter, as elsewhere (query.py)."""
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Any] = {}
    parsers: dict[str, Callable[[str], Any]] = {
        "role": _parse_role,
        "issued_by": parse_int,
        "not_issued_by": parse_int,
        "deleted": parse_bool,
    }
    for name, parse in parsers.items():
        value = params.get(name, "")
        if value == "":
            continue
        try:
            parsed[name] = parse(value)
        except ParamError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise QueryErrors(errors)
    # Gcore: the `deleted` filter's description reads "True - API token was not deleted. False - API
    # token was deleted." (iam_api.yaml), the reverse of its name and of TokenResponse.deleted ("If
    # true, then the API token was deleted"). The sandbox follows the name: `deleted=true` lists the
    # deleted tokens, `deleted=false` the others, and without it only the tokens not deleted.
    return TokenQuery(
        deleted=parsed.get("deleted", False),
        role_id=parsed.get("role"),
        issued_by=parsed.get("issued_by"),
        not_issued_by=parsed.get("not_issued_by"),
    )


def _parse_role(value: str) -> int:
    # Gcore: `role` is described as the group's id, with the example `&role=Engineers` (iam_api.yaml):
    # the sandbox takes either, exactly as written.
    for group_id, name in GROUPS.items():
        if value in (str(group_id), name):
            return group_id
    raise ParamError(f"Select a valid choice. {value} is not one of the available choices.")


def _clean_token(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Token-2's properties in the spec's order, the order errors come in; `client_user` nests its
    errors as CreateTokenError shows (`{"client_user": {"role": [...]}}`)."""
    # The sandbox's lengths: Gcore publishes none for tokens.
    validators: dict[str, Validator] = {
        "name": CharField(max_length=255),
        "description": CharField(max_length=255, allow_blank=True),
        "exp_date": _exp_date,
    }
    cleaned, errors = clean_fields(data, validators, required=("name", "exp_date"))
    nested_errors: dict[str, Any] = dict(errors)
    client_user = data.get("client_user")
    if "client_user" not in data:
        nested_errors["client_user"] = [REQUIRED]
    elif client_user is None:
        nested_errors["client_user"] = [MAY_NOT_BE_NULL]
    elif not isinstance(client_user, dict):
        message = f"Invalid data. Expected a dictionary, but got {type(client_user).__name__}."
        nested_errors["client_user"] = {"non_field_errors": [message]}
    elif "role" not in client_user:
        # Token-2 does not mark `role` required; a token without a role means nothing (the sandbox's
        # choice).
        nested_errors["client_user"] = {"role": [REQUIRED]}
    else:
        try:
            cleaned["role"] = role(client_user["role"])
        except FieldError as exc:
            nested_errors["client_user"] = {"role": exc.messages}
    return cleaned, nested_errors


def _exp_date(value: object) -> datetime | None:
    """Token-2.exp_date: an ISO 8601 date-time (a naive one is UTC), or null for "never expires".
    A past date is accepted (the sandbox's choice; Gcore documents no check): the token is
    created already expired."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not _ISO_DATETIME.fullmatch(text):
        raise FieldError(WRONG_DATETIME)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(WRONG_DATETIME) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _issuer(store: Store, client: ClientRecord) -> UserRecord | None:
    """Who a created token is issued by (the sandbox's choice): the client's current user, else its
    first activated user, else its first user (none of them deleted); None when it has none."""
    live = [user for user in store.users_of(client) if not user.fields["deleted"]]
    current = [user for user in live if user.id == client.fields["currentUser"]]
    activated = [user for user in live if user.fields["activated"]]
    return next(iter(current + activated + live), None)


def _find(store: Store, client_id: int, token_id: int) -> TokenRecord | None:
    """The client's token; None if either is unknown or the token is another client's."""
    client = store.clients.get(client_id)
    if client is None:
        return None
    return tokens_of(store, client).get(token_id)
