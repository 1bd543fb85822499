"""The activity page: the audit log of every change attempted through the dashboard."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from dashboard.forms.activity import ActivityFilterForm
from dashboard.http import HtmxHttpRequest, render_page
from dashboard.roles import perm
from dashboard.services.audit import audit_query

PAGE_SIZE = 50


@require_GET
@permission_required(perm("view_activity"), raise_exception=True)
def activity_view(request: HtmxHttpRequest) -> HttpResponse:
    form = ActivityFilterForm(request.GET)
    form.is_valid()
    entries = audit_query(**form.filters()).select_related("actor")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))  # past the end: the last page
    return render_page(
        request, "activity/list.html", {"form": form, "page": page}, partial="activity-results"
    )
