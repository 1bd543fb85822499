"""Creates one demo staff account per role for the sandbox, and prints how to log in."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from dashboard.gcore import is_sandbox
from dashboard.roles import MANAGERS, SUPPORT_AGENTS

# username -> (role group or None for a superuser, what the role is for)
DEMO_ACCOUNTS: dict[str, tuple[str | None, str]] = {
    "admin": (None, "administrator: everything, plus staff accounts in /admin/"),
    "manager": (MANAGERS, "manager: browses, filters and exports"),
    "support": (SUPPORT_AGENTS, "support agent: creates and edits clients, their users and services"),
}


def demo_password(username: str) -> str:
    """A password that stays the same across runs on one installation, derived from its SECRET_KEY."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"demo-account:{username}".encode(), hashlib.sha256
    ).digest()
    return "demo-" + base64.b32encode(digest).decode().lower()[:12]


class Command(BaseCommand):
    help = "Create (or reset) the demo accounts admin, manager and support; sandbox mode only."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="create them even with a Gcore token set")

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        if not is_sandbox() and not force:
            self.stdout.write(
                "GCORE_API_TOKEN is set, so no demo accounts are made. "
                "Create staff accounts with: python manage.py createsuperuser"
            )
            return
        user_model = get_user_model()
        lines = []
        for username, (group_name, role) in DEMO_ACCOUNTS.items():
            user, _ = user_model.objects.get_or_create(username=username)
            user.is_staff = group_name is None
            user.is_superuser = group_name is None
            user.is_active = True
            password = demo_password(username)
            user.set_password(password)
            user.save()
            if group_name:
                user.groups.set([Group.objects.get(name=group_name)])
            lines.append(f"  {username:<8} {password:<18} {role}")
        self.stdout.write(
            "\nSandbox mode: the dashboard shows demo data from the built-in Gcore sandbox.\n"
            f"Log in at http://127.0.0.1:{self._port()}/accounts/login/ with one of these demo accounts:\n"
            + "\n".join(lines)
            + "\n"
        )

    @staticmethod
    def _port() -> str:
        import os

        return os.environ.get("PORT", "8000")
