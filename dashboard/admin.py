"""Django admin: staff accounts (Django's own) and the audit log, read-only.

Every change made here needs a fresh confirmation (`_confirmed_admin_view`), as risky actions on
the dashboard do."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

# Imported first so that their registrations exist, to be replaced below.
import allauth.account.admin
import allauth.mfa.admin  # noqa: F401 - imported for its registration
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin, sensitive_post_parameters_m
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from dashboard.mfa import SECOND_FACTORS, confirmation_url, confirmed_recently, password_set, reset_factors
from dashboard.models import AuditEntry, BillingLink, BulkChange, BulkItem, DriftRun, SavedView
from dashboard.security import client_ip

log = logging.getLogger("dashboard.security")

admin.site.site_header = "Gcore reseller dashboard: administration"
admin.site.site_title = "Gcore reseller dashboard"
# The admin is for superusers only (README, "Roles"): a staff flag set by mistake must not open it.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser  # type: ignore[method-assign]  # the default site, changed in place


def _sign_in_first(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin's own login form would take a password alone, without the second factor: it is
    never shown. Someone not signed in goes to the dashboard's sign-in (and back); a signed-in
    administrator to the admin; anyone else is refused (the admin is for superusers)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if admin.site.has_permission(request):
        return redirect("admin:index")
    raise PermissionDenied("The admin is for administrators.")


admin.site.login = _sign_in_first  # type: ignore[method-assign]  # as has_permission above


def _dashboards_password_change(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin's own password change compares the old password outside the sign-in path (never
    counted, open while locked out, no factor asked): administrators use the dashboard's."""
    return redirect("password_change")


admin.site.password_change = _dashboards_password_change  # type: ignore[method-assign,assignment]  # as login above; a redirect, not a TemplateResponse


# -- every change in the admin needs a fresh confirmation -------------------------------------------

# The admin takes no password for what it changes (making an administrator, setting a password,
# resetting factors, deleting staff): a stolen administrator's session could take accounts over.
# So every change there, as every risky action on the dashboard, is accepted only within
# REAUTH_MINUTES of a confirmation (the factor, for an account with one).

# ModelAdmin views whose page is a form that changes something (rather than shows it read-only),
# with the permission that makes it so: opening one asks first, so that nothing is typed in vain.
_FORM_PAGES = {
    "add_view": "has_add_permission",
    "change_view": "has_change_permission",
    "delete_view": "has_delete_permission",
    "user_change_password": "has_change_permission",
}
_READING = frozenset({"GET", "HEAD", "OPTIONS"})  # admin views change nothing on these
View = Callable[..., HttpResponse]


def _opens_a_form(view: View, request: HttpRequest) -> bool:
    model_admin = getattr(view, "__self__", None)
    permission = _FORM_PAGES.get(getattr(view, "__name__", ""))
    if not isinstance(model_admin, admin.ModelAdmin) or permission is None:
        return False
    return getattr(model_admin, permission)(request)


def _refused_as_stale(request: HttpRequest) -> HttpResponse:
    """A change sent once the confirmation is stale: nothing is done, and the page says why and
    leads to the confirmation and back to the page the change came from. The POST is not kept for
    afterwards (as a risky action's is on the dashboard): it may hold a password, which would wait
    in the session store."""
    log.warning(
        "admin change refused, confirmation stale user=%r ip=%s path=%s",
        request.user.get_username(),
        client_ip(request),
        request.path,
    )
    context = {
        **admin.site.each_context(request),
        "title": "Confirm it is you first",
        "confirm_first_url": confirmation_url(request, request.get_full_path()),
        "reauth_minutes": settings.REAUTH_MINUTES,
    }
    return TemplateResponse(request, "admin/confirm_first.html", context, status=403)


_django_admin_view = admin.site.admin_view


def _confirmed_admin_view(view: View, cacheable: bool = False) -> View:
    """Django's `admin_view` (administrators only, CSRF, never cached), through which every admin
    page passes, holding every change to a fresh confirmation: a POST (anything but a read) is
    refused (403) once the confirmation is stale; opening a form that changes something first
    leads to the confirmation and back. Lists, history, read-only pages and logging out are not
    held up."""

    @wraps(view)
    def confirmed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if view == admin.site.logout:
            return view(request, *args, **kwargs)
        changes = request.method not in _READING
        if (changes or _opens_a_form(view, request)) and not confirmed_recently(request):
            if changes:
                return _refused_as_stale(request)
            return redirect(confirmation_url(request, request.get_full_path()))
        return view(request, *args, **kwargs)

    return _django_admin_view(confirmed, cacheable)


admin.site.admin_view = _confirmed_admin_view  # type: ignore[method-assign,assignment]  # as login above; a TypeVar in the stubs


