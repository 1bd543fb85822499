from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Gcore reseller dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the security log's receivers (logins, failures, lockouts) at start-up.
        from dashboard import checks, mfa, security  # noqa: F401 - imported to register checks and receivers
        from dashboard.permissions import connect_signals

        # Cached permission sets are dropped whenever who holds what changes.
        connect_signals()

        from django.core.signals import request_finished

        from dashboard.services.concurrency import page_sent

        # A background Gcore read fills the shared cache once its page has been sent.
        request_finished.connect(page_sent, dispatch_uid="dashboard.services.concurrency.page_sent")
