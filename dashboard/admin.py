"""Django admin: staff accounts (Django's own) and the audit log, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from dashboard.models import AuditEntry, BillingLink, BulkChange, BulkItem, DriftRun, SavedView

admin.site.site_header = "Gcore reseller dashboard: administration"
admin.site.site_title = "Gcore reseller dashboard"
# The admin is for superusers only (README, "Roles"): a staff flag set by mistake must not open it.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser


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
