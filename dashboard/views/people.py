"""A client's people and keys: invite, remove, resend an invitation, send a password reset, and the
client's API tokens with their revocation. Each action has a confirmation page (GET) and the action
(POST); with htmx the forms open inside the client page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from dashboard.forms.people import InviteForm, TokenFilterForm
from dashboard.forms.saving import ConfirmForm
from dashboard.gcore import GcoreNotFound
from dashboard.http import HtmxHttpRequest, client_ip, notify, render_page, upstream_failure
from dashboard.mfa import fresh_identity_required, said_yes
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.audit import audit_refused_input
from dashboard.services.clients import client_get
from dashboard.services.people import (
    client_user_invitation_resend,
    client_user_invite,
    client_user_password_reset,
    client_user_remove,
    token_get,
    token_revoke,
    tokens_get,
    user_tokens_get,
)
from dashboard.services.users import client_user_get
from dashboard.upstream.errors import (
    UpstreamError,
    UpstreamNotFound,
    UpstreamValidationError,
)
from dashboard.views.saving import change_failed, form_status


def _users_page(client_id: int) -> str:
    return f"{reverse('client-detail', args=[client_id])}#client-users"


def _done(request: HtmxHttpRequest, client_id: int, message: str, *, to: str | None = None) -> HttpResponse:
    """After an action: the client page (without JavaScript), or the editor closed, the users and the
    history refreshed and the message shown (htmx)."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(to or _users_page(client_id))
    response = render_page(
        request, "users/action.html", {"closed": True, "client_id": client_id}, partial="user-editor"
    )
    for event in ("users-updated", "client-updated", "tokens-updated"):
        trigger_client_event(response, event, {"id": client_id})
    return notify(response, message)


def _failure_text(exc: UpstreamError, *, not_found: str = "", input_kept: bool = False) -> str:
    """Gcore's refusal as it put it (field messages included), what a 404 means for this action
    (`not_found`), or what a failure means for it."""
    if isinstance(exc, UpstreamNotFound) and not_found:
        return not_found
    if isinstance(exc, UpstreamValidationError):
        fields = [f"{name}: {'; '.join(messages)}" for name, messages in exc.field_errors.items()]
        return "Gcore refused: " + " ".join([*exc.non_field_errors, *fields] or [exc.message])
    return change_failed(exc, input_kept=input_kept)[0]


def _refused_input(request: HtmxHttpRequest, action: str, client_id: int, form: Any, **ids: Any) -> None:
    """A confirmation the dashboard refused (no reason, no tick): an attempt, so audited too."""
    audit_refused_input(
        action=action, client_id=client_id, actor=request.user, errors=form.errors,
        ip_address=client_ip(request), **ids,
    )  # fmt: skip


# -- inviting ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(perm("invite_client_users"), raise_exception=True)
def invite_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    client = client_get(client_id=client_id).value
    form = InviteForm(request.POST or None)
    context: dict[str, Any] = {"client": client, "client_id": client_id, "form": form}
    if request.method == "GET":
        return render_page(request, "users/invite.html", context, partial="user-editor")
    if not form.is_valid():
        audit_refused_input(
            action=AuditEntry.Action.USER_INVITE, client_id=client_id, actor=request.user,
            errors=form.errors, ip_address=client_ip(request),
        )  # fmt: skip
        return _invite_form(request, context, 422)
    data = form.cleaned_data
    try:
        client_user_invite(
            client_id=client_id,
            email=data["email"],
            role_id=data["role"],
            lang=data["lang"],
            name=data["name"] or None,
            actor=request.user,
            ip_address=client_ip(request),
        )
    except UpstreamValidationError as exc:
        form.add_upstream_errors(exc)
        return _invite_form(request, context, 422)
    except UpstreamError as exc:
        text, status = change_failed(exc)
        form.add_error(None, text)
        return _invite_form(request, context, status)
    return _done(request, client_id, f"Invited {data['email']}: Gcore e-mails them a link to join.")


def _invite_form(request: HtmxHttpRequest, context: dict[str, Any], status: int) -> HttpResponse:
    status = form_status(request, status)
    return render_page(request, "users/invite.html", context, partial="user-editor", status=status)


# -- removing, resending, resetting ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(perm("remove_client_users"), raise_exception=True)
@fresh_identity_required(when=said_yes)
def user_remove_view(request: HtmxHttpRequest, client_id: int, user_id: int) -> HttpResponse:
    client, user = client_user_get(client_id=client_id, user_id=user_id)
    form = ConfirmForm(request.POST or None)
    context: dict[str, Any] = {"client": client, "client_id": client_id, "user_obj": user, "form": form}
    context["action"] = "remove"
    # What would keep Gcore from removing them, shown to those who may see tokens.
    if request.user.has_perm(perm("view_client_tokens")):
        context["tokens"] = user_tokens_get(client_id=client_id, user_id=user_id)
    if request.method == "GET":
        return _action_page(request, context)
    if not form.is_valid():
        _refused_input(request, AuditEntry.Action.USER_REMOVE, client_id, form, user_id=user_id)
        return _action_page(request, context, 422)
    try:
        client_user_remove(
            client_id=client_id,
            user=user,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            ip_address=client_ip(request),
        )
    except UpstreamError as exc:
        gone = f"Gcore no longer has {user.email} in this client: nothing to remove."
        form.add_error(None, _failure_text(exc, not_found=gone, input_kept=True))
        if "tokens" in context:  # read again: the refusal may be about tokens made meanwhile
            context["tokens"] = user_tokens_get(client_id=client_id, user_id=user_id)
        return _action_page(request, context, 422)
    return _done(request, client_id, f"Removed {user.email}'s access to {client.company_name}.")


