"""`manage.py db_worker`: django-tasks-db's worker, plus the dashboard's schedules.

The same command and options as django-tasks-db's (this app comes first in INSTALLED_APPS, so its
command wins), with two additions:

- every SCHEDULE_TICK_SECONDS a thread of the worker enqueues the recurring work that is due
  (dashboard.services.schedules; any number of workers tick, one occurrence per kind results);
- the first SIGTERM or Ctrl-C also sets dashboard.worker.stopping, so a long task (a bulk change)
  sends no more, lets its requests in flight finish and hands the rest on, and the worker exits
  within seconds rather than at the end of the whole change.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker as base

from dashboard import worker
from dashboard.services.schedules import schedules_tick

log = logging.getLogger("dashboard.tasks")


class Worker(base.Worker):
    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        worker.stopping.set()
        super().shutdown(signum, frame)


def tick_once(*, fresh_connection: bool = True) -> None:
    """Enqueue what is due, saying what; a failure is logged and the next tick tries again. Between
    ticks, a connection the database dropped (or one too old) is replaced first."""
    try:
        if fresh_connection:
            close_old_connections()
        if enqueued := schedules_tick():
            log.info("schedules: enqueued %s", ", ".join(enqueued))
    except Exception:  # a database hiccup: the next tick tries again
        log.exception("schedules: the tick failed")


def _tick_forever(stop: threading.Event) -> None:
    while not stop.wait(settings.SCHEDULE_TICK_SECONDS):
        tick_once()
    connection.close()


class Command(base.Command):
    help = "Run a database background worker, and enqueue the dashboard's recurring work when due"

    def handle(self, **options: Any) -> None:
        importlib.import_module("dashboard.tasks")  # loaded now, not when the first change arrives
        reload = options["reload"] and not options["batch"]
        stop = threading.Event()
        # With --reload the parent process only watches files; the child runs the worker and ticks.
        if not reload or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            ticker = threading.Thread(target=_tick_forever, args=(stop,), name="schedules", daemon=True)
            ticker.start()
        # The base command builds its Worker by this module-level name: ours for this call.
        original, base.Worker = base.Worker, Worker  # type: ignore[misc]
        try:
            super().handle(**options)
        finally:
            base.Worker = original  # type: ignore[misc]
            stop.set()
