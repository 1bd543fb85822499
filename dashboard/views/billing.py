"""The billing link (SPP): the client page's panel, linking, editing, syncing, and the drift list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import retarget, trigger_client_event

from dashboard.changes import ChangeView, RecordChangeView
from dashboard.forms.billing import BillingEditForm, BillingSyncForm, LinkForm
from dashboard.http import HtmxHttpRequest, client_ip, notify, read_or_failure, render_page, upstream_failure
from dashboard.mfa import changes_balance
from dashboard.models import AuditEntry, BillingLink, DriftEntry
from dashboard.roles import perm
from dashboard.services.audit import Outcome
from dashboard.services.billing import (
    BillingLinkError,
    billing_connected,
    billing_link,
    billing_records_find,
    billing_records_get,
    billing_state,
    billing_sync,
    billing_unlink,
    billing_update,
    linked_spp_id,
    shared_values,
    spp_record_get,
    spp_values,
    status_name,
    sync_values,
)
from dashboard.services.clients import client_get
from dashboard.services.drift import drift_latest, drift_queued, drift_running, drift_start
from dashboard.services.saves import SaveResult
from dashboard.spp import spp_mode
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound
from dashboard.views.saving import saved_message

PANEL = "billing/panel.html"


def _connected_or_404(request: HtmxHttpRequest) -> bool:
    """Whether SPP is connected; when it is not, administrators are told and everyone else sees nothing."""
    if billing_connected():
        return True
    if request.user.is_superuser:
        return False
    raise Http404("The billing features are off.")


def _not_connected(request: HtmxHttpRequest, client_id: int | None = None) -> HttpResponse:
    return render_page(
        request, PANEL, {"client_id": client_id, "not_connected": True}, partial="billing-panel"
    )


def _panel(
    request: HtmxHttpRequest,
    client_id: int,
    *,
    status: int = 200,
    link_form: LinkForm | None = None,
    problem: str = "",
) -> HttpResponse:
    """The panel for one client, as SPP and the link stand now.

    Either system failing is said in the panel, which shows what the other one gave: with Gcore
    down, a linked client's SPP record still shows (without the comparison).
    """
    context: dict[str, object] = {}
    client, context["gcore_failure"] = read_or_failure(lambda: client_get(client_id=client_id).value)
    context |= {
        "client": client,
        "client_id": client_id,
        "sandbox": spp_mode() == "sandbox",
        "link_form": link_form or LinkForm(),
        "problem": problem,
    }
    state, failure = read_or_failure(
        lambda: billing_state(
            client_id=client_id, client=client, actor=request.user, ip_address=client_ip(request)
        ),
        missing_fails=True,
    )
    if failure is not None:
        context["failure"] = failure
        context["request_id"] = failure.request_id
        # htmx swaps only 2xx and 422: the panel says it in place; a whole page keeps the status.
        status = 200 if request.htmx else failure.status
    elif state is not None:  # always, once the read did not fail: it has its value
        context["state"] = state
        if state.record is not None:
            context["status_label"] = status_name(state.record.status)
    return render_page(request, PANEL, context, partial="billing-panel", status=status)


@require_http_methods(["GET", "POST"])
@permission_required(perm("view_billing"), raise_exception=True)
def billing_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    if not _connected_or_404(request):
        return _not_connected(request, client_id)
    if request.method == "GET":
        return _panel(request, client_id)
    if not request.user.has_perm(perm("change_billing")):
        raise PermissionDenied("Your role may look at billing records but not link or unlink them.")
    action = request.POST.get("action", "")
    if action == "unlink":
        spp_id = billing_unlink(client_id=client_id, actor=request.user, ip_address=client_ip(request))
        text = f"Unlinked from SPP client {spp_id}." if spp_id else "This client was not linked."
        return _after_link_change(request, client_id, text)
    if action not in ("link", "pick"):
        return _panel(request, client_id, status=422, problem="Choose link, pick or unlink.")
    form = LinkForm(request.POST)
    if form.is_valid():
        method = BillingLink.Method.PICKED if action == "pick" else BillingLink.Method.ID
        try:
            billing_link(
                client_id=client_id,
                spp_id=form.cleaned_data["spp_id"],
                method=method,
                actor=request.user,
                ip_address=client_ip(request),
            )
        except BillingLinkError as exc:
            form.add_error("spp_id", str(exc))
        else:
            return _after_link_change(
                request, client_id, f"Linked to SPP client {form.cleaned_data['spp_id']}."
            )
    return _panel(request, client_id, link_form=form, status=422)


def _after_link_change(request: HtmxHttpRequest, client_id: int, text: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, text)
        return redirect(f"{reverse('client-detail', args=[client_id])}#billing-panel")
    response = _panel(request, client_id)
    trigger_client_event(response, "client-updated", {"id": client_id})  # the history lists it
    return notify(response, text)


def _linked_or_404(client_id: int) -> int:
    spp_id = linked_spp_id(client_id)
    if spp_id is None:
        raise Http404("This client is not linked to an SPP client.")
    return spp_id


class LinkedChangeView(ChangeView):
    """A change to a linked client's SPP side: only while SPP is connected and the client linked.
    If a record is gone (deleted in its system), the panel says so and offers to unlink."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # `self.request` is this request (set by setup()), typed as the dashboard's own pages are.
        if not _connected_or_404(self.request):
            return _not_connected(self.request, kwargs["client_id"])
        self.spp_id = _linked_or_404(kwargs["client_id"])
        return super().dispatch(request, *args, **kwargs)

    def not_found(self, form: Any, exc: UpstreamNotFound) -> HttpResponse:
        return _panel(self.request, self.kwargs["client_id"])

    def done(self, message: str, *, changed: bool, level: str | None = None) -> HttpResponse:
        """Back to the panel: the client page (without JavaScript), or the panel in place."""
        client_id = self.kwargs["client_id"]
        if not self.request.htmx:
            messages.success(self.request, message)
            return redirect(f"{reverse('client-detail', args=[client_id])}#billing-panel")
        response = _panel(self.request, client_id)
        if changed:
            trigger_client_event(response, "client-updated", {"id": client_id})
        return notify(response, message, level or ("success" if changed else "info"))