@require_http_methods(["GET", "POST"])
@permission_required(perm("email_client_users"), raise_exception=True)
def user_resend_view(request: HtmxHttpRequest, client_id: int, user_id: int) -> HttpResponse:
    return _email_action(request, client_id, user_id, "resend")


@require_http_methods(["GET", "POST"])
@permission_required(perm("email_client_users"), raise_exception=True)
def user_reset_view(request: HtmxHttpRequest, client_id: int, user_id: int) -> HttpResponse:
    return _email_action(request, client_id, user_id, "reset")


def _email_action(request: HtmxHttpRequest, client_id: int, user_id: int, action: str) -> HttpResponse:
    """Gcore e-mails the user: the invitation again, or a password reset link."""
    client, user = client_user_get(client_id=client_id, user_id=user_id)
    context: dict[str, Any] = {"client": client, "client_id": client_id, "user_obj": user, "action": action}
    if request.method == "GET":
        return _action_page(request, context)
    send = client_user_invitation_resend if action == "resend" else client_user_password_reset
    try:
        send(client_id=client_id, user=user, actor=request.user, ip_address=client_ip(request))
    except UpstreamError as exc:
        unknown = f"Gcore knows no user with the e-mail {user.email} (any more): nothing was sent."
        context["error"] = _failure_text(exc, not_found=unknown)
        return _action_page(request, context, 422)
    if action == "resend":
        return _done(request, client_id, f"Gcore sent the invitation to {user.email} again.")
    return _done(request, client_id, f"Gcore e-mailed {user.email} a link to choose a new password.")


def _action_page(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    status = form_status(request, status)
    return render_page(request, "users/action.html", context, partial="user-editor", status=status)


# -- API tokens ---------------------------------------------------------------------------------------


@require_GET
@permission_required(perm("view_client_tokens"), raise_exception=True)
def tokens_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """The client's API tokens: owner, role, dates, state; filtered by owner, deleted ones on request."""
    client = client_get(client_id=client_id).value
    filters = TokenFilterForm(request.GET, users=client.users)
    data = filters.cleaned_data if filters.is_valid() else {}
    owner, show_deleted = data.get("owner"), bool(data.get("deleted"))
    # On the tokens page the address bar follows the filters; inside the client page it stays put.
    current = urlsplit(request.htmx.current_url or "").path if request.htmx else request.path
    context: dict[str, Any] = {
        "client": client,
        "client_id": client_id,
        "filters": filters,
        "owner": owner,
        "show_deleted": show_deleted,
        "standalone": current == request.path,
    }
    try:
        context["tokens"] = tokens_get(client_id=client_id, show_deleted=show_deleted, owner=owner)
    except UpstreamError as exc:
        context["tokens"], context["error"] = [], upstream_failure(exc).headline
    return render_page(request, "tokens/list.html", context, partial="client-tokens")


@require_http_methods(["GET", "POST"])
@permission_required(perm("revoke_client_tokens"), raise_exception=True)
@fresh_identity_required(when=said_yes)
def token_revoke_view(request: HtmxHttpRequest, client_id: int, token_id: int) -> HttpResponse:
    """A confirmation naming the token and its owner, with a reason; then the token is revoked."""
    client = client_get(client_id=client_id).value
    back = _next(request) or reverse("client-tokens", args=[client_id])
    try:
        token = token_get(client_id=client_id, token_id=token_id)
    except GcoreNotFound:
        if request.method == "GET":
            raise
        messages.info(request, "That API token was already revoked: nothing was sent.")
        return redirect(back)
    form = ConfirmForm(request.POST or None)
    context: dict[str, Any] = {"client": client, "client_id": client_id, "token": token, "form": form}
    context["back"] = back
    if request.method == "GET":
        return render_page(request, "tokens/revoke.html", context, partial="token-revoke")
    if not form.is_valid():
        _refused_input(request, AuditEntry.Action.TOKEN_REVOKE, client_id, form)
        return render_page(request, "tokens/revoke.html", context, partial="token-revoke", status=422)
    try:
        token_revoke(
            client_id=client_id,
            token=token,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            ip_address=client_ip(request),
        )
    except GcoreNotFound:
        messages.info(request, f"The token {token.name!r} was already revoked: nothing more to do.")
        return redirect(back)
    except UpstreamError as exc:
        form.add_error(None, _failure_text(exc, input_kept=True))
        status = form_status(request, change_failed(exc)[1])
        return render_page(request, "tokens/revoke.html", context, partial="token-revoke", status=status)
    messages.success(request, f"Revoked the API token {token.name!r}.")
    return redirect(back)


def _next(request: HtmxHttpRequest) -> str | None:
    """Where to go back to after a revocation (the removal it was needed for), if a local page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None
