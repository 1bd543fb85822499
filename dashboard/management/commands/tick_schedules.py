"""`manage.py tick_schedules`: enqueue the recurring work that is due, for sites whose Tasks backend
is not the database one (its workers are not `manage.py db_worker`, which ticks by itself).

`--once` ticks once and exits (for cron); without it, it ticks every SCHEDULE_TICK_SECONDS until
stopped. Any number may run beside each other and beside db_worker processes: each kind's one slot
is claimed in the database, so the recurring work is enqueued once.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dashboard.management.commands.db_worker import tick_once


class Command(BaseCommand):
    help = "Enqueue the dashboard's recurring work when it is due (once, or every SCHEDULE_TICK_SECONDS)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="tick once and exit (for cron)")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        stop = threading.Event()
        tick_once(fresh_connection=False)
        try:
            while not once and not stop.wait(settings.SCHEDULE_TICK_SECONDS):
                tick_once()
        except KeyboardInterrupt:
            return
