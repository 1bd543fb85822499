"""A second factor and fresh confirmations, on django-allauth's MFA (TOTP, recovery codes, passkeys).

- Wrong codes count toward django-axes' lockout exactly like wrong passwords, and no code is
  accepted while the account is locked out from that address.
- `SecondFactorMiddleware`: a session signed in without the factor the account now has ends; with
  MFA_REQUIRED, a signed-in staff member without a second factor is led to set one up and reaches
  no other page before.
- `fresh_identity_required`: a risky action needs the identity confirmed (a login or a
  re-authentication) within REAUTH_MINUTES; otherwise allauth keeps the POST, asks, and runs the
  action on as it was typed. For an account with a second factor only the factor confirms (a code
  or a passkey), never the password alone: the password is what a stolen session can guess.
  Managing one's own factors and recovery codes (allauth's views, through `AccountAdapter`) and
  changing one's password (`factor_confirmation_required`) follow the same rule.
- A password change ends the person's other sessions (`password_changed`); a password an
  administrator sets for another staff member ends all of theirs (`password_set`).
- The security log records factors added, removed and reset, failed codes, recovery codes used,
  re-authentications and passwords changed or set; the activity log the resets and passwords.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from importlib import import_module
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.account.internal.flows.reauthentication import suspend_request
from allauth.account.signals import authentication_step_completed
from allauth.core import context
from allauth.core.exceptions import ReauthenticationRequired
from allauth.mfa import signals as mfa_signals
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY, logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver
from django.forms import CheckboxInput
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from dashboard.roles import perm
from dashboard.security import client_ip
from dashboard.services.billing import billing_compare
from dashboard.services.client_services import STOPPING_STATUSES
from dashboard.services.clients import REASSIGN_FIELDS
from dashboard.services.saves import find_changes, normalise

log = logging.getLogger("dashboard.security")

SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_second_factor(user: Any) -> bool:
    return is_mfa_enabled(user, list(SECOND_FACTORS))


# -- codes count toward the lockout -----------------------------------------------------------------


class _LockoutAware:
    """Refuses any code while axes has the account locked out from this address."""

    user: Any

    def clean_code(self) -> str:
        request = context.request
        credentials = {"username": self.user.get_username()}
        if request is not None and AxesProxyHandler.is_locked(request, credentials):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout page
            raise ValidationError("Too many failed attempts: this account is locked for now.")
        return super().clean_code()  # type: ignore[misc]  # a mixin: super() is the allauth form after it


class AuthenticateForm(_LockoutAware, mfa_forms.AuthenticateForm):
    """The sign-in's second step (a TOTP or recovery code)."""


class ReauthenticateForm(_LockoutAware, mfa_forms.ReauthenticateForm):
    """A fresh confirmation with a code before a risky action."""


