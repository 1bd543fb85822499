"""Client and user edit forms: HTMX partials inside the detail page, full pages without JavaScript."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import trigger_client_event

from dashboard.changes import RecordChangeView
from dashboard.forms.edits import ClientEditForm, RevertibleEditForm, UserEditForm
from dashboard.forms.saving import an_id
from dashboard.http import notify, render_page
from dashboard.mfa import moves_client
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.audit import Outcome
from dashboard.services.clients import client_get, client_update, client_values
from dashboard.services.revert import RevertPlan, RevertRefused, revert_plan
from dashboard.services.saves import SaveResult
from dashboard.services.users import client_user_get, user_update, user_values
from dashboard.views.saving import saved_message

F = TypeVar("F", bound=RevertibleEditForm)


class RevertibleEditView(RecordChangeView):
    """Opening an edit form to revert an audit entry (`?revert=<entry id>`, from the timeline), and
    checking on POST that the entry named is one this form may revert (services/revert.py)."""

    def revert_from(self, form: F, current: dict[str, Any]) -> F:
        entry_id = self.request.GET.get("revert", "")
        if not entry_id:
            return form
        try:
            plan = self._plan(int(entry_id) if an_id(entry_id) else 0)
        except RevertRefused as exc:
            raise Http404(str(exc)) from exc
        form.revert(entry_id=plan.entry.pk, undo=dict(plan.undo), opened_with=plan.opened_with(current))
        self.reverting = plan.entry
        # Said before anything is sent; the save shows them again as conflicts.
        self.changed_since = [name for name, value in plan.done.items() if current.get(name) != value]
        return form

    def revert_accepted(self, form: RevertibleEditForm) -> bool:
        entry_id = form.cleaned_data.get("reverts")
        if entry_id is None:
            return True
        try:
            self.reverting = self._plan(entry_id).entry
        except RevertRefused as exc:
            form.add_error(None, str(exc))
            return False
        return True

    def _plan(self, entry_id: int) -> RevertPlan:
        return revert_plan(
            entry_id=entry_id, client_id=self.kwargs["client_id"], user_id=self.kwargs.get("user_id")
        )

    def revert_context(self) -> dict[str, Any]:
        return {
            "reverting": getattr(self, "reverting", None),
            "changed_since": getattr(self, "changed_since", []),
        }


class ClientEditView(RevertibleEditView):
    """PATCH /iam/clients/{id}: the client's own fields (reseller and seller for administrators)."""

    permission = "change_clients"
    fresh_identity = staticmethod(moves_client)
    audit_action = AuditEntry.Action.CLIENT_UPDATE
    form_class = ClientEditForm
    template_name, partial_name = "clients/edit.html", "client-edit"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"can_reassign": self.request.user.has_perm(perm("reassign_clients"))}

    def get_initial_form(self) -> ClientEditForm:
        self.client = client_get(
            client_id=self.kwargs["client_id"], fresh=True
        ).value  # Gcore's current values
        current = client_values(self.client)
        form = ClientEditForm(current=current, **self.get_form_kwargs())
        return self.revert_from(form, current)

    def accepts(self, form: ClientEditForm) -> bool:
        return super().accepts(form) and self.revert_accepted(form)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(
            client_id=self.kwargs["client_id"], **self.revert_context(), **extra
        )
        if hasattr(self, "client"):
            context["client"] = self.client
        return context

    def save_record(self, form: ClientEditForm, **values: Any) -> SaveResult:
        reverts = form.cleaned_data.get("reverts")
        return client_update(client_id=self.kwargs["client_id"], reverts=reverts, **values)

    def saved(self, result: SaveResult) -> HttpResponse:
        client_id = self.kwargs["client_id"]
        message = saved_message(result, "Client")
        if not self.request.htmx:
            messages.success(self.request, message)
            return redirect("client-detail", client_id=client_id)
        client = result.record or client_get(client_id=client_id, fresh=True).value
        context = {"client": client, "client_id": client_id, "swap_crumb": True}
        response = render_page(self.request, "clients/detail.html", context, partial="client-summary")
        if result.outcome != Outcome.UNCHANGED:
            trigger_client_event(
                response, "client-updated", {"id": client_id}
            )  # the history; users did not change
        return notify(response, message, "success" if result.outcome != Outcome.UNCHANGED else "info")


class UserEditView(RevertibleEditView):
    """PATCH /iam/users/{id} for the profile, PUT client-users for the role."""

    permission = "change_client_users"
    audit_action = AuditEntry.Action.USER_UPDATE
    form_class = UserEditForm
    template_name, partial_name = "users/edit.html", "user-editor"

    def load(self) -> None:
        # 404 if the user is not this client's
        self.client, self.user = client_user_get(
            client_id=self.kwargs["client_id"], user_id=self.kwargs["user_id"]
        )

    def get_initial_form(self) -> UserEditForm:
        current = user_values(self.user)
        return self.revert_from(UserEditForm(current=current), current)

    def accepts(self, form: UserEditForm) -> bool:
        return super().accepts(form) and self.revert_accepted(form)

    def audit_ids(self) -> dict[str, Any]:
        return {"client_id": self.kwargs["client_id"], "user_id": self.kwargs["user_id"]}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = {"client": self.client, "user_obj": self.user, "client_id": self.kwargs["client_id"]}
        return super().get_context_data(**context, **self.revert_context(), **extra)

    def save_record(self, form: UserEditForm, **values: Any) -> SaveResult:
        ids = {"client_id": self.kwargs["client_id"], "user_id": self.kwargs["user_id"]}
        return user_update(**ids, reverts=form.cleaned_data.get("reverts"), **values)

    def partly_saved(self, form: UserEditForm, result: SaveResult) -> HttpResponse:
        return _users_changed(super().partly_saved(form, result), self.kwargs["client_id"])

    def saved(self, result: SaveResult) -> HttpResponse:
        client_id = self.kwargs["client_id"]
        message = saved_message(result, "User")
        if not self.request.htmx:
            messages.success(self.request, message)
            return redirect(f"{reverse('client-detail', args=[client_id])}#client-users")
        closed = {"closed": True, "client_id": client_id}
        response = render_page(self.request, "users/edit.html", closed, partial="user-editor")
        if result.outcome != Outcome.UNCHANGED:
            _users_changed(response, client_id)
        return notify(response, message, "success" if result.outcome != Outcome.UNCHANGED else "info")


def _users_changed(response: HttpResponse, client_id: int) -> HttpResponse:
    """The users table (one Gcore read) and the history (the database) refresh themselves."""
    trigger_client_event(response, "users-updated", {"id": client_id})
    return trigger_client_event(response, "client-updated", {"id": client_id})


client_edit_view = ClientEditView.as_view()
user_edit_view = UserEditView.as_view()
