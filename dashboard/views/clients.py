"""Client pages: thin views that bind input, call one service and pick the template or partial."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from dashboard.forms import ClientFilterForm
from dashboard.http import HtmxHttpRequest, render_page, wants_fresh, wants_partial
from dashboard.roles import perm
from dashboard.services.audit import audit_for_client
from dashboard.services.clients import client_get_soon, client_list_soon


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or "1"))
    except ValueError:
        return 1


@require_GET
@permission_required(perm("view_clients"), raise_exception=True)
def client_list_view(request: HtmxHttpRequest) -> HttpResponse:
    if not request.htmx and any(value == "" for value in request.GET.values()):
        # A form submitted without JavaScript sends every empty field; keep the address readable.
        clean = request.GET.copy()
        for name in [name for name, value in clean.items() if value == ""]:
            del clean[name]
        return redirect(f"{request.path}?{clean.urlencode()}" if clean else request.path)
    form = ClientFilterForm(request.GET)
    form.is_valid()  # errors are shown on their filters; the valid ones still apply
    if (client_id := form.quick_client_id) is not None:
        back = request.GET.copy()
        back.pop("q", None)
        url = f"{reverse('client-detail', args=[client_id])}?{urlencode({'back': f'{request.path}?{back.urlencode()}'})}"
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    # Gcore answers while the page's header and filter form render; the rows wait for it.
    listing = client_list_soon(
        filters=form.upstream_filters(),
        ordering=form.ordering_value,
        page=_page_number(request.GET.get("page")),
        page_size=form.page_size_value,
        fresh=wants_fresh(request),
    )
    # Links that change the filters (chips, sorting, clear all) swap the form too; the form itself
    # swaps only the results, so what the person is typing is never replaced.
    partial = "client-browser" if request.htmx.target == "client-browser" else "client-results"
    context = {
        "listing": listing,
        "form": form,
        # Detail links are /clients/<id>/?back=<this view>; built once, not once per row.
        "detail_prefix": reverse("client-list"),
        "back_suffix": f"?{urlencode({'back': request.get_full_path()})}",
        "oob_errors": bool(request.htmx) and partial == "client-results",
    }
    return render_page(request, "clients/list.html", context, partial=partial)


def back_to_list(request: HtmxHttpRequest) -> str:
    """The list view the person came from (`?back=`), if it is a safe local list URL."""
    back = request.GET.get("back", "")
    list_url = reverse("client-list")
    if back.startswith(list_url) and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return back
    return list_url


@require_GET
@permission_required(perm("view_clients"), raise_exception=True)
def client_detail_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    target = request.htmx.target if wants_partial(request) else None
    if target == "user-editor":  # closing the user form: nothing to fetch
        return render_page(request, "clients/detail.html", {"client_id": client_id}, partial="user-editor")
    if target == "client-history":
        history = audit_for_client(client_id=client_id)
        # The history lives in the dashboard's database: refreshing it needs no call to Gcore.
        return render_page(
            request,
            "clients/detail.html",
            {"client_id": client_id, "history": history},
            partial="client-history",
        )
    # Gcore answers while the history is read from the database.
    read = client_get_soon(client_id=client_id, fresh=wants_fresh(request))
    history = audit_for_client(client_id=client_id)
    context = {
        "client": read.value,
        "read": read,
        "client_id": client_id,
        "history": history,
        "back_url": back_to_list(request),
    }
    partial = "client-users" if target == "client-users" else "client-summary"
    return render_page(request, "clients/detail.html", context, partial=partial)
