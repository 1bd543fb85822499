"""The staff roles: Django groups and the permissions each one holds."""

from __future__ import annotations

MANAGERS = "Managers"
SUPPORT_AGENTS = "Support agents"

# Permission codenames of the `dashboard` app. Reassigning reseller or seller is left to superusers.
# An SPP client's balance, status, Stripe ID and employees, and rebuilding the drift list, are too;
# so are setting a service to `deleted`, paid features (they cost the reseller money) and bulk changes.
# The reseller's own settings are administrators' alone too: its sellers (`manage_sellers`), the
# products every client sees by default (`change_product_defaults`), the e-mails Gcore notifies
# (`manage_notifications`) and its branding and mail server (`change_branding`).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    MANAGERS: (
        "view_clients",
        "export_clients",
        "view_activity",
        "view_billing",
        "view_client_tokens",
        "view_attention",
        "view_gcore_activity",
    ),
    SUPPORT_AGENTS: (
        "view_clients",
        "export_clients",
        "view_activity",
        "change_clients",
        "change_client_users",
        "view_billing",
        "change_billing",
        "create_clients",
        "change_services",
        "change_availability",
        "manage_free_features",
        "invite_client_users",
        "remove_client_users",
        "email_client_users",
        "view_client_tokens",
        "revoke_client_tokens",
        "view_attention",
        "change_attention",
        "view_gcore_activity",
        "refresh_gcore_activity",
    ),
}


def perm(codename: str) -> str:
    """The full permission name for `user.has_perm`."""
    return f"dashboard.{codename}"


def sync_roles() -> None:
    """Make sure each role's group exists with exactly its permissions (after a flush, say)."""
    from django.contrib.auth.models import Group, Permission

    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="dashboard", codename__in=codenames)
        )
