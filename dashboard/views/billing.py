"""The billing link (SPP): the client page's panel, linking, editing, syncing, and the drift list."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import retarget, trigger_client_event

from dashboard.forms import BillingEditForm, BillingSyncForm, LinkForm
from dashboard.http import HtmxHttpRequest, client_ip, notify, render_page, upstream_failure
from dashboard.mfa import changes_balance, fresh_identity_required
from dashboard.models import AuditEntry, BillingLink
from dashboard.roles import perm
from dashboard.services.audit import Outcome, audit_refused_input
from dashboard.services.billing import (
    BillingLinkError,
    billing_connected,
    billing_state,
    billing_sync,
    billing_update,
    link_clients,
    linked_spp_id,
    shared_values,
    spp_record_get,
    spp_values,
    status_name,
    sync_records,
    sync_values,
    unlink_clients,
)
from dashboard.services.clients import client_get
from dashboard.services.drift import drift_latest, drift_queued, drift_running, drift_start
from dashboard.spp import spp_mode
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound
from dashboard.views.saving import form_status, save_form, saved_message

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
    try:
        client = client_get(client_id=client_id).value  # Gcore's side (cached briefly)
    except UpstreamNotFound:
        raise
    except UpstreamError as exc:
        client, context["gcore_failure"] = None, upstream_failure(exc)
    context |= {
        "client": client,
        "client_id": client_id,
        "sandbox": spp_mode() == "sandbox",
        "link_form": link_form or LinkForm(),
        "problem": problem,
    }
    try:
        state = billing_state(
            client_id=client_id, client=client, actor=request.user, ip_address=client_ip(request)
        )
    except UpstreamError as exc:
        failure = upstream_failure(exc)
        context["failure"] = failure
        context["request_id"] = exc.request_id
        # htmx swaps only 2xx and 422: the panel says it in place; a whole page keeps the status.
        status = 200 if request.htmx else failure.status
    else:
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
        spp_id = unlink_clients(client_id=client_id, actor=request.user, ip_address=client_ip(request))
        text = f"Unlinked from SPP client {spp_id}." if spp_id else "This client was not linked."
        return _after_link_change(request, client_id, text)
    if action not in ("link", "pick"):
        return _panel(request, client_id, status=422, problem="Choose link, pick or unlink.")
    form = LinkForm(request.POST)
    if form.is_valid():
        method = BillingLink.Method.PICKED if action == "pick" else BillingLink.Method.ID
        try:
            link_clients(
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


@require_http_methods(["GET", "POST"])
@permission_required(perm("change_billing"), raise_exception=True)
@fresh_identity_required(when=changes_balance)
def billing_edit_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    if not _connected_or_404(request):
        return _not_connected(request, client_id)
    spp_id = _linked_or_404(client_id)
    options = {
        "can_change_account": request.user.has_perm(perm("change_billing_account")),
        "status_names": settings.SPP_STATUS_NAMES,
    }
    context = {"client_id": client_id, "spp_id": spp_id, "conflicts": []}
    try:
        if request.method == "GET":
            record = spp_record_get(spp_id)  # a form opens on SPP's current values
            form = BillingEditForm(current=spp_values(record), **options)
            return render_page(request, "billing/edit.html", context | {"form": form}, partial="billing-edit")
        form = BillingEditForm(request.POST, **options)
        result, status = save_form(
            request,
            form,
            action=AuditEntry.Action.BILLING_UPDATE,
            client_id=client_id,
            save=partial(billing_update, client_id=client_id, spp_id=spp_id),
        )
    except UpstreamNotFound:
        # SPP: the linked client is gone (deleted there): the panel says so and offers to unlink.
        return _panel(request, client_id)
    if result is not None and result.outcome != Outcome.CONFLICT:
        message = saved_message(result, "SPP client", system="SPP")
        if not request.htmx:
            messages.success(request, message)
            return redirect(f"{reverse('client-detail', args=[client_id])}#billing-panel")
        response = _panel(request, client_id)
        if result.outcome != Outcome.UNCHANGED:
            trigger_client_event(response, "client-updated", {"id": client_id})
        return notify(response, message, "success" if result.outcome != Outcome.UNCHANGED else "info")
    context["conflicts"] = result.conflicts if result else []
    status = form_status(request, status)
    return render_page(
        request, "billing/edit.html", context | {"form": form}, partial="billing-edit", status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required(perm("change_billing"), raise_exception=True)
def billing_sync_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    if not _connected_or_404(request):
        return _not_connected(request, client_id)
    spp_id = _linked_or_404(client_id)
    context: dict[str, object] = {"client_id": client_id, "spp_id": spp_id, "conflicts": []}
    if request.method == "GET":
        try:
            current = _with_records(context, *sync_records(client_id=client_id, spp_id=spp_id))
        except UpstreamNotFound:
            return _panel(request, client_id)
        return _sync_page(request, context, BillingSyncForm(current=current), 200)
    form = BillingSyncForm(request.POST)
    if not form.is_valid():
        audit_refused_input(
            action=AuditEntry.Action.BILLING_SYNC, client_id=client_id, actor=request.user,
            errors=form.errors, ip_address=client_ip(request),
        )  # fmt: skip
        return _sync_again(request, context, client_id, spp_id, form, 422)
    try:
        # The save reads both records itself (what each holds now is what it compares against).
        result = billing_sync(
            client_id=client_id,
            spp_id=spp_id,
            original=form.cleaned_data["original"],
            choices=form.choices(),
            actor=request.user,
            overwrite=form.cleaned_data["overwrite"],
            ip_address=client_ip(request),
        )
    except UpstreamNotFound:
        return _panel(request, client_id)
    except UpstreamError as exc:  # reading either record failed: nothing was sent
        failure = upstream_failure(exc)
        form.add_error(None, f"Nothing was sent. {failure.headline} {failure.advice}")
        return _sync_again(request, context, client_id, spp_id, form, failure.status)
    if result.outcome in (Outcome.SAVED, Outcome.UNCHANGED):
        return _synced(request, client_id, result.outcome)
    context["result"] = result
    _with_records(context, *result.record)  # as the save read them
    if result.outcome == Outcome.CONFLICT:
        context["conflicts"] = result.conflicts
        return _sync_page(request, context, form, 422)
    # One system took its changes and the other did not, or neither did.
    return _sync_page(request, context, _after_partial_sync(context, client_id, spp_id) or form, 502)


def _with_records(context: dict[str, object], client: Any, record: Any) -> dict[str, Any]:
    """Puts both sides of the link in the page's context; returns the form's values."""
    current = sync_values(client, record)
    context |= {"client": client, "record": record, "current": current}
    return current


def _sync_again(
    request: HtmxHttpRequest,
    context: dict[str, object],
    client_id: int,
    spp_id: int,
    form: BillingSyncForm,
    status: int,
) -> HttpResponse:
    """The form again, as posted, beside what both systems hold now."""
    try:
        _with_records(context, *sync_records(client_id=client_id, spp_id=spp_id))
    except UpstreamNotFound:
        return _panel(request, client_id)
    return _sync_page(request, context, form, status)


def _after_partial_sync(context: dict[str, object], client_id: int, spp_id: int) -> BillingSyncForm | None:
    """After a sync only part of which went through: a new form on what both systems hold now.

    If either system cannot be read again, the outcomes still show, over the values read before
    the sync, and the page says that they may be out of date.
    """
    try:
        current = _with_records(context, *sync_records(client_id=client_id, spp_id=spp_id))
    except UpstreamError:
        context["stale_values"] = True
        return None
    return BillingSyncForm(current=current)


def _sync_page(
    request: HtmxHttpRequest, context: dict[str, object], form: BillingSyncForm, status: int
) -> HttpResponse:
    """The sync form: each shared field's two values side by side, and its choice."""
    values = shared_values(context["client"], context["record"])
    rows = [{"value": value, "field": form[value.key]} for value in values]
    context = context | {"form": form, "rows": rows}
    status = form_status(request, status)
    return render_page(request, "billing/sync.html", context, partial="billing-sync", status=status)


def _synced(request: HtmxHttpRequest, client_id: int, outcome: str) -> HttpResponse:
    text = (
        "Synced: Gcore and SPP now hold the same values."
        if outcome == Outcome.SAVED
        else "Nothing to copy: both already agree."
    )
    if not request.htmx:
        messages.success(request, text)
        return redirect(f"{reverse('client-detail', args=[client_id])}#billing-panel")
    response = _panel(request, client_id)
    trigger_client_event(response, "client-updated", {"id": client_id})
    return notify(response, text, "success" if outcome == Outcome.SAVED else "info")


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
    entries = latest.entries.all() if latest is not None else []
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
