"""`/clients/export.csv`: exactly the clients the list shows for the same query, every page, as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard.http import HtmxHttpRequest, client_ip
from dashboard.roles import perm
from dashboard.services.client_query import ClientQuery
from dashboard.services.export import clients_export_csv


@require_GET
@permission_required(perm("export_clients"), raise_exception=True)
def client_export_view(request: HtmxHttpRequest) -> HttpResponseBase:
    query = ClientQuery.from_data(request.GET)
    if not query.is_valid or query.quick_client_id is not None:
        # The list would leave a bad filter out and show the rest; a file has no room for that
        # warning, so it is refused rather than exporting more clients than the person asked for.
        errors = dict(query.errors) or {"q": "A client ID opens that one client; there is no list to export."}
        rows = [(query.label(name), message) for name, message in errors.items()]
        back = request.GET.copy()
        back.pop("page", None)
        context = {"errors": rows, "back_query": back.urlencode()}
        return render(request, "clients/export_refused.html", context, status=400)
    stream = clients_export_csv(
        filters=query.filters, ordering=query.ordering, actor=request.user, ip_address=client_ip(request)
    )
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="gcore-clients-{stamp}.csv"'
    # Client data: no shared cache may keep it; and proxies (nginx) must pass each page on at once.
    response["Cache-Control"] = "private, no-store"
    response["X-Accel-Buffering"] = "no"
    return response
