"""Django for a benchmark: the real settings, an in-memory database, quiet logs, a staff member."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(**env: str) -> None:
    """Configure and start Django once; `env` overrides the environment (and so .env) before settings load."""
    import django
    from django.apps import apps

    if apps.ready:
        return
    defaults = {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DEBUG": "true",  # plain static files storage: no collectstatic needed
        "DATABASE_URL": "sqlite://:memory:",  # never touches the development database
        "CACHE_URL": "locmemcache://",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update({**defaults, **env})
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def staff_member(username: str, group: str):
    """A logged-in-able staff account in one of the roles."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from dashboard.roles import sync_roles

    sync_roles()
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name=group))
    return user
