from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Gcore reseller dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the security log's receivers (logins, failures, lockouts) at start-up.
        from dashboard import checks, security  # noqa: F401
        from dashboard.permissions import connect_signals

        # Cached permission sets are dropped whenever who holds what changes.
        connect_signals()
