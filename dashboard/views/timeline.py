"""The client's timeline and Gcore's account-wide activity log, as indexed; Refresh indexes now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from dashboard.forms.timeline import GcoreLogFilterForm, TimelineFilterForm
from dashboard.http import HtmxHttpRequest, render_page, wants_partial
from dashboard.roles import perm
from dashboard.services.activity_index import activity_indexed_as_of
from dashboard.services.timeline import (
    activity_refresh,
    activity_refresh_state,
    client_timeline,
    gcore_activity_query,
    request_row,
    timeline_labels,
)

PAGE_SIZE = 50
# The client page's timeline section: the newest few, with a link to the whole timeline.
RECENT = 10


def _refresh(request: HtmxHttpRequest) -> HttpResponse:
    """Refresh (POST): a pass queued for a worker, then the same page again (it takes no input)."""
    if not request.user.has_perm(perm("refresh_gcore_activity")):
        raise PermissionDenied
    if activity_refresh(actor=request.user):
        messages.info(
            request, "Reading Gcore's activity log on a worker: reload in a moment for what is new."
        )
    else:
        messages.info(request, "Gcore's activity log is being read already: reload in a moment.")
    return HttpResponseRedirect(request.get_full_path(), status=303)


@require_http_methods(["GET", "POST"])
@permission_required(perm("view_activity"), raise_exception=True)
def client_timeline_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    if request.method == "POST":
        return _refresh(request)
    recent = wants_partial(request) and request.htmx.target == "client-timeline"
    form = TimelineFilterForm(request.GET)
    labels = timeline_labels(client_id=client_id)
    timeline = client_timeline(
        client_id=client_id, filters=form.filters(), service_names=labels.service_names
    )
    page = Paginator(timeline, RECENT if recent else PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "client_id": client_id,
        "company_name": labels.company_name,
        "form": form,
        "page": page,
        "as_of": activity_indexed_as_of(),
        "indexing": activity_refresh_state(),
    }
    partial = "client-timeline" if recent else "timeline-results"
    return render_page(request, "clients/timeline.html", context, partial=partial)


@require_http_methods(["GET", "POST"])
@permission_required(perm("view_gcore_activity"), raise_exception=True)
def gcore_activity_view(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _refresh(request)
    form = GcoreLogFilterForm(request.GET)
    requests = gcore_activity_query(filters=form.filters())
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [request_row(entry) for entry in page.object_list],
        "as_of": activity_indexed_as_of(),
        "indexing": activity_refresh_state(),
    }
    return render_page(request, "activity/gcore.html", context, partial="gcore-results")
