"""Changing one's own password: a sign-in attempt like any other.

The old password is checked the way the sign-in checks a password (allauth's authenticate, with
django-axes first), so a wrong one counts toward LOGIN_FAILURE_LIMIT for the same username and
address, and while the account is locked out no change is accepted and the answer is the same
whether the old password was right or not. An account with a second factor confirms with it first
(`factor_confirmation_required`). A change ends the person's other sessions and is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import get_adapter
from django import forms
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from dashboard.mfa import factor_confirmation_required, password_changed
from dashboard.security import client_ip

log = logging.getLogger("dashboard.security")

PASSWORD_FIELDS = ("old_password", "new_password1", "new_password2")


class SignInPasswordChangeForm(PasswordChangeForm):
    """Django's password change form, whose old password goes through the sign-in's check."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.locked_out = False
        super().__init__(request.user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        # allauth's password confirmation: `authenticate` with this username, so django-axes refuses
        # a locked-out username and address before any password is compared, and counts a failure
        # (user_login_failed) exactly as for a wrong password at sign-in.
        right = get_adapter(self.request).reauthenticate(self.user, old_password)
        if getattr(self.request, "axes_locked_out", False):
            # Locked before this try or by it: the same answer for a right and a wrong password.
            # Answered here, on this page, rather than by AxesMiddleware with the sign-in page.
            self.request.axes_locked_out = False  # type: ignore[attr-defined]  # django-axes's flag on the request
            self.locked_out = True
            minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
            self.add_error(
                None,
                forms.ValidationError(
                    "Too many wrong passwords: this account is locked from this address for "
                    "%(minutes)s minutes, and no password change is accepted until then. Each "
                    "further try starts the %(minutes)s minutes again; an administrator can "
                    "unlock it sooner.",
                    code="locked_out",
                    params={"minutes": minutes},
                ),
            )
            return old_password
        if not right:
            log.warning(
                "password change refused user=%r ip=%s: wrong old password",
                self.user.get_username(),
                client_ip(self.request),
            )
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters(*PASSWORD_FIELDS)
@never_cache
@factor_confirmation_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = SignInPasswordChangeForm(request, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)  # this session stays signed in (a new key)
        password_changed(request, form.user)
        return redirect("password_change_done")
    status = settings.AXES_HTTP_RESPONSE_CODE if form.locked_out else 200
    return render(request, "registration/password_change_form.html", {"form": form}, status=status)
