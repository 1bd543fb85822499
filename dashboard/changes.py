"""One shape for every change view, after Wagtail's generic edit views
(`wagtail/admin/views/generic/models.py`: `get_form`, `form_valid`, `save_instance`,
`form_invalid`).

A change is a form, one service call and a template. `ChangeView` owns the rest, the same way for
every action: GET shows the form; POST binds it, and

- `form_invalid`: the form refused the input. The attempt is audited, the form is shown again
  with what was typed, 422; or 400 when the post holds what the page could not have sent
  (`PostForm.tampered`). Nothing is sent.
- `form_valid`: calls `save_instance` (the one service call). A result goes to
  `get_success_response`; an `UpstreamError` to `upstream_failed`, the one place a change's
  upstream failure becomes field errors and a status (`views/saving.py`'s `form_error_from`:
  Gcore's field errors on their fields, 422 for a refusal, 502/503/504 for a failure), with the
  form shown again and every typed value kept. A 404 from the upstream goes to `not_found`
  (the record is gone: by default the middleware's 404 page); one while a POST's page is read
  (`load`), before anything is sent, to `not_loaded` (by default the same).

`RecordChangeView` adds what an edit through the save pipeline shares (`run_save`: conflicts
shown before anything is sent, a partial save reported as such).

The permission, the fresh confirmation (`dashboard/mfa.py`) and GET/POST only are applied by
`as_view()`, from the class's attributes, so no action can forget them. An htmx request gets the
template's partial and, for a failure, 422 (htmx swaps only 2xx and 422, see base.html).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.views import View
from django.views.decorators.http import require_http_methods

from dashboard.http import HtmxHttpRequest, client_ip, render_page
from dashboard.mfa import fresh_identity_required
from dashboard.roles import perm
from dashboard.services.audit import Outcome, audit_refused_input
from dashboard.services.saves import SaveResult
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound
from dashboard.views.saving import form_error_from, form_status, partly_saved


class ChangeView(View, ABC):
    """A change: `form_class`, `save_instance` and `template_name`/`partial_name`."""

    permission: ClassVar[str]  # the codename a person needs (dashboard/roles.py)
    # A POST for which `fresh_identity(request)` is true needs a recent confirmation of who they are.
    fresh_identity: ClassVar[Callable[..., bool] | None] = None
    # A POST needs this codename too, when the page itself is open to more people (`permission`).
    post_permission: ClassVar[str | None] = None
    post_refusal: ClassVar[str] = "Your role does not allow this change."
    audit_action: ClassVar[str | None] = None  # the audit log's action for a refused input
    form_class: ClassVar[type[forms.Form]]
    template_name: ClassVar[str]
    partial_name: ClassVar[str]

    request: HtmxHttpRequest

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., HttpResponseBase]:
        view = super().as_view(**initkwargs)
        if cls.fresh_identity is not None:
            view = fresh_identity_required(when=cls.fresh_identity)(view)
        view = permission_required(perm(cls.permission), raise_exception=True)(view)
        return require_http_methods(["GET", "POST"])(view)

    # -- what an action supplies --------------------------------------------------------------------

    def load(self) -> None:
        """Read what the page is about (the client, the user, ...) into attributes. A 404 raised
        here is the page's answer."""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {}

    def get_initial_form(self) -> forms.Form | None:
        """The form as a GET shows it; None when the page has none on GET (it only shows what is
        there, or each row carries its own buttons)."""
        return self.form_class(**self.get_form_kwargs())

    def get_form(self) -> forms.Form:
        """The form bound to the POST."""
        return self.form_class(self.request.POST, **self.get_form_kwargs())

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return extra

    def audit_ids(self) -> dict[str, Any]:
        """The client (and user) a refused input is audited under."""
        return {"client_id": self.kwargs.get("client_id")}

    @abstractmethod
    def save_instance(self, form: Any) -> Any:
        """The one service call, with what the valid form holds; its result goes to
        `get_success_response`."""

    @abstractmethod
    def get_success_response(self, form: Any, result: Any) -> HttpResponse:
        """The page or region that follows a change that went through."""

    # -- the flow -------------------------------------------------------------------------------------

    def get(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        try:
            form = self.get_initial_form()
        except UpstreamNotFound as exc:  # the record the form opens on is gone
            return self.not_found(None, exc)
        return self.render_form(form)

    def post(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.may_post():
            raise PermissionDenied(self.post_refusal)
        try:
            self.load()
        except UpstreamNotFound as exc:  # gone before the form was read: nothing was sent
            return self.not_loaded(exc)
        form = self.get_form()
        if not self.accepts(form):
            return self.form_invalid(form)
        return self.form_valid(form)

    def may_post(self) -> bool:
        """Whether the person may make this change (the page may be open to more people)."""
        return self.post_permission is None or self.request.user.has_perm(perm(self.post_permission))

    def accepts(self, form: Any) -> bool:
        """Whether the form lets the change go ahead: by default, when it is valid."""
        return form.is_valid()

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            result = self.save_instance(form)
        except UpstreamNotFound as exc:
            return self.not_found(form, exc)
        except UpstreamError as exc:
            return self.upstream_failed(form, exc)
        return self.get_success_response(form, result)

    def form_invalid(self, form: Any) -> HttpResponse:
        """The dashboard refused the input: an attempt, so audited; the form again, as typed."""
        if self.audit_action is not None:
            audit_refused_input(
                action=self.audit_action, actor=self.request.user, errors=form.errors,
                ip_address=client_ip(self.request), **self.audit_ids(),
            )  # fmt: skip
        return self.render_form(form, status=400 if getattr(form, "tampered", False) else 422)

    def upstream_failed(self, form: Any, exc: UpstreamError) -> HttpResponse:
        """The upstream refused or failed the change: said on the form, every typed value kept."""
        return self.render_form(form, status=self.show_failure(form, exc))

    def show_failure(self, form: Any, exc: UpstreamError) -> int:
        """Put the upstream's refusal or failure on the form; the status to answer with."""
        return form_error_from(form, exc)

    def not_loaded(self, exc: UpstreamNotFound) -> HttpResponse:
        """What the page is about went away before a POST's form was read (nothing was sent): the
        404 page, unless the action says what that means for it."""
        raise exc

    def not_found(self, form: Any, exc: UpstreamNotFound) -> HttpResponse:
        """The record went away while the change was sent: the 404 page, unless the action says
        what that means for it."""
        raise exc

    def render_form(self, form: Any, *, status: int = 200) -> HttpResponse:
        context = self.get_context_data(form=form)
        return render_page(
            self.request,
            self.template_name,
            context,
            partial=self.partial_name,
            status=form_status(self.request, status),
        )


class RecordChangeView(ChangeView):
    """An edit of an upstream record through the save pipeline (`run_save`): `save_record` is the
    service function, called with what the form was opened with and what it holds now.

    A conflict (the record changed upstream since the form was opened) shows the form again with
    both versions, 422; a save of which only part went through says so (`partly_saved`) and
    answers 502; `reread` may say what the record holds after a write that may or may not have
    been applied.
    """

    conflicts: list[Any]

    @abstractmethod
    def save_record(self, form: Any, **values: Any) -> SaveResult:
        """The service's save, called with the values `save_instance` gathers."""

    def save_instance(self, form: Any) -> SaveResult | None:
        """The save report of `save_record`; None where an action also makes a change with no
        report (availability's reset), which its `get_success_response` answers."""
        return self.save_record(
            form,
            original=form.cleaned_data["original"],
            desired=form.desired(),
            actor=self.request.user,
            overwrite=form.cleaned_data["overwrite"],
            ip_address=client_ip(self.request),
        )

    reread_failed: ClassVar[str] = (
        "Reading it again failed too: reload the page in a moment to see what it holds now."
    )

    def reread(self) -> str | None:
        """After a write that may or may not have been applied: what the record holds now (read
        again, never sent again), or None to say nothing."""
        return None

    def show_failure(self, form: Any, exc: UpstreamError) -> int:
        status = super().show_failure(form, exc)
        if exc.maybe_applied:
            try:
                now = self.reread()
            except UpstreamError:
                now = self.reread_failed
            if now:
                form.add_error(None, now)
        return status

    def get_success_response(self, form: Any, result: SaveResult) -> HttpResponse:
        if result.outcome == Outcome.CONFLICT:
            self.conflicts = result.conflicts
            return self.render_form(form, status=422)
        if result.outcome == Outcome.PARTIAL:
            form.add_error(None, partly_saved(result))
            return self.partly_saved(form, result)
        return self.saved(result)

    def partly_saved(self, form: Any, result: SaveResult) -> HttpResponse:
        return self.render_form(form, status=502)

    @abstractmethod
    def saved(self, result: SaveResult) -> HttpResponse:
        """Saved, or nothing to change: the page or region that follows."""

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(conflicts=getattr(self, "conflicts", []), **extra)
