"""System checks for a deployment (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from dashboard.configuration import upstream_problems


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


@checks.register(deploy=True)
def upstreams_are_configured(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Production talks to the real Gcore (and SPP, if any), or to one shared sandbox when asked.

    settings.py already refuses to start with these; the check says the same for settings that
    change them after dashboard.settings is read (a settings module that imports it), so that
    `check --deploy` never passes an install that would serve demo data by itself.
    """
    return [
        checks.Error(problem.message, hint=problem.hint, id=problem.id)
        for problem in upstream_problems(
            debug=settings.DEBUG,
            gcore_token=settings.GCORE_API_TOKEN,
            gcore_sandbox=settings.GCORE_SANDBOX,
            gcore_sandbox_url=settings.GCORE_SANDBOX_URL,
            spp_url=settings.SPP_API_URL,
            spp_token=settings.SPP_API_TOKEN,
            spp_sandbox=settings.SPP_SANDBOX,
            spp_sandbox_url=settings.SPP_SANDBOX_URL,
        )
    ]
