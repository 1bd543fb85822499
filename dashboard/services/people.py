"""A client's people and keys: inviting and removing users, invitations and password resets sent
again, and the client's API tokens, read and revoked.

Each write is one upstream call, run by the save pipeline's `run_act`: permission checked, sent
once, every attempt audited (with the reason where one is asked), the client's cached copies
dropped. The dashboard never sees or sets a user's password, and never creates a token.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from dashboard.gcore import GcoreNotFound, get_gcore_client
from dashboard.gcore.models import GROUPS_BY_ID, ApiToken, ClientUser, Invitation
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange, Outcome
from dashboard.services.saves import Act, run_act
from dashboard.upstream.errors import UpstreamError


def _require(actor: User, codename: str, what: str) -> None:
    if not actor.has_perm(perm(codename)):
        raise PermissionDenied(f"Your role does not allow {what}.")


def client_user_invite(
    *,
    client_id: int,
    email: str,
    role_id: int,
    lang: str | None,
    name: str | None,
    actor: User,
    ip_address: str | None = None,
) -> Invitation:
    """Invite a person into the client with a role: a new user gets an e-mail to set a password;
    someone who already has a Gcore account is added to this one."""
    role = GROUPS_BY_ID[role_id]
    act = Act(
        action=Action.USER_INVITE,
        send=partial(get_gcore_client().invite_user, client_id, email=email, role=role, lang=lang, name=name),
        invalidate=partial(versions.client_changed, client_id),
        done=f"Invited {email} as {role.name}.",
        client_id=client_id,
        changes=[FieldChange("email", None, email), FieldChange("user_role", None, role.name)],
        details={"email": email},
        authorize=partial(_require, actor, "invite_client_users", "inviting users"),
        answered_user=lambda invitation: invitation.user_id,
    )
    return run_act(act, actor=actor, ip_address=ip_address)


def client_user_remove(
    *, client_id: int, user: ClientUser, reason: str, actor: User, ip_address: str | None = None
) -> None:
    """Take the user's access to this client away; Gcore deletes a user left with no account."""
    act = Act(
        action=Action.USER_REMOVE,
        send=partial(get_gcore_client().revoke_access, client_id, user.id),
        invalidate=partial(versions.client_changed, client_id),
        done=f"Removed {user.email}'s access to the client.",
        client_id=client_id,
        user_id=user.id,
        changes=[FieldChange("access", user.email, None)],
        details={"reason": reason, "email": user.email},
        authorize=partial(_require, actor, "remove_client_users", "removing users"),
    )
    run_act(act, actor=actor, ip_address=ip_address)


def client_user_invitation_resend(
    *, client_id: int, user: ClientUser, actor: User, ip_address: str | None = None
) -> None:
    """Gcore e-mails the activation link again (it refuses once the user has activated)."""
    act = Act(
        action=Action.USER_INVITATION_RESENT,
        send=partial(get_gcore_client().renew_invitation, user.email),
        invalidate=partial(versions.client_changed, client_id),
        done=f"Sent the invitation to {user.email} again.",
        client_id=client_id,
        user_id=user.id,
        details={"email": user.email},
        authorize=partial(_require, actor, "email_client_users", "sending e-mails to users"),
    )
    run_act(act, actor=actor, ip_address=ip_address)


def client_user_password_reset(
    *, client_id: int, user: ClientUser, actor: User, ip_address: str | None = None
) -> None:
    """Gcore e-mails the user a link to choose a new password; the dashboard never sees it."""
    act = Act(
        action=Action.USER_PASSWORD_RESET,
        send=partial(get_gcore_client().reset_password, user.email),
        invalidate=lambda: None,  # nothing Gcore shows of the user changes
        done=f"Gcore e-mailed {user.email} a password reset link.",
        client_id=client_id,
        user_id=user.id,
        details={"email": user.email},
        authorize=partial(_require, actor, "email_client_users", "sending e-mails to users"),
    )
    run_act(act, actor=actor, ip_address=ip_address)


