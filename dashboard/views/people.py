"""A client's people and keys: invite, remove, resend an invitation, send a password reset, and the
client's API tokens with their revocation. Each action has a confirmation page (GET) and the action
(POST); with htmx the forms open inside the client page. Each is a form, one service call and a
template (dashboard/changes.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django_htmx.http import trigger_client_event

from dashboard.changes import ChangeView
from dashboard.forms.people import InviteForm, TokenFilterForm
from dashboard.forms.saving import ConfirmForm, PostForm
from dashboard.http import HtmxHttpRequest, client_ip, notify, read_or_failure, render_page
from dashboard.mfa import said_yes
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.clients import client_get
from dashboard.services.people import (
    client_user_invitation_resend,
    client_user_invite,
    client_user_password_reset,
    client_user_remove,
    token_get_or_none,
    token_revoke,
    tokens_get,
    user_tokens_get,
)
from dashboard.services.users import client_user_get
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound, UpstreamValidationError
from dashboard.views.saving import change_failed, refusal_on_form


def _users_page(client_id: int) -> str:
    return f"{reverse('client-detail', args=[client_id])}#client-users"


def _done(request: HtmxHttpRequest, client_id: int, message: str) -> HttpResponse:
    """After an action: the client page (without JavaScript), or the editor closed, the users and the
    history refreshed and the message shown (htmx)."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(_users_page(client_id))
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


# -- inviting ---------------------------------------------------------------------------------------


