"""Login enforcement and the translation of upstream (Gcore, SPP) failures into plain pages."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from dashboard.http import upstream_failure
from dashboard.upstream.errors import UpstreamAuthError, UpstreamError, UpstreamNotFound, UpstreamRateLimited

log = logging.getLogger("dashboard.errors")


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Every page needs a login; an htmx request from an expired session reloads the login page.

    Without this, htmx would swap the login form into whatever region asked for data.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        # Open views first: a load balancer's /healthz then reads no session and no user.
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(  # type: ignore[override]  # htmx gets its own redirect (a 200), not a 302
        self, request: HttpRequest, view_func: Callable[..., HttpResponseBase]
    ) -> HttpResponseBase:
        htmx = getattr(request, "htmx", None)
        if htmx:
            login_url = resolve_url(self.get_login_url(view_func))
            next_url = htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(f"{login_url}?{urlencode({'next': next_url})}")
        return super().handle_no_permission(request, view_func)


# Where an administrator sets each system's credentials, for the page that says they were refused:
# the real API's, or on a sandbox install the shared sandbox server's token and address.
CREDENTIAL_SETTINGS = {"Gcore": ("GCORE_API_TOKEN", "GCORE_API_URL"), "SPP": ("SPP_API_TOKEN", "SPP_API_URL")}
SANDBOX_CREDENTIAL_SETTINGS = {
    "Gcore": ("GCORE_SANDBOX_TOKEN", "GCORE_SANDBOX_URL"),
    "SPP": ("SPP_SANDBOX_TOKEN", "SPP_SANDBOX_URL"),
}


def credential_settings(system: str) -> tuple[str, str] | None:
    """The two settings an administrator checks when `system` refused the dashboard's credentials."""
    sandboxed = not (settings.GCORE_API_TOKEN if system == "Gcore" else settings.SPP_API_TOKEN)
    return (SANDBOX_CREDENTIAL_SETTINGS if sandboxed else CREDENTIAL_SETTINGS).get(system)


class UpstreamErrorMiddleware:
    """Turns Gcore and SPP failures that reach the top into a plain page, or an in-page alert for htmx."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, UpstreamNotFound):
            raise Http404(exc.message) from exc
        if not isinstance(exc, UpstreamError):
            return None
        failure = upstream_failure(exc)
        status, headline, advice = failure.status, failure.headline, failure.advice
        log.warning(
            "%s failure on %s %s: %s (%s, request id %s)",
            exc.system, request.method, request.path, type(exc).__name__, status, exc.request_id or "-",
        )  # fmt: skip
        show_settings = isinstance(exc, UpstreamAuthError) and request.user.is_superuser
        context = {
            "system": exc.system,
            "status": status,
            "headline": headline,
            "advice": advice,
            "request_id": exc.request_id,
            "credential_settings": credential_settings(exc.system) if show_settings else None,
        }
        if getattr(request, "htmx", None):
            # htmx does not swap error statuses (see htmx-config in base.html): the event carries
            # the message to #alerts, so the rest of the page stays as it was.
            response = render(request, "errors/upstream.html#upstream-alert", context, status=status)
            response["HX-Trigger"] = json.dumps({"upstream-error": {"headline": headline, "advice": advice}})
        else:
            response = render(request, "errors/upstream.html", context, status=status)
        if isinstance(exc, UpstreamRateLimited) and exc.retry_after:
            response["Retry-After"] = str(int(exc.retry_after + 0.999))
        patch_vary_headers(response, ["HX-Request"])
        return response


class SessionRenewalMiddleware:
    """Keeps an active session alive for SESSION_COOKIE_AGE more, writing it at most once a minute.

    Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) costs a database write per
    page; renewing once a minute gives the same "a working day of inactivity" to within a minute.
    """

    RENEW_EVERY_SECONDS = 60

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only sessions this request already read (signed-in pages): never load one just for this.
        if session is not None and session.accessed and session.session_key:
            now = int(time.time())
            if now - session.get("_renewed_at", 0) >= self.RENEW_EVERY_SECONDS:
                session["_renewed_at"] = now  # modified: SessionMiddleware saves it with a new expiry
        return response
