"""Django admin: staff accounts (Django's own) and the audit log, read-only."""

from __future__ import annotations

# Imported first so that their registrations exist, to be replaced below.
import allauth.account.admin
import allauth.mfa.admin  # noqa: F401 - imported for its registration
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from dashboard.mfa import SECOND_FACTORS, reset_factors
from dashboard.models import AuditEntry, BillingLink, BulkChange, BulkItem, DriftRun, SavedView

admin.site.site_header = "Gcore reseller dashboard: administration"
admin.site.site_title = "Gcore reseller dashboard"
# The admin is for superusers only (README, "Roles"): a staff flag set by mistake must not open it.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser


def _sign_in_first(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin's own login form would take a password alone, without the second factor: it is
    never shown. Someone not signed in goes to the dashboard's sign-in (and back); a signed-in
    administrator to the admin; anyone else is refused (the admin is for superusers)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if admin.site.has_permission(request):
        return redirect("admin:index")
    raise PermissionDenied("The admin is for administrators.")


admin.site.login = _sign_in_first


User = get_user_model()

# Staff sign in by username; allauth's e-mail addresses (verification, sign-up) are not used here.
admin.site.unregister(EmailAddress)
admin.site.unregister(Authenticator)
admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(UserAdmin):
    """Django's staff accounts, with whether each has a second factor and the reset for a lost phone."""

    list_display = (*UserAdmin.list_display, "has_second_factor")
    actions = ("reset_second_factors",)
    # Records the sign-in keeps, not settings: shown, not edited (their date and time boxes also
    # had no label of their own, a WCAG 2.1 A failure of Django's split widget).
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        factors = Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTORS)
        return super().get_queryset(request).annotate(second_factor=Exists(factors))

    @admin.display(boolean=True, description="second factor", ordering="second_factor")
    def has_second_factor(self, user: User) -> bool:
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