class BillingEditView(LinkedChangeView, RecordChangeView):
    """PUT /api/clients/{user}: the SPP client's contact fields, and (administrators) its account."""

    permission = "change_billing"
    fresh_identity = staticmethod(changes_balance)
    audit_action = AuditEntry.Action.BILLING_UPDATE
    form_class = BillingEditForm
    template_name, partial_name = "billing/edit.html", "billing-edit"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            "can_change_account": self.request.user.has_perm(perm("change_billing_account")),
            "status_names": settings.SPP_STATUS_NAMES,
        }

    def get_initial_form(self) -> BillingEditForm:
        record = spp_record_get(self.spp_id)  # a form opens on SPP's current values
        return BillingEditForm(current=spp_values(record), **self.get_form_kwargs())

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(client_id=self.kwargs["client_id"], spp_id=self.spp_id, **extra)

    def save_record(self, form: BillingEditForm, **values: Any) -> SaveResult:
        return billing_update(client_id=self.kwargs["client_id"], spp_id=self.spp_id, **values)

    def saved(self, result: SaveResult) -> HttpResponse:
        message = saved_message(result, "SPP client", system="SPP")
        return self.done(message, changed=result.outcome != Outcome.UNCHANGED)


class BillingSyncView(LinkedChangeView):
    """For each field both systems hold: leave it, or copy one system's value to the other."""

    permission = "change_billing"
    audit_action = AuditEntry.Action.BILLING_SYNC
    form_class = BillingSyncForm
    template_name, partial_name = "billing/sync.html", "billing-sync"

    def load(self) -> None:
        self.context: dict[str, Any] = {"conflicts": []}

    def read_records(self) -> bool:
        """Both sides as they are now, into the page's context; False when either is gone."""
        records = billing_records_find(client_id=self.kwargs["client_id"], spp_id=self.spp_id)
        if records is not None:
            self.with_records(*records)
        return records is not None

    def with_records(self, client: Any, record: Any) -> dict[str, Any]:
        """Puts both sides of the link in the page's context; returns the form's values."""
        current = sync_values(client, record)
        self.context |= {"client": client, "record": record, "current": current}
        return current

    def get(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        if not self.read_records():
            return _panel(request, self.kwargs["client_id"])
        return self.render_form(BillingSyncForm(current=self.context["current"]))

    def form_invalid(self, form: BillingSyncForm) -> HttpResponse:
        # The form again, as posted, beside what both systems hold now.
        if not self.read_records():
            return _panel(self.request, self.kwargs["client_id"])
        return super().form_invalid(form)

    def save_instance(self, form: BillingSyncForm) -> SaveResult:
        # The save reads both records itself (what each holds now is what it compares against).
        return billing_sync(
            client_id=self.kwargs["client_id"],
            spp_id=self.spp_id,
            original=form.cleaned_data["original"],
            choices=form.choices(),
            actor=self.request.user,
            overwrite=form.cleaned_data["overwrite"],
            ip_address=client_ip(self.request),
        )

    def upstream_failed(self, form: BillingSyncForm, exc: UpstreamError) -> HttpResponse:
        # Reading either record failed: nothing was sent.
        failure = upstream_failure(exc)
        form.add_error(None, f"Nothing was sent. {failure.headline} {failure.advice}")
        if not self.read_records():
            return _panel(self.request, self.kwargs["client_id"])
        return self.render_form(form, status=failure.status)

    def get_success_response(self, form: BillingSyncForm, result: SaveResult) -> HttpResponse:
        if result.outcome in (Outcome.SAVED, Outcome.UNCHANGED):
            saved = result.outcome == Outcome.SAVED
            text = (
                "Synced: Gcore and SPP now hold the same values."
                if saved
                else "Nothing to copy: both already agree."
            )
            return self.done(text, changed=True, level="success" if saved else "info")
        self.context["result"] = result
        self.with_records(*result.record)  # as the save read them
        if result.outcome == Outcome.CONFLICT:
            self.context["conflicts"] = result.conflicts
            return self.render_form(form, status=422)
        # One system took its changes and the other did not, or neither did.
        return self.render_form(self.after_partial_sync() or form, status=502)

    def after_partial_sync(self) -> BillingSyncForm | None:
        """After a sync only part of which went through: a new form on what both systems hold now.

        If either system cannot be read again, the outcomes still show, over the values read before
        the sync, and the page says that they may be out of date.
        """
        records, _failure = read_or_failure(
            lambda: billing_records_get(client_id=self.kwargs["client_id"], spp_id=self.spp_id),
            missing_fails=True,
        )
        if records is None:  # the read failed (a read that did not fail has its value)
            self.context["stale_values"] = True
            return None
        return BillingSyncForm(current=self.with_records(*records))

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        form = extra["form"]
        values = shared_values(self.context["client"], self.context["record"])
        rows = [{"value": value, "field": form[value.key]} for value in values]
        context = {"client_id": self.kwargs["client_id"], "spp_id": self.spp_id, **self.context}
        return super().get_context_data(rows=rows, **context, **extra)


billing_edit_view = BillingEditView.as_view()
billing_sync_view = BillingSyncView.as_view()


DRIFT_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@permission_required(perm("view_billing"), raise_exception=True)
def drift_view(request: HtmxHttpRequest) -> HttpResponse:
    if not _connected_or_404(request):
        return render_page(request, "billing/drift.html", {"not_connected": True}, partial="drift-body")
    if request.method == "POST":
        if not request.user.has_perm(perm("rebuild_billing_drift")):
            raise PermissionDenied("Only administrators can rebuild the drift list.")
        drift_start(actor=request.user)
        if not request.htmx:
            messages.info(request, "Rebuilding the drift list on a worker: the page shows its progress.")
            return redirect("billing-drift")
    latest = drift_latest()
    entries: QuerySet[DriftEntry] | list[DriftEntry] = latest.entries.all() if latest is not None else []
    page = Paginator(entries, DRIFT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "latest": latest,
        "running": drift_running(),
        "queued": drift_queued(),
        "page": page,
        "sandbox": spp_mode() == "sandbox",
    }
    if request.htmx and request.htmx.target == "drift-progress":
        if context["running"] is not None or context["queued"] or request.method == "POST":
            return render_page(request, "billing/drift.html", context, partial="drift-progress")
        # The build the page was following is over: the whole list, with its new entries.
        response = render_page(request, "billing/drift.html", context, partial="drift-body")
        return retarget(response, "#drift-body")
    return render_page(request, "billing/drift.html", context, partial="drift-body")
