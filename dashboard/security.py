"""Security plumbing: the security log (logins, lockouts, refusals), the lockout page, the client
address, and error reports that never carry the Gcore token.

Everything here writes to the `dashboard.security` logger with the username and the client address,
never a password: the credentials Django hands to `user_login_failed` are not logged at all.
"""

from __future__ import annotations

import logging
import pprint
from collections.abc import Callable
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.html import format_html
from django.views.debug import SafeExceptionReporterFilter

log = logging.getLogger("dashboard.security")


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry our own proxies vouch for.

    Each trusted proxy appends the address it saw, so with N proxies the Nth entry from the right
    is the first one a client could not forge. Used for lockouts (django-axes) and for the log.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return remote


def _username_of(request: HttpRequest | None) -> str:
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else "-"


# --- authentication events ---------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="dashboard.security.logged_in")
def log_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    log.info("login succeeded user=%r ip=%s", user.get_username(), client_ip(request) if request else "-")


@receiver(user_login_failed, dispatch_uid="dashboard.security.login_failed")
def log_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the username is taken from the credentials: Django masks the password, but it is not
    # even worth a masked mention here.
    username = credentials.get("username", "")
    log.warning("login failed user=%r ip=%s", username, client_ip(request) if request else "-")


@receiver(user_locked_out, dispatch_uid="dashboard.security.locked_out")
def log_lockout(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    log.warning(
        "login locked out user=%r ip=%s for %s after %s failures",
        username or "",
        ip_address or "-",
        settings.AXES_COOLOFF_TIME,
        settings.AXES_FAILURE_LIMIT,
    )


@receiver(user_logged_out, dispatch_uid="dashboard.security.logged_out")
def log_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    log.info(
        "logout user=%r ip=%s", user.get_username() if user else "-", client_ip(request) if request else "-"
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The login page again, with a plain explanation instead of another try (django-axes callback)."""
    from allauth.account.forms import LoginForm

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("login", "")
    redirect_to = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, ""))
    context = {
        "form": LoginForm(request=request, initial={"login": username}),
        "locked_out": True,
        "lockout_minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "redirect_field": format_html(
            '<input type="hidden" name="{}" value="{}">', REDIRECT_FIELD_NAME, redirect_to
        ),
    }
    return render(request, "account/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


# --- refusals ------------------------------------------------------------------------------------


def _login_paths() -> tuple[str, ...]:
    return (resolve_url(settings.LOGIN_URL), reverse("admin:login"))


class RefusalLogMiddleware:
    """Logs every refused request: 403s (permissions, CSRF) and a signed-in person sent to a login page
    (the admin does that to staff who are not superusers). The views decide; this only records."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        refused = response.status_code == 403
        if not refused and response.status_code == 302 and getattr(request, "user", None) is not None:
            location = response.get("Location", "")
            refused = request.user.is_authenticated and location.startswith(_login_paths())
        if refused:
            log.warning(
                "permission refused user=%r ip=%s %s %s -> %s",
                _username_of(request),
                client_ip(request),
                request.method,
                request.path,
                response.status_code,
            )
        return response


# --- error reports -------------------------------------------------------------------------------


def _secrets() -> list[str]:
    return [value for value in (settings.GCORE_API_TOKEN, settings.GCORE_SANDBOX_TOKEN) if value]


class SecretsReporterFilter(SafeExceptionReporterFilter):
    """Django's filter (settings and request data named like secrets are hidden) plus: any local
    variable of a traceback frame whose value shows the Gcore token is replaced, whatever its name;
    and a request whose view marked POST parameters as sensitive (a new client's password) shows no
    local variable at all, in any frame: the password travels through the form, the request body,
    the Gcore client and httpx under many names."""

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if request is not None and getattr(request, "sensitive_post_parameters", None):
            return [(name, self.cleansed_substitute) for name, _ in variables]
        secrets = _secrets()
        if not secrets:
            return variables
        cleansed = []
        for name, value in variables:
            try:
                shown = pprint.pformat(value)
            except Exception:  # noqa: BLE001 - a broken __repr__ must not break the error report
                shown = ""
            cleansed.append((name, self.cleansed_substitute if any(s in shown for s in secrets) else value))
        return cleansed
