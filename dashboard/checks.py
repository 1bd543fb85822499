"""System checks for a deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.caches, deploy=True)
def cache_is_shared(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Sessions, permission sets and Gcore reads live in the cache: every worker must see one cache.

    An error, not a warning: per-process caches would let a logged-out session or a revoked
    permission go on working on the other workers. (`make run`, one process, is not a deployment.)
    """
    if settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache":
        return []
    return [
        checks.Error(
            "The cache is each worker process's own memory (CACHE_URL is local memory).",
            hint=(
                "Set CACHE_URL to a Redis shared by every app server and worker. Sessions, permission "
                "sets and Gcore reads are kept in the cache: with one cache per process, a logout, a "
                "revoked permission or a saved change would not reach the other processes."
            ),
            id="dashboard.E001",
        )
    ]
