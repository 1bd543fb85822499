"""Saved views: save the list's filters under a name, open them from the list's sidebar, manage them."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.forms.saved_views import SavedViewForm
from dashboard.http import HtmxHttpRequest, render_page
from dashboard.models import SavedView
from dashboard.roles import perm
from dashboard.services.saved_views import (
    SavedViewError,
    list_query_parse,
    saved_view_can_change,
    saved_view_counts,
    saved_view_create,
    saved_view_delete,
    saved_view_get,
    saved_view_update,
    saved_views_visible,
)

CHANGED = "saved-views-changed"  # htmx event: the sidebar's list of views reloads itself on it


def _trigger(response: HttpResponse, text: str) -> HttpResponse:
    # One HX-Trigger header, two events: the sidebar reloads, app.js shows the message in #alerts.
    response["HX-Trigger"] = json.dumps({CHANGED: True, "notify": {"level": "success", "text": text}})
    return response


def _current_list_query(request: HtmxHttpRequest) -> str:
    """The client list query the person is looking at: htmx names the page's address in HX-Current-URL.

    The list changes its address with each filter (hx-push-url) without reloading the sidebar's page,
    so the address, not the sidebar's own URL, says which filters are on screen.
    """
    current = urlsplit(request.htmx.current_url or "") if request.htmx else None
    if current is not None and current.path == reverse("client-list"):
        return list_query_parse(current.query).query
    return list_query_parse(request.GET.urlencode()).query


def _view_or_404(request: HtmxHttpRequest, view_id: int) -> SavedView:
    try:
        return saved_view_get(view_id=view_id, user=request.user)
    except SavedView.DoesNotExist:
        raise Http404("No such saved view.") from None


@require_GET
@permission_required(perm("view_clients"), raise_exception=True)
def saved_view_sidebar_view(request: HtmxHttpRequest) -> HttpResponse:
    """The list sidebar's views with their live counts, loaded by htmx after the list (never part of it)."""
    if not request.htmx:
        return redirect("saved-view-list")
    context = {
        "counted": saved_view_counts(views=saved_views_visible(user=request.user)),
        "with_counts": True,
        "current_query": _current_list_query(request),
    }
    return render_page(request, "saved_views/sidebar.html", context, partial="saved-view-refresh")


@require_GET
@permission_required(perm("view_clients"), raise_exception=True)
def saved_view_list_view(request: HtmxHttpRequest) -> HttpResponse:
    counted = saved_view_counts(views=saved_views_visible(user=request.user))
    return render_page(request, "saved_views/index.html", {"counted": counted}, partial="saved-view-table")


@require_POST
@permission_required(perm("view_clients"), raise_exception=True)
def saved_view_create_view(request: HtmxHttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = saved_view_create(
                owner=request.user,
                name=form.cleaned_data["name"],
                query=form.cleaned_data["query"],
                shared=form.cleaned_data["shared"],
            )
        except SavedViewError as exc:
            form.add_service_error(exc)
        else:
            text = f"Saved the view “{view.name}”{' for the whole team' if view.shared else ''}."
            if not request.htmx:
                messages.success(request, text)
                return redirect(view.get_absolute_url())
            context = {"save_form": SavedViewForm(initial={"query": view.query}), "current_query": view.query}
            return _trigger(render(request, "saved_views/sidebar.html#saved-view-form", context), text)
    query = form.data.get("query", "")
    context = {"save_form": form, "current_query": query}
    if request.htmx:
        return render(request, "saved_views/sidebar.html#saved-view-form", context, status=422)
    context["counted"] = saved_view_counts(views=saved_views_visible(user=request.user))
    return render(request, "saved_views/index.html", context, status=422)


@require_POST
@permission_required(perm("view_clients"), raise_exception=True)
def saved_view_update_view(request: HtmxHttpRequest, view_id: int) -> HttpResponse:
    view = _view_or_404(request, view_id)
    if not saved_view_can_change(view=view, user=request.user):
        raise PermissionDenied("Only the owner of a view or an administrator can change it.")
    form = SavedViewForm(request.POST)
    if form.is_valid():
        try:
            view = saved_view_update(
                view=view,
                user=request.user,
                name=form.cleaned_data["name"],
                shared=form.cleaned_data["shared"],
            )
        except SavedViewError as exc:
            form.add_service_error(exc)
        else:
            text = f"Saved the view “{view.name}”."
            if not request.htmx:
                messages.success(request, text)
                return redirect("saved-view-list")
            item = saved_view_counts(views=[view])[0]
            return _trigger(render(request, "saved_views/index.html#saved-view-row", {"item": item}), text)
    view.refresh_from_db()
    item = saved_view_counts(views=[view])[0]
    if request.htmx:
        return render(
            request,
            "saved_views/index.html#saved-view-row",
            {"item": item, "edit_form": form, "edit_id": view.pk},
            status=422,
        )
    counted = saved_view_counts(views=saved_views_visible(user=request.user))
    return render(
        request,
        "saved_views/index.html",
        {"counted": counted, "edit_form": form, "edit_id": view.pk},
        status=422,
    )


@require_POST
@permission_required(perm("view_clients"), raise_exception=True)
def saved_view_delete_view(request: HtmxHttpRequest, view_id: int) -> HttpResponse:
    view = _view_or_404(request, view_id)
    saved_view_delete(view=view, user=request.user)  # PermissionDenied (403) unless owner or superuser
    text = f"Deleted the view “{view.name}”."
    if not request.htmx:
        messages.success(request, text)
        return redirect("saved-view-list")
    return _trigger(HttpResponse(""), text)  # the row swaps itself out (hx-target="closest tr")
