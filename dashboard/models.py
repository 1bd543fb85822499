"""Database models: the staff permissions, and (later) the audit log."""

from __future__ import annotations

from django.db import models


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