User = get_user_model()

# Staff sign in by username; allauth's e-mail addresses (verification, sign-up) are not used here.
admin.site.unregister(EmailAddress)
admin.site.unregister(Authenticator)
admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(UserAdmin):
    """Django's staff accounts, with whether each has a second factor and the reset for a lost phone."""

    list_display = (*UserAdmin.list_display, "has_second_factor")  # type: ignore[misc]  # generic only in the stubs
    actions = ("reset_second_factors",)
    # Records the sign-in keeps, not settings: shown, not edited (their date and time boxes also
    # had no label of their own, a WCAG 2.1 A failure of Django's split widget).
    readonly_fields = ("last_login", "date_joined")

    change_user_password_template = "admin/auth/user/staff_change_password.html"  # noqa: S105 - a template name

    @sensitive_post_parameters_m  # as Django's: the passwords stay out of error reports
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Django's "set password" page, which takes no current password: one's own password is
        changed on the dashboard's page (counted as a sign-in, refused while locked out); another
        staff member's, as every change here, only within REAUTH_MINUTES of a confirmation
        (`_confirmed_admin_view`). A password set here ends every session of that staff member and
        is logged and audited."""
        staff = self.get_object(request, unquote(id))
        if staff is not None and staff.pk == request.user.pk:
            return redirect("password_change")
        if staff is None or not self.has_change_permission(request, staff):
            return super().user_change_password(request, id, form_url)  # Django's 404 or 403
        before = staff.password
        response = super().user_change_password(request, id, form_url)
        staff.refresh_from_db(fields=["password"])
        if staff.password != before:  # set (or disabled): Django's form saved it
            password_set(request, staff, by=request.user)
        return response

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        factors = Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTORS)
        return super().get_queryset(request).annotate(second_factor=Exists(factors))

    @admin.display(boolean=True, description="second factor", ordering="second_factor")
    def has_second_factor(self, user: Any) -> bool:  # a User with get_queryset's second_factor
        return user.second_factor

    @admin.action(description="Reset second factors (lost phone or key): audited")
    def reset_second_factors(self, request: HttpRequest, queryset: QuerySet) -> None:
        for user in queryset:
            removed = reset_factors(user, by=request.user, request=request)
            self.message_user(
                request,
                f"Second factors of {user.get_username()} reset ({removed} removed): they sign in with "
                "their password and set up a new one.",
                messages.SUCCESS if removed else messages.INFO,
            )


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Staff members' factors, shown only: each person adds and removes their own on their account
    page; an administrator removes them with the audited reset on Users."""

    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    search_fields = ("user__username",)
    fields = ("user", "type", "created_at", "last_used_at")  # never `data`: secrets and codes
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Authenticator | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Authenticator | None = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor_username",
        "action",
        "client_id",
        "user_id",
        "outcome",
        "upstream_status",
        "ip_address",
    )
    list_filter = ("outcome", "action", "created_at")
    search_fields = ("actor_username", "=client_id", "=user_id", "message", "=upstream_request_id")
    date_hierarchy = "created_at"

    # The audit log is evidence: nobody adds, edits or deletes entries, not even a superuser.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Administrators can tidy up saved views (rename, unshare, delete) for anyone."""

    list_display = ("name", "owner", "shared", "query", "updated_at")
    list_filter = ("shared",)
    search_fields = ("name", "owner__username", "query")
    raw_id_fields = ("owner",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here: the dashboard's own pages make these, audited."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BillingLink)
class BillingLinkAdmin(ReadOnlyAdmin):
    """Links are made and removed on the client page, where each change is audited."""

    list_display = ("gcore_client_id", "spp_client_id", "method", "created_by", "created_at")
    list_filter = ("method",)
    search_fields = ("=gcore_client_id", "=spp_client_id")


class BulkItemInline(admin.TabularInline):
    model = BulkItem
    fields = ("client_id", "company_name", "old_status", "state", "message", "attempts", "updated_at")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BulkChange)
class BulkChangeAdmin(ReadOnlyAdmin):
    """Changes across many clients, each client's result with it; made and run on /clients/bulk/."""

    list_display = ("created_at", "created_by_username", "service", "status", "state", "finished_at")
    list_filter = ("state", "service", "status")
    search_fields = ("reason", "created_by_username")
    inlines = (BulkItemInline,)


@admin.register(DriftRun)
class DriftRunAdmin(admin.ModelAdmin):
    """Read-only: each build of the drift list, how far it got and how it ended."""

    list_display = ("started_at", "started_by", "state", "compared", "drifted", "linked", "finished_at")
    list_filter = ("state",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DriftRun | None = None) -> bool:
        return False
