"""`/clients/bulk/`: one service's status across many clients. Preview, start, progress, stop, result.

`?batch=<id>` is the change's own page (its preview, its progress, then its result), so it can be
bookmarked and opened again afterwards; without it, the page lists recent changes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from dashboard.changes import ChangeView
from dashboard.forms.account import SERVICE_STATUS_LABELS
from dashboard.forms.bulk import BulkPreviewForm, BulkStartForm
from dashboard.forms.saving import an_id
from dashboard.http import HtmxHttpRequest, render_page
from dashboard.mfa import changes_many
from dashboard.models import BulkChange, BulkItem
from dashboard.services.bulk import (
    ACTIVE,
    BulkRefused,
    bulk_get,
    bulk_item,
    bulk_preview,
    bulk_retry,
    bulk_start,
    bulk_stop,
    preview_counts,
    recent_bulk_changes,
    summary,
    waiting_for_worker,
)
from dashboard.services.client_query import ClientQuery
from dashboard.services.client_services import STATUS_MEANINGS, STOPPING_STATUSES, consequence


def _page(bulk_id: int) -> str:
    return f"{reverse('client-bulk')}?batch={bulk_id}"


class BulkView(ChangeView):
    """The page of changes across many clients. Its POSTs: preview (a draft), start (the change
    itself: a reason and the tick, through the change shape), stop, and retry one client."""

    permission = "bulk_change_services"
    fresh_identity = staticmethod(changes_many)
    form_class = BulkStartForm
    template_name, partial_name = "clients/bulk.html", "bulk"

    def get(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        batch = request.GET.get("batch", "")
        if not batch:
            context = {"recent": recent_bulk_changes(), "max_clients": settings.BULK_MAX_CLIENTS}
            return render_page(request, "clients/bulk.html", context, partial="bulk")
        return _bulk_page(request, _bulk(batch))

    def post(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action", "preview")
        if action == "preview":
            return _preview(request)
        self.bulk = _bulk(request.POST.get("batch", ""))
        if action == "start":
            if self.bulk.state != BulkChange.State.DRAFT:
                return redirect(_page(self.bulk.pk))
            return super().post(request, *args, **kwargs)
        if action == "stop":
            bulk_stop(self.bulk, actor=request.user)
            messages.info(request, "Stopping: clients already sent finish; the others are not sent.")
            return redirect(_page(self.bulk.pk))
        if action == "retry":
            return _retry(request, self.bulk)
        raise Http404("No such action.")

    def save_instance(self, form: BulkStartForm) -> BulkChange:
        return bulk_start(self.bulk, reason=form.cleaned_data["reason"], actor=self.request.user)

    def get_success_response(self, form: BulkStartForm, result: BulkChange) -> HttpResponse:
        return redirect(_page(self.bulk.pk))

    def render_form(self, form: BulkStartForm, *, status: int = 200) -> HttpResponse:
        return _bulk_page(self.request, self.bulk, start_form=form, status=status)


bulk_view = BulkView.as_view()


def _bulk(batch: str) -> BulkChange:
    if not an_id(batch):
        raise Http404("No such bulk change.")
    try:
        return bulk_get(int(batch))
    except BulkChange.DoesNotExist:
        raise Http404("No such bulk change.") from None


def _bulk_page(
    request: HtmxHttpRequest, bulk: BulkChange, *, start_form: BulkStartForm | None = None, status: int = 200
) -> HttpResponse:
    counts = summary(bulk)
    will_change, already = preview_counts(bulk)
    context: dict[str, Any] = {
        "will_change": will_change,
        "already": already,
        "bulk": bulk,
        "counts": counts,
        "items": bulk.items.all(),
        "running": bulk.state in ACTIVE,
        "waiting": waiting_for_worker(bulk),
        "status_label": SERVICE_STATUS_LABELS.get(bulk.status, bulk.status),
        "meaning": STATUS_MEANINGS.get(bulk.status, ""),
        "start_form": start_form or BulkStartForm(),
        "consequence": consequence(bulk.status, bulk.service, "each selected client")
        if bulk.status in STOPPING_STATUSES
        else "",
        "list_url": f"{reverse('client-list')}?{bulk.query}" if bulk.query else reverse("client-list"),
    }
    # While it runs, the progress polls itself; the rest of the page stays as it is.
    partial = "bulk-progress" if request.htmx.target == "bulk-progress" else "bulk"
    return render_page(request, "clients/bulk.html", context, partial=partial, status=status)


def _retry(request: HtmxHttpRequest, bulk: BulkChange) -> HttpResponse:
    """Try one client of the change again, now."""
    item_id = request.POST.get("item", "")
    try:
        item = bulk_item(bulk, item_id if an_id(item_id) else "")
    except BulkItem.DoesNotExist:
        raise Http404("No such client in this change.") from None
    item = bulk_retry(bulk, item, actor=request.user)
    level = (
        messages.SUCCESS
        if item.state in (BulkItem.State.CHANGED, BulkItem.State.UNCHANGED)
        else messages.ERROR
    )
    label = item.company_name or f"client {item.client_id}"
    messages.add_message(request, level, f"Tried {label} again: {item.get_state_display().lower()}.")
    return redirect(_page(bulk.pk))


def _preview(request: HtmxHttpRequest) -> HttpResponse:
    """A draft of the change, or back to the list (its filters kept) saying why there is none."""
    form = BulkPreviewForm(request.POST)
    back = f"{reverse('client-list')}?{request.POST.get('query', '')}".rstrip("?")
    if not form.is_valid():
        messages.error(
            request, "Choose a service and its new status in the bar above the list, then preview."
        )
        return redirect(back)
    data = form.cleaned_data
    query = ClientQuery.from_data(data["query"]) if data["scope"] == "query" else None
    try:
        bulk = bulk_preview(
            service=data["service"],
            status=data["status"],
            actor=request.user,
            client_ids=data["client"],
            query=query,
        )
    except BulkRefused as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return redirect(_page(bulk.pk))
