"""HTTP helpers shared by the views: the htmx request type, full-page-or-partial rendering, and
what an upstream failure becomes for the browser (its HTTP status and the words shown)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.http import trigger_client_event
from django_htmx.middleware import HtmxDetails

from dashboard.security import client_ip as trusted_client_ip
from dashboard.upstream.errors import (
    UpstreamAuthError,
    UpstreamBadGateway,
    UpstreamError,
    UpstreamNotFound,
    UpstreamPermissionDenied,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
    UpstreamValidationError,
)

T = TypeVar("T")


class HtmxHttpRequest(HttpRequest):
    """A request to one of the dashboard's own pages: htmx details, and a signed-in staff member
    (LoginRequiredMiddleware lets no other through; the open health checks take an HttpRequest)."""

    htmx: HtmxDetails
    user: User


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request that swaps a region; a history restore needs the whole page."""
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.history_restore_request


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


@dataclass(frozen=True)
class UpstreamFailure:
    """What the browser is told about an upstream failure: the status to answer, a headline, advice."""

    status: int
    headline: str
    advice: str
    request_id: str | None = None  # the upstream's, for a page that shows it
    missing: bool = False  # the upstream has no such record (a 404)


def upstream_failure(exc: UpstreamError) -> UpstreamFailure:
    """The dashboard's answer to a Gcore or SPP failure that no form can show on a field.

    502: the upstream failed or answered nonsense (or refused our own credentials); 503: it is
    unavailable or rate-limiting, try later; 504: no answer in time. The one place that decides.
    """
    system = exc.system
    if isinstance(exc, UpstreamAuthError):
        advice = f"{system} refused the dashboard's credentials. Please contact an administrator."
        return UpstreamFailure(502, exc.message, advice)
    if isinstance(exc, UpstreamRateLimited):
        when = f"in {int(exc.retry_after + 0.999)} seconds" if exc.retry_after else "in a minute"
        advice = f"Too many requests reached {system}. Try again {when}."
        return UpstreamFailure(503, f"{system} is rate-limiting the dashboard.", advice)
    if isinstance(exc, UpstreamUnavailable):
        status = (
            504 if isinstance(exc, UpstreamTimeout) else 502 if isinstance(exc, UpstreamBadGateway) else 503
        )
        advice = (
            f"{system} did not give a usable answer. Nothing was changed by this page; try again in a moment."
        )
        return UpstreamFailure(status, exc.message, advice)
    advice = "Try again; if it persists, contact an administrator."
    return UpstreamFailure(502, f"{system} answered with an unexpected error.", advice)


def refusal_text(exc: UpstreamError) -> str:
    """Why the upstream refused or failed a change, in a sentence for the person who asked for it."""
    if isinstance(exc, UpstreamValidationError | UpstreamPermissionDenied):
        return exc.message
    return upstream_failure(exc).headline


def read_or_failure(
    read: Callable[[], T], *, missing_fails: bool = False
) -> tuple[T | None, UpstreamFailure | None]:
    """A read whose failure a page shows in place (a section, a panel) while the rest renders:
    its value, or what failed. A 404 propagates (the page's 404, or what the view makes of it),
    unless `missing_fails`: then it is a failure too, marked `missing`. The one place a view's
    read meets an upstream failure."""
    try:
        return read(), None
    except UpstreamNotFound as exc:
        if not missing_fails:
            raise
        return None, replace(upstream_failure(exc), request_id=exc.request_id, missing=True)
    except UpstreamError as exc:
        return None, replace(upstream_failure(exc), request_id=exc.request_id)
