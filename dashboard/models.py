"""Database models: the staff permissions, the audit log and saved views (clients live at Gcore)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse


class StaffAccess(models.Model):
    """Holds the dashboard's permissions; it has no table, because clients live at Gcore, not here."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_clients", "Can browse clients and their users"),
            ("change_clients", "Can edit client details"),
            ("change_client_users", "Can edit client users"),
            ("reassign_clients", "Can move a client to another reseller or seller"),
            ("export_clients", "Can export the client list"),
            ("view_activity", "Can view the activity log"),
        ]

    def __str__(self) -> str:
        return "Staff access to the dashboard"


class AuditEntry(models.Model):
    """One change attempt made through the dashboard, whatever its outcome. Never edited or deleted."""

    class Action(models.TextChoices):
        CLIENT_UPDATE = "client.update", "Client edited"
        USER_UPDATE = "user.update", "User edited"
        CLIENTS_EXPORT = "clients.export", "Clients exported"

    class Outcome(models.TextChoices):
        SAVED = "saved", "Saved"
        PARTIAL = "partial", "Partly saved"
        UNCHANGED = "unchanged", "Nothing to change"
        REJECTED = "rejected", "Rejected by validation"
        CONFLICT = "conflict", "Conflict"
        UPSTREAM_ERROR = "upstream_error", "Gcore error"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    # Kept as text too, so the record survives the staff account's deletion.
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    user_id = models.BigIntegerField("Gcore user ID", null=True, blank=True)
    # [{"field": "companyName", "old": "...", "new": "..."}], Gcore's field names.
    changes = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, db_index=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # Gcore's id of the failed request, when it sent one: what Gcore's support asks for.
    upstream_request_id = models.CharField("Gcore request ID", max_length=100, blank=True)
    message = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["client_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.outcome}"


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user: models.Model) -> SavedViewQuerySet:
        """The views a staff member sees: their own, private or shared, and everyone's shared ones."""
        return self.filter(models.Q(owner=user) | models.Q(shared=True)).select_related("owner")


class SavedView(models.Model):
    """A named client-list query (filters and ordering) that a staff member can open in one click."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    # The list's query string without `page`, in the API's own names: "cdn=active&ordering=-companyName".
    query = models.CharField(max_length=2000, blank=True)
    shared = models.BooleanField(default=False, help_text="Shown to every staff member in the client list.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "owner", name="saved_view_unique_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        """The client list showing this view."""
        return f"{reverse('client-list')}?{self.query}" if self.query else reverse("client-list")