@receiver(mfa_signals.authentication_failed)
def _code_failed(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    """A wrong code is a failed login for django-axes (which then counts and locks out) and the log."""
    log.warning(
        "second factor failed user=%r ip=%s type=%s reauthentication=%s",
        user.get_username(), client_ip(request), authenticator.type, bool(kwargs.get("reauthentication")),
    )  # fmt: skip
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


@receiver(mfa_signals.authenticator_added)
def _factor_added(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    if authenticator.type in SECOND_FACTORS:
        # Setting it up proved the factor (a code, or the key itself): this session goes on. Saved at
        # once, so that a request of the same browser meanwhile (a poll) is not taken for a stale one.
        record_authentication(request, user, method="mfa", type=authenticator.type)
        request.session.save()
    log.info(
        "second factor added user=%r ip=%s type=%s",
        user.get_username(),
        client_ip(request),
        authenticator.type,
    )


@receiver(mfa_signals.authenticator_removed)
def _factor_removed(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    # A factor is removed when it is lost or not trusted any more: the sessions it opened end too,
    # all but the one removing it.
    ended = end_sessions(user, keep=request.session.session_key)
    log.info(
        "second factor removed user=%r ip=%s type=%s other sessions ended=%s",
        user.get_username(),
        client_ip(request),
        authenticator.type,
        ended,
    )


@receiver(mfa_signals.authenticator_reset)
def _factor_reset(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    log.info("recovery codes renewed user=%r ip=%s", user.get_username(), client_ip(request))


@receiver(mfa_signals.authenticator_used)
def _factor_used(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        log.warning("recovery code used user=%r ip=%s", user.get_username(), client_ip(request))


@receiver(authentication_step_completed)
def _reauthenticated(sender: Any, request: HttpRequest, user: Any, method: str, **kwargs: Any) -> None:
    if kwargs.get("reauthenticated"):
        log.info("re-authenticated user=%r ip=%s method=%s", user.get_username(), client_ip(request), method)


def end_sessions(user: Any, *, keep: str | None = None) -> int:
    """Signs `user` out everywhere (but the session `keep`): their sessions are deleted from the
    store (database and shared cache). Staff sessions are few; each is read to find its owner."""
    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key != keep and session.get_decoded().get(SESSION_KEY) == str(user.pk):
            store(session_key=session.session_key).delete()
            ended += 1
    return ended


def reset_factors(user: Any, *, by: Any, request: HttpRequest | None = None) -> int:
    """An administrator removes every factor of a staff member (a lost phone); logged and audited.

    Their sessions end (a lost phone may hold one); they then sign in with their password alone and,
    with MFA_REQUIRED, set up a new factor.
    """
    from dashboard.services.audit import Action, FieldChange, Outcome, audit_record

    removed, _ = Authenticator.objects.filter(user=user).delete()
    # A lost phone may hold a signed-in browser: every session of theirs ends with the reset.
    ended = end_sessions(user, keep=request.session.session_key if request is not None else None)
    ip = client_ip(request) if request is not None else ""
    log.warning(
        "second factors reset user=%r by=%r ip=%s removed=%s sessions ended=%s",
        user.get_username(),
        by.get_username(),
        ip,
        removed,
        ended,
    )
    audit_record(
        actor=by,
        action=Action.STAFF_MFA_RESET,
        outcome=Outcome.SAVED,
        changes=[FieldChange("second factors", removed, 0)],
        message=f"Reset {user.get_username()}'s second factors ({removed} removed).",
        ip_address=ip or None,
        details={"staff": user.get_username()},
    )
    return removed


def password_changed(request: HttpRequest, user: Any) -> int:
    """After a staff member changed their own password (the form checked the old one as a sign-in
    does, and Django kept this session signed in): their other sessions end, the failed attempts
    counted against them from this address are cleared as a sign-in clears them, and the change is
    in the security log and the activity log (who, when, from where; never a password)."""
    from dashboard.services.audit import Action, Outcome, audit_record

    # Whoever held another session (a stolen one, a forgotten browser) is out with the old password.
    ended = end_sessions(user, keep=request.session.session_key)
    ip = client_ip(request)
    if ip:  # without an address the reset would clear the username's failures from everywhere
        AxesProxyHandler.reset_attempts(ip_address=ip, username=user.get_username())
    log.info("password changed user=%r ip=%s other sessions ended=%s", user.get_username(), ip, ended)
    audit_record(
        actor=user,
        action=Action.STAFF_PASSWORD_CHANGE,
        outcome=Outcome.SAVED,
        message=f"{user.get_username()} changed their password ({ended} other sessions ended).",
        ip_address=ip or None,
        details={"staff": user.get_username(), "other_sessions_ended": ended},
    )
    return ended


def password_set(request: HttpRequest, user: Any, *, by: Any) -> int:
    """After an administrator set (or disabled) another staff member's password in the admin: every
    session of that staff member ends (whoever holds one, with the old password or not, signs in
    again), and it is in the security log and the activity log (who, whom, when, from where; never
    a password)."""
    from dashboard.services.audit import Action, Outcome, audit_record

    ended = end_sessions(user)
    ip, name = client_ip(request), user.get_username()
    usable = user.has_usable_password()
    log.warning(
        "password %s by an administrator user=%r by=%r ip=%s sessions ended=%s",
        "set" if usable else "disabled",
        name,
        by.get_username(),
        ip,
        ended,
    )
    done = f"Set {name}'s password" if usable else f"Disabled password sign-in for {name}"
    audit_record(
        actor=by,
        action=Action.STAFF_PASSWORD_SET,
        outcome=Outcome.SAVED,
        message=f"{done} ({ended} sessions of theirs ended).",
        ip_address=ip or None,
        details={"staff": name, "usable_password": usable, "sessions_ended": ended},
    )
    return ended


# -- a second factor before anything else -----------------------------------------------------------

# Pages (of the dashboard's own URL conf, no namespace) a staff member without a second factor may
# still open: setting one up (and the password confirmation setup asks for), signing out, and pages
# that need no login.
SETUP_URL_NAMES = frozenset(
    {
        "mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "mfa_view_recovery_codes",
        "mfa_download_recovery_codes", "mfa_generate_recovery_codes", "mfa_reauthenticate",
        "mfa_reauthenticate_webauthn", "account_reauthenticate", "login", "account_login", "logout",
        "account_logout", "mfa_authenticate", "healthz", "readyz",
    }
)  # fmt: skip
LOGOUT_URL_NAMES = frozenset({"logout", "account_logout"})


def session_used_a_factor(request: HttpRequest) -> bool:
    """This session's sign-in (or a confirmation since, or setting up a factor) used a second factor."""
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


def _send(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if getattr(request, "htmx", None) else redirect(url)


class SecondFactorMiddleware:
    """What a signed-in session may do, given the account's second factors.

    - A session signed in without the second factor the account now has (signed in before it was
      set up, in another browser, or with a password stolen meanwhile) ends: whoever holds it signs
      in again, with the factor.
    - With MFA_REQUIRED, a staff member without a second factor is sent to set one up and reaches
      no other page before (htmx requests get HX-Redirect).

    One query (does the account have a factor?) per request, none for a session that used a factor
    while MFA_REQUIRED is off.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return None
        used = session_used_a_factor(request)
        if used and not settings.MFA_REQUIRED:
            return None
        match = getattr(request, "resolver_match", None) or resolve(request.path_info)
        name = match.url_name if not match.namespace else f"{match.namespace}:{match.url_name}"
        if name in LOGOUT_URL_NAMES or name == "admin:logout":
            return None
        has_factor = has_second_factor(request.user)
        if has_factor and not used:
            user, ip = request.user.get_username(), client_ip(request)
            log.warning("session without second factor ended user=%r ip=%s", user, ip)
            logout(request)
            messages.info(request, "Your account has a second factor now: log in again, with it.")
            htmx = getattr(request, "htmx", None)
            here = (htmx.current_url_abs_path if htmx else None) or request.get_full_path()
            return _send(request, redirect_to_login(here)["Location"])
        if has_factor or not settings.MFA_REQUIRED or name in SETUP_URL_NAMES:
            return None
        return _send(request, reverse("mfa_index"))


# -- a fresh confirmation before risky actions -----------------------------------------------------------


def confirmed_recently(request: HttpRequest) -> bool:
    """The person signed in, or confirmed who they are, within REAUTH_MINUTES: with the second factor
    when the account has one (a code or a passkey; the password alone is what a stolen session can
    guess), else with the password."""
    methods = ("mfa",) if has_second_factor(request.user) else ("password", "mfa")
    records = get_authentication_records(request, request.user)
    latest = max((r.get("at", 0) for r in records if r.get("method") in methods), default=0)
    return time.time() - latest < settings.REAUTH_MINUTES * 60


def confirmation_url(request: HttpRequest, next_url: str) -> str:
    """Where this person confirms who they are (the factor for an account with one, see
    `AccountAdapter`), coming back to `next_url` afterwards."""
    return f"{_first_confirmation_url(request)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def _first_confirmation_url(request: HttpRequest) -> str:
    methods = get_adapter(request).get_reauthentication_methods(request.user)
    if not methods:  # no usable password and no factor: nothing to confirm with (as allauth answers)
        raise PermissionDenied("No way to confirm who you are")
    return methods[0]["url"]


def fresh_identity_required(when: Callable[[HttpRequest], bool] = lambda request: True) -> Callable:
    """For a risky POST (when `when(request)`): unless the identity was confirmed within
    REAUTH_MINUTES, allauth keeps the POST, asks (the second factor for an account with one, else
    the password), then runs the action with what was typed. An htmx request goes there as a whole
    page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST" or not when(request) or confirmed_recently(request):
                return view(request, *args, **kwargs)
            if not getattr(request, "htmx", None):
                raise ReauthenticationRequired()  # AccountMiddleware suspends the POST and asks
            # The action resumes as a whole page: not as the htmx fragment it was asked as.
            for name in [key for key in request.META if key.startswith("HTTP_HX_")]:
                del request.META[name]
            location = suspend_request(request, _first_confirmation_url(request))["Location"]
            return HttpResponseClientRedirect(location)

        return wrapper

    return decorator


def factor_confirmation_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of one's own credentials (the password change) for an account with a second factor:
    it opens, and takes its form, only within REAUTH_MINUTES of a confirmation with the factor;
    otherwise the person confirms with it first and comes back to the page. A POST is not kept
    for afterwards (as `fresh_identity_required` keeps one): it holds passwords, which never go
    into the session store. Without a factor, the form's own password question is the confirmation."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_second_factor(request.user) or confirmed_recently(request):
            return view(request, *args, **kwargs)
        return _send(request, confirmation_url(request, request.path))

    return wrapper


class AccountAdapter(DefaultAccountAdapter):
    """allauth asks for a fresh confirmation before a factor is added or removed and before
    recovery codes are shown or renewed, unless the person re-authenticated lately; here a sign-in
    within REAUTH_MINUTES counts too, as it does for risky actions, so that setting up a factor
    right after signing in does not ask twice. For an account with a factor, both only by the factor."""

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        request = context.request
        if request is not None and request.user.is_authenticated and confirmed_recently(request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def get_reauthentication_methods(self, user: Any) -> list[dict]:
        """An account with a second factor confirms with it, never with the password alone: the
        password page is neither offered nor taken (allauth's view sends on to the first method
        left), so no password confirmation is ever recorded that allauth would accept for managing
        factors, and `confirmed_recently` counts only the factor."""
        methods = super().get_reauthentication_methods(user)
        if user.is_authenticated and has_second_factor(user):
            methods = [m for m in methods if m["id"] != "reauthenticate"]
        return methods


# -- which POSTs are risky ---------------------------------------------------------------------------------


def _changed_by(form: Any, compare: Callable[[Any], Any] = normalise) -> set[str]:
    """The fields this POST changes, read exactly as the view reads it: its own form, then the save
    pipeline's first step (`find_changes` against the values the form was opened with). None when
    the form refuses the POST: the view sends nothing then."""
    if not form.is_valid():
        return set()
    return set(find_changes(form.cleaned_data["original"] or {}, form.desired(), compare))


def said_yes(request: HttpRequest) -> bool:
    """The form's own confirmation is given: a reason and the "I understand" tick. Until then the
    action's form refuses it by itself (and says why), so there is nothing to confirm yet; asking
    only now means the action runs as soon as the person has confirmed who they are."""
    ticked = CheckboxInput().value_from_datadict(request.POST, MultiValueDict(), "confirm")
    return bool(ticked) and bool(request.POST.get("reason", "").strip())


def moves_client(request: HttpRequest) -> bool:
    """A client edit that moves the client to another reseller or seller (or clears its seller).
    For those who may not move clients the two fields are disabled and never taken from a POST."""
    from dashboard.forms.edits import ClientEditForm

    if not request.user.has_perm(perm("reassign_clients")):
        return False
    return bool(REASSIGN_FIELDS & _changed_by(ClientEditForm(request.POST, can_reassign=True)))


def changes_balance(request: HttpRequest) -> bool:
    """An SPP edit that changes the balance (amounts compared as amounts, as the save does)."""
    from dashboard.forms.billing import BillingEditForm

    if not request.user.has_perm(perm("change_billing_account")):
        return False
    form = BillingEditForm(request.POST, can_change_account=True, status_names=settings.SPP_STATUS_NAMES)
    return "balance" in _changed_by(form, billing_compare)


def stops_a_service(request: HttpRequest) -> bool:
    """A service change to paused, trialend or deleted (the customer's resources stop), said yes to.
    The form asks for the reason and the tick only for such a change, so without them nothing stops."""
    return request.POST.get("status") in STOPPING_STATUSES and said_yes(request)


def changes_many(request: HttpRequest) -> bool:
    """A bulk change started (said yes to), or a client of one retried."""
    action = request.POST.get("action")
    return action == "retry" or (action == "start" and said_yes(request))
