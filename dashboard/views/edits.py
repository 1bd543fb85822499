"""Client and user edit forms: HTMX partials inside the detail page, full pages without JavaScript."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from dashboard.forms.edits import ClientEditForm, UserEditForm
from dashboard.http import HtmxHttpRequest, notify, render_page
from dashboard.mfa import fresh_identity_required, moves_client
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.audit import Outcome
from dashboard.services.clients import client_get, client_update, client_values
from dashboard.services.saves import SaveResult
from dashboard.services.users import client_user_get, user_update, user_values
from dashboard.views.saving import form_status, partly_saved, save_form, saved_message


@require_http_methods(["GET", "POST"])
@permission_required(perm("change_clients"), raise_exception=True)
@fresh_identity_required(when=moves_client)
def client_edit_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    can_reassign = request.user.has_perm(perm("reassign_clients"))
    context = {"client_id": client_id, "conflicts": []}
    if request.method == "GET":
        client = client_get(client_id=client_id, fresh=True).value  # a form opens on Gcore's current values
        form = ClientEditForm(current=client_values(client), can_reassign=can_reassign)
        return render_page(
            request, "clients/edit.html", context | {"form": form, "client": client}, partial="client-edit"
        )

    form = ClientEditForm(request.POST, can_reassign=can_reassign)
    result, status = save_form(
        request,
        form,
        action=AuditEntry.Action.CLIENT_UPDATE,
        client_id=client_id,
        save=partial(client_update, client_id=client_id),
    )
    if result is not None and result.outcome != Outcome.CONFLICT:
        return _client_saved(request, client_id, result)
    context["conflicts"] = result.conflicts if result else []
    return render_page(
        request,
        "clients/edit.html",
        context | {"form": form},
        partial="client-edit",
        status=form_status(request, status),
    )


def _client_saved(request: HtmxHttpRequest, client_id: int, result: SaveResult) -> HttpResponse:
    message = saved_message(result, "Client")
    if not request.htmx:
        messages.success(request, message)
        return redirect("client-detail", client_id=client_id)
    client = result.record or client_get(client_id=client_id, fresh=True).value
    context = {"client": client, "client_id": client_id, "swap_crumb": True}
    response = render_page(request, "clients/detail.html", context, partial="client-summary")
    if result.outcome != Outcome.UNCHANGED:
        trigger_client_event(
            response, "client-updated", {"id": client_id}
        )  # the history; users did not change
    return notify(response, message, "success" if result.outcome != Outcome.UNCHANGED else "info")


@require_http_methods(["GET", "POST"])
@permission_required(perm("change_client_users"), raise_exception=True)
def user_edit_view(request: HtmxHttpRequest, client_id: int, user_id: int) -> HttpResponse:
    client, user = client_user_get(client_id=client_id, user_id=user_id)  # 404 if not this client's user
    context = {"client": client, "user_obj": user, "conflicts": [], "client_id": client_id}
    if request.method == "GET":
        form = UserEditForm(current=user_values(user))
        return render_page(request, "users/edit.html", context | {"form": form}, partial="user-editor")

    form = UserEditForm(request.POST)
    save = partial(user_update, client_id=client_id, user_id=user_id)
    result, status = save_form(
        request, form, action=AuditEntry.Action.USER_UPDATE, client_id=client_id, user_id=user_id, save=save
    )
    if result is not None and result.outcome == Outcome.PARTIAL:
        form.add_error(None, partly_saved(result))
        response = render_page(
            request,
            "users/edit.html",
            context | {"form": form},
            partial="user-editor",
            status=form_status(request, 502),
        )
        return _users_changed(response, client_id)
    if result is not None and result.outcome != Outcome.CONFLICT:
        return _user_saved(request, client_id, result)
    context["conflicts"] = result.conflicts if result else []
    return render_page(
        request,
        "users/edit.html",
        context | {"form": form},
        partial="user-editor",
        status=form_status(request, status),
    )


def _user_saved(request: HtmxHttpRequest, client_id: int, result: SaveResult) -> HttpResponse:
    message = saved_message(result, "User")
    if not request.htmx:
        messages.success(request, message)
        return redirect(f"{reverse('client-detail', args=[client_id])}#client-users")
    response = render_page(
        request, "users/edit.html", {"closed": True, "client_id": client_id}, partial="user-editor"
    )
    if result.outcome != Outcome.UNCHANGED:
        _users_changed(response, client_id)
    return notify(response, message, "success" if result.outcome != Outcome.UNCHANGED else "info")


def _users_changed(response: HttpResponse, client_id: int) -> HttpResponse:
    """The users table (one Gcore read) and the history (the database) refresh themselves."""
    trigger_client_event(response, "users-updated", {"id": client_id})
    return trigger_client_event(response, "client-updated", {"id": client_id})