def invitations_get(client_id: int) -> dict[int, datetime]:
    """When this dashboard invited each of the client's users (user id -> the newest invitation or
    resend), for "invited N days ago": Gcore's user record has no invitation date."""
    entries = AuditEntry.objects.filter(
        client_id=client_id,
        action__in=(Action.USER_INVITE, Action.USER_INVITATION_RESENT),
        outcome=Outcome.SAVED,
        user_id__isnull=False,
    ).values_list("user_id", "created_at")
    since: dict[int, datetime] = {}
    for user_id, created_at in entries:
        if user_id is None:  # left out by the query; the column may be null
            continue
        if user_id not in since or created_at > since[user_id]:
            since[user_id] = created_at
    return since


# -- API tokens --------------------------------------------------------------------------------------


def tokens_get(*, client_id: int, show_deleted: bool = False, owner: int | None = None) -> list[ApiToken]:
    """The client's API tokens, newest first: live ones, or every one with `show_deleted`.

    Gcore: the `deleted` filter's description says "True - not deleted, False - deleted", the
    reverse of its name, and what the list holds without it is undocumented
    (docs/gcore-api-notes.md §11). So the plain list and both values are read (at once), and each
    token's own `deleted` flag decides where it shows: every reading gives the same page. `owner`
    is asked of Gcore (`issued_by`) and checked here as well.
    """
    gcore = get_gcore_client()
    reads = [partial(gcore.list_tokens, client_id, issued_by=owner)]
    reads += [
        partial(gcore.list_tokens, client_id, deleted=value, issued_by=owner) for value in (True, False)
    ]
    with ThreadPoolExecutor(max_workers=len(reads), thread_name_prefix="tokens") as pool:
        answers = list(pool.map(lambda read: read(), reads))
    found = {token.id: token for answer in answers for token in answer}
    tokens = [
        token
        for token in found.values()
        if (show_deleted or not token.deleted) and (owner is None or token.client_user.user_id == owner)
    ]
    return sorted(tokens, key=lambda token: (token.created is None, token.created), reverse=True)


def token_get(*, client_id: int, token_id: int) -> ApiToken:
    """One live token of the client (GET .../tokens/{tokenId}); GcoreNotFound when it has none
    such, or it is deleted."""
    token = get_gcore_client().get_token(client_id, token_id)
    if token.deleted:
        raise GcoreNotFound(f"Client {client_id}'s API token {token_id} is already revoked.")
    return token


def token_get_or_none(*, client_id: int, token_id: int) -> ApiToken | None:
    """`token_get`, or None when the client has no such live token (revoked meanwhile, perhaps)."""
    try:
        return token_get(client_id=client_id, token_id=token_id)
    except GcoreNotFound:
        return None


def user_tokens_get(*, client_id: int, user_id: int) -> list[ApiToken]:
    """The user's live tokens in the client (what keeps Gcore from removing a user); none if
    unreadable."""
    try:
        return tokens_get(client_id=client_id, owner=user_id)
    except UpstreamError:
        return []


def token_revoke(
    *, client_id: int, token: ApiToken, reason: str, actor: User, ip_address: str | None = None
) -> None:
    """Delete the token: every application using it loses access at once. Cannot be undone."""
    owner = token.client_user.user_email or f"user {token.client_user.user_id}"
    act = Act(
        action=Action.TOKEN_REVOKE,
        send=partial(get_gcore_client().revoke_token, client_id, token.id),
        invalidate=partial(versions.client_changed, client_id),
        done=f"Revoked the API token {token.name!r} of {owner}.",
        client_id=client_id,
        user_id=token.client_user.user_id,
        changes=[FieldChange(f"token {token.id}", token.name, None)],
        details={"reason": reason, "token_id": token.id, "token": token.name},
        success_status=204,
        authorize=partial(_require, actor, "revoke_client_tokens", "revoking API tokens"),
    )
    run_act(act, actor=actor, ip_address=ip_address)