class InviteView(ChangeView):
    """POST /iam/clients/invite_user: who, with which role, in which language."""

    permission = "invite_client_users"
    audit_action = AuditEntry.Action.USER_INVITE
    form_class = InviteForm
    template_name, partial_name = "users/invite.html", "user-editor"

    def load(self) -> None:
        self.client = client_get(client_id=self.kwargs["client_id"]).value

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(client=self.client, client_id=self.client.id, **extra)

    def save_instance(self, form: InviteForm) -> Any:
        data = form.cleaned_data
        return client_user_invite(
            client_id=self.client.id,
            email=data["email"],
            role_id=data["role"],
            lang=data["lang"],
            name=data["name"] or None,
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def show_failure(self, form: InviteForm, exc: UpstreamError) -> int:
        return refusal_on_form(form, exc)

    def get_success_response(self, form: InviteForm, result: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        return _done(self.request, self.client.id, f"Invited {email}: Gcore e-mails them a link to join.")


# -- removing, resending, resetting ----------------------------------------------------------------


class UserActionView(ChangeView):
    """An action on one of the client's users, confirmed on its own page (users/action.html)."""

    template_name, partial_name = "users/action.html", "user-editor"
    action = ""  # remove, resend or reset: which page users/action.html shows
    not_found_text = ""  # what Gcore's 404 means for this action

    def load(self) -> None:
        self.client, self.user = client_user_get(
            client_id=self.kwargs["client_id"], user_id=self.kwargs["user_id"]
        )

    def audit_ids(self) -> dict[str, Any]:
        return {"client_id": self.client.id, "user_id": self.user.id}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = {"client": self.client, "client_id": self.client.id, "user_obj": self.user}
        return super().get_context_data(action=self.action, **context, **extra)

    def show_failure(self, form: PostForm, exc: UpstreamError) -> int:
        not_found = self.not_found_text.format(email=self.user.email)
        form.add_error(None, _failure_text(exc, not_found=not_found, input_kept=bool(form.fields)))
        return 422

    def not_found(self, form: PostForm, exc: UpstreamNotFound) -> HttpResponse:
        return self.upstream_failed(form, exc)


class UserRemoveView(UserActionView):
    """Take the user's access to this client away, with a reason."""

    permission = "remove_client_users"
    fresh_identity = staticmethod(said_yes)
    audit_action = AuditEntry.Action.USER_REMOVE
    form_class = ConfirmForm
    action = "remove"
    not_found_text = "Gcore no longer has {email} in this client: nothing to remove."

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        # What would keep Gcore from removing them, shown to those who may see tokens; read again
        # after a refusal, which may be about tokens made meanwhile.
        if self.request.user.has_perm(perm("view_client_tokens")):
            context["tokens"] = user_tokens_get(client_id=self.client.id, user_id=self.user.id)
        return context

    def save_instance(self, form: ConfirmForm) -> None:
        client_user_remove(
            client_id=self.client.id,
            user=self.user,
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def get_success_response(self, form: ConfirmForm, result: None) -> HttpResponse:
        message = f"Removed {self.user.email}'s access to {self.client.company_name}."
        return _done(self.request, self.client.id, message)


class UserEmailView(UserActionView):
    """Gcore e-mails the user: the invitation again, or a password reset link. Nothing to type:
    the form is the button."""

    permission = "email_client_users"
    form_class = PostForm
    not_found_text = "Gcore knows no user with the e-mail {email} (any more): nothing was sent."

    def save_instance(self, form: PostForm) -> None:
        send = client_user_invitation_resend if self.action == "resend" else client_user_password_reset
        send(
            client_id=self.client.id,
            user=self.user,
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        form = context.get("form")
        if form is not None and form.errors:
            context["error"] = " ".join(form.non_field_errors())
        return context

    def get_success_response(self, form: PostForm, result: None) -> HttpResponse:
        if self.action == "resend":
            return _done(
                self.request, self.client.id, f"Gcore sent the invitation to {self.user.email} again."
            )
        return _done(
            self.request, self.client.id, f"Gcore e-mailed {self.user.email} a link to choose a new password."
        )


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
    tokens, failure = read_or_failure(
        lambda: tokens_get(client_id=client_id, show_deleted=show_deleted, owner=owner)
    )
    context["tokens"] = tokens or []
    if failure is not None:
        context["error"] = failure.headline
    return render_page(request, "tokens/list.html", context, partial="client-tokens")


class _TokenGone(Exception):
    """A POST's token is no longer live (revoked meanwhile): there is nothing to send."""


class TokenRevokeView(ChangeView):
    """A confirmation naming the token and its owner, with a reason; then the token is revoked."""

    permission = "revoke_client_tokens"
    fresh_identity = staticmethod(said_yes)
    audit_action = AuditEntry.Action.TOKEN_REVOKE
    form_class = ConfirmForm
    template_name, partial_name = "tokens/revoke.html", "token-revoke"

    def load(self) -> None:
        client_id = self.kwargs["client_id"]
        self.client = client_get(client_id=client_id).value
        self.back = _next(self.request) or reverse("client-tokens", args=[client_id])
        token = token_get_or_none(client_id=client_id, token_id=self.kwargs["token_id"])
        if token is None:
            if self.request.method == "GET":
                raise Http404("The client has no such API token, or it is already revoked.")
            raise _TokenGone
        self.token = token

    def post(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except _TokenGone:  # raised by load(), before the form is read: nothing was sent
            messages.info(request, "That API token was already revoked: nothing was sent.")
            return redirect(self.back)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = {"client": self.client, "client_id": self.client.id, "token": self.token, "back": self.back}
        return super().get_context_data(**context, **extra)

    def save_instance(self, form: ConfirmForm) -> None:
        token_revoke(
            client_id=self.client.id,
            token=self.token,
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def show_failure(self, form: ConfirmForm, exc: UpstreamError) -> int:
        form.add_error(None, _failure_text(exc, input_kept=True))
        return change_failed(exc)[1]

    def not_found(self, form: ConfirmForm, exc: UpstreamNotFound) -> HttpResponse:
        messages.info(self.request, f"The token {self.token.name!r} was already revoked: nothing more to do.")
        return redirect(self.back)

    def get_success_response(self, form: ConfirmForm, result: None) -> HttpResponse:
        messages.success(self.request, f"Revoked the API token {self.token.name!r}.")
        return redirect(self.back)


def _next(request: HtmxHttpRequest) -> str | None:
    """Where to go back to after a revocation (the removal it was needed for), if a local page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


invite_view = InviteView.as_view()
user_remove_view = UserRemoveView.as_view()
user_resend_view = UserEmailView.as_view(action="resend")
user_reset_view = UserEmailView.as_view(action="reset")
token_revoke_view = TokenRevokeView.as_view()
