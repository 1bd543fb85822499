"""HTTP helpers shared by the views: the htmx request type and full-page-or-partial rendering."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.http import trigger_client_event
from django_htmx.middleware import HtmxDetails

from dashboard.security import client_ip as trusted_client_ip


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request that swaps a region; a history restore needs the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, partial: str, status: int = 200
) -> HttpResponse:
    """Render the whole page, or for htmx only the named partial of the same template.

    One view and one template serve both modes, so a link works with and without JavaScript; the
    `Vary` header keeps caches from handing a fragment to a full-page request.
    """
    name = f"{template}#{partial}" if wants_partial(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, for the audit log: the same one lockouts and the log use."""
    return trusted_client_ip(request) or None


def notify(response: HttpResponse, text: str, level: str = "success") -> HttpResponse:
    """Ask the page (app.js) to show a message in #alerts after an htmx swap."""
    return trigger_client_event(response, "notify", {"level": level, "text": text})


def wants_fresh(request: HttpRequest) -> bool:
    """The person asked for data straight from Gcore (the Refresh link), not a cached copy."""
    return request.headers.get("X-Refresh") == "true" or request.GET.get("refresh") == "1"
