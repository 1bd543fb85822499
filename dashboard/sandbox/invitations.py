"""A client's users beyond its first: inviting them (POST /iam/clients/invite_user) and taking their
access away (DELETE /iam/clients/{clientId}/client-users/{userId}; iam_api.yaml, "Users"), and the
two e-mails Gcore sends a user (POST /iam/auth/renew_invitation, POST /iam/auth/reset_password;
iam_reseller_api.yaml, "IAM Reseller Account"; docs/gcore-api-notes.md §8).

The sandbox sends no mail: the e-mail calls check what they are given and answer, and change
nothing.
"""

from __future__ import annotations

from typing import Any

from .api import ApiRequest
from .catalog import ADMIN_GROUP_ID, LANGUAGES
from .data import tokens_of
from .responses import SandboxResponse, empty_response, json_response, not_found
from .store import ClientRecord, Store, UserRecord
from .validation import (
    BodyError,
    CharField,
    Validator,
    choice,
    email_field,
    parse_json_object,
    primary_key,
    role,
    validate_fields,
)

# Gcore: InviteUserError's two list shapes, a top-level JSON array of one string (iam_api.yaml).
ALREADY_INVITED = "User {user_id} has already been invited to client {client_id}"
CANNOT_BE_ADDED = "This user cannot be added to this client."
# Gcore: TokenConstrainsDeletion's example (iam_api.yaml), the 403 of revoking a user's access.
HAS_ACTIVE_TOKENS = "You can't remove the user as they have active tokens"
# Gcore: RenewInvitationError's "User related errors" (iam_reseller_api.yaml).
ALREADY_ACTIVATED = "This user already activated."
# Gcore: the 404 of both e-mail calls is described as "User with given email not found." with no
# body (iam_reseller_api.yaml); the sandbox sends that text as DRF's `detail`.
EMAIL_NOT_FOUND = "User with given email not found."
# Gcore: EmailRequest (iam_reseller_api.yaml).
EMAIL_REQUEST: dict[str, Validator] = {"email": email_field()}
# The sandbox's choice: who cannot be added to a client. Gcore names the error, not its causes.
# The sandbox refuses the addresses of the reseller's sellers (Store.sellers, those created since
# included), users of another type than `common` (reseller and seller staff), deleted users, and
# any invitation into a deleted client.


def invite_user(request: ApiRequest, store: Store) -> SandboxResponse:
    """A new e-mail becomes a new user of the client, not activated until they set a password; a
    user of another client is added to this one too (Gcore's multi-account users)."""
    try:
        data = parse_json_object(request.body)
        invite = validate_fields(
            data, _invite_validators(store), required=("email", "user_role", "client_id")
        )
    except BodyError as exc:
        return exc.response
    client = store.clients[invite["client_id"]]
    tokens_of(store, client)  # seeded tokens are drawn from the users the client was seeded with
    email: str = invite["email"]
    matches = users_with_email(store, email)
    member = next((user for user in matches if client.id in user.roles()), None)
    if member is not None:
        return json_response(400, [ALREADY_INVITED.format(user_id=member.id, client_id=client.id)])
    existing = matches[0] if matches else None
    if client.fields["deleted"] or _is_seller(store, email) or not _can_join(existing):
        return json_response(400, [CANNOT_BE_ADDED])
    if existing is None:
        user = _new_user(store, invite, client)
        store.users[user.id] = user
    else:
        # An existing user keeps their own name and language: `name` and `lang` describe a new one.
        user = existing
        user.set_role(client.id, invite["user_role"])
    client.user_ids.append(user.id)
    if client.fields["currentUser"] not in client.user_ids:  # a client left with no user had 0
        client.fields["currentUser"] = user.id
    # Gcore: InviteUserResponse's example is {"status": "sent", "user_id": N} (iam_api.yaml).
    return json_response(200, {"status": "sent", "user_id": user.id})


