"""Client pages: thin views that bind input, call one service and pick the template or partial."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from dashboard.forms.bulk import BulkPreviewForm
from dashboard.forms.clients import ClientFilterForm
from dashboard.gcore.models import Client, Service
from dashboard.http import HtmxHttpRequest, read_or_failure, render_page, wants_fresh, wants_partial
from dashboard.roles import perm
from dashboard.services.audit import audit_for_client
from dashboard.services.billing import billing_connected
from dashboard.services.cache import Cached
from dashboard.services.client_query import ADVANCED, ClientQuery
from dashboard.services.client_services import services_get_soon
from dashboard.services.clients import client_get_soon, client_list_soon
from dashboard.services.people import invitations_get
from dashboard.services.saved_views import saved_views_visible

# The advanced filters' open or closed state, kept by app.js in a cookie so every page load and
# every htmx swap of the filters shows them as the person left them (UI state, not list state).
ADVANCED_COOKIE = "advanced_filters"


@require_GET
@permission_required(perm("view_clients"), raise_exception=True)
def client_list_view(request: HtmxHttpRequest) -> HttpResponse:
    if not request.htmx and any(value == "" for value in request.GET.values()):
        # A form submitted without JavaScript sends every empty field; keep the address readable.
        clean = request.GET.copy()
        for name in [name for name, value in clean.items() if value == ""]:
            del clean[name]
        return redirect(f"{request.path}?{clean.urlencode()}" if clean else request.path)
    query = ClientQuery.from_data(request.GET)
    if (client_id := query.quick_client_id) is not None:
        back = request.GET.copy()
        back.pop("q", None)
        back_url = f"{request.path}?{back.urlencode()}"
        url = f"{reverse('client-detail', args=[client_id])}?{urlencode({'back': back_url})}"
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    # Gcore answers while the page's header, filters and sidebar render; the rows wait for it.
    listing = client_list_soon(query=query, fresh=wants_fresh(request))
    # Links that change the filters (chips, sorting, clear all) swap the form too; the form itself
    # swaps only the results, so what the person is typing is never replaced.
    partial = "client-browser" if request.htmx.target == "client-browser" else "client-results"
    whole_page = not wants_partial(request)
    context = {
        "listing": listing,
        "query": query,
        "form": ClientFilterForm(query),
        "advanced_open": request.COOKIES.get(ADVANCED_COOKIE) == "open"
        or any(param.name in query.errors for param in ADVANCED),
        # Detail links are <list_url><id>/<back_suffix>: built once, not once per row.
        "list_url": reverse("client-list"),
        "back_suffix": f"?{urlencode({'back': request.get_full_path()})}",
        "oob_errors": bool(request.htmx) and partial == "client-results",
        # The sidebar's views without their counts (those load by themselves): full pages only.
        "saved_views": saved_views_visible(user=request.user) if whole_page else [],
        # The change-many-clients bar (administrators): the preview form's own choices.
        "bulk_fields": BulkPreviewForm.base_fields,
        "bulk_max": settings.BULK_MAX_CLIENTS,
    }
    return render_page(request, "clients/list.html", context, partial=partial)


def _billing_section(request: HtmxHttpRequest) -> str | None:
    """The client page's billing section: the SPP panel; for administrators only, a note that SPP
    is not connected; for anyone else without it, nothing at all."""
    if billing_connected():
        return "panel" if request.user.has_perm(perm("view_billing")) else None
    return "not-connected" if request.user.is_superuser else None


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
    if target in ("user-editor", "service-editor"):  # closing a form: nothing to fetch
        return render_page(request, "clients/detail.html", {"client_id": client_id}, partial=target)
    if target == "client-history":
        history = audit_for_client(client_id=client_id)
        # The history lives in the dashboard's database: refreshing it needs no call to Gcore.
        return render_page(
            request,
            "clients/detail.html",
            {"client_id": client_id, "history": history},
            partial="client-history",
        )
    # Gcore answers (the client and its services, at once) while the history is read from the database.
    fresh = wants_fresh(request)
    read = client_get_soon(client_id=client_id, fresh=fresh)
    services = None if target == "client-users" else services_get_soon(client_id=client_id, fresh=fresh)
    context = detail_context(request, client_id, read, services)
    if target == "client-users":
        partial = "client-users"
    elif target == "client-services":
        partial = "client-services"
    else:
        partial = "client-summary"
    return render_page(request, "clients/detail.html", context, partial=partial)


def detail_context(
    request: HtmxHttpRequest, client_id: int, read: Cached[Client], services: Cached[list[Service]] | None
) -> dict[str, Any]:
    """What the client page shows: the client, its services (or why they could not be read), its history."""
    history = audit_for_client(client_id=client_id)  # the database, while Gcore answers
    context: dict[str, Any] = {
        "client": read.value,
        "read": read,
        "client_id": client_id,
        "history": history,
        "back_url": back_to_list(request),
        "billing": _billing_section(request),
        "invited_since": invitations_get(client_id),
        "user_actions": any(
            request.user.has_perm(perm(name))
            for name in ("change_client_users", "email_client_users", "remove_client_users")
        ),
    }
    if services is not None:
        context["services"] = SectionRead(services)
    return context


class SectionRead:
    """A read that one section of a page shows, waited for only when the section renders (so the
    rest of the page renders while Gcore answers); its failure is said in that section alone.

    Iterating gives the items (none after a failure); `error` says why they could not be read.
    """

    def __init__(self, read: Cached[list[Service]]) -> None:
        self._read = read

    @cached_property
    def _outcome(self) -> tuple[list[Service], str]:
        services, failure = read_or_failure(lambda: self._read.value, missing_fails=True)
        if failure is not None:
            return [], "Gcore lists no services for this client." if failure.missing else failure.headline
        return services or [], ""  # a read that did not fail has its value (`or` for the checker)

    @property
    def error(self) -> str:
        return self._outcome[1]

    def __iter__(self) -> Iterator[Service]:
        return iter(self._outcome[0])