def revoke_access(request: ApiRequest, store: Store, client_id: int, user_id: int) -> SandboxResponse:
    """The user loses this client; a user left with no client is deleted (iam_api.yaml)."""
    client = store.clients.get(client_id)
    if client is None or user_id not in client.user_ids:
        return not_found()
    # Gcore: refused while the user has API tokens in the client (TokenConstrainsDeletion). The
    # sandbox counts every token not deleted, an expired one too: Gcore deletes expired tokens at
    # a time it does not document, and the sandbox never does (store.token_json).
    if any(t.user_id == user_id and not t.deleted for t in tokens_of(store, client).values()):
        return json_response(403, {"message": HAS_ACTIVE_TOKENS})
    user = store.users[user_id]
    client.user_ids.remove(user_id)
    if not user.leave(client_id):
        # Gone from the API (GET /iam/users/{id} answers 404); kept aside for its tokens' issuer.
        user.fields.update(deleted=True, is_active=False)
        store.removed_users[user_id] = store.users.pop(user_id)
    # The sandbox's choice: `owner` stays, since Gcore describes it as the user who created the
    # client, which stays true; `currentUser` passes to the client's first active administrator,
    # else its first user not deleted, else its first user, else 0 when no user is left.
    if client.fields["currentUser"] == user_id:
        client.fields["currentUser"] = _successor(store, client)
    # Gcore: 200 with no documented body (iam_api.yaml); DELETE /iam/users/{id} answers 200 too.
    return empty_response(200)


def renew_invitation(request: ApiRequest, store: Store) -> SandboxResponse:
    user, refused = _user_of_email_request(request, store)
    if refused is not None:
        return refused
    if user is not None and user.fields["activated"]:
        return json_response(400, {"message": ALREADY_ACTIVATED})
    # Gcore: the 200 is described as "OK." with no content (iam_reseller_api.yaml): the sandbox
    # sends no body, as for the other bodyless 200 (revoking access).
    return empty_response(200)


def reset_password(request: ApiRequest, store: Store) -> SandboxResponse:
    # Any known user, activated or not; the password stays as it is until the user follows the
    # link Gcore mails, so nothing the API shows changes.
    _, refused = _user_of_email_request(request, store)
    return refused if refused is not None else empty_response(200)


def _is_seller(store: Store, email: str) -> bool:
    return any(seller["email"].lower() == email.lower() for seller in store.sellers)


def users_with_email(store: Store, email: str) -> list[UserRecord]:
    """The users with this e-mail, compared case-insensitively, lowest id first. Gcore's e-mails
    are unique; a few seeded users share one (the same name at the same company domain), and the
    sandbox takes the lowest id for "the" user of an address."""
    wanted = email.lower()
    return sorted(
        (user for user in store.users.values() if user.fields["email"].lower() == wanted),
        key=lambda user: user.id,
    )


def _invite_validators(store: Store) -> dict[str, Validator]:
    """InviteUserRequest's properties in the spec's order, the order its errors come in."""
    return {
        "email": email_field(),
        "user_role": role,
        "client_id": primary_key(lambda: store.clients, allow_null=False),
        "lang": choice(LANGUAGES),
        # Lengths as PATCH /iam/users has them (docs/gcore-api-notes.md §4); the spec's `name` is a
        # plain, non-nullable string.
        "name": CharField(max_length=255, allow_blank=True),
    }


def _can_join(user: UserRecord | None) -> bool:
    return user is None or (user.fields["user_type"] == "common" and not user.fields["deleted"])


def _new_user(store: Store, invite: dict[str, Any], client: ClientRecord) -> UserRecord:
    """Not activated until they follow the e-mailed link; their company is the client's."""
    fields: dict[str, Any] = {
        "email": invite["email"],
        "name": invite.get("name"),
        "lang": invite.get("lang", "en"),
        "phone": None,
        "company": client.fields["companyName"],
        "deleted": False,
        "activated": False,
        "sso_auth": False,
        "two_fa": False,
        "auth_types": ["password"],
        "user_type": "common",
        "is_active": True,
    }
    return UserRecord(
        id=store.take_id("user"), client_id=client.id, group_id=invite["user_role"], fields=fields
    )


def _successor(store: Store, client: ClientRecord) -> int:
    users = store.users_of(client)
    live = [user for user in users if not user.fields["deleted"]]
    admins = [u for u in live if u.fields["activated"] and u.roles()[client.id] == ADMIN_GROUP_ID]
    return next((user.id for user in (*admins, *live, *users)), 0)


def _user_of_email_request(
    request: ApiRequest, store: Store
) -> tuple[UserRecord | None, SandboxResponse | None]:
    """(the user, None), or (None, the 400 or 404 to send). A deleted user is not found: the
    sandbox's choice, as a deleted user can neither activate nor sign in."""
    try:
        data = parse_json_object(request.body)
        email: str = validate_fields(data, EMAIL_REQUEST, required=("email",))["email"]
    except BodyError as exc:
        return None, exc.response
    user = next((u for u in users_with_email(store, email) if not u.fields["deleted"]), None)
    if user is None:
        return None, not_found(EMAIL_NOT_FOUND)
    return user, None
