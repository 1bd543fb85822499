"""`manage.py gcore_activity`: index Gcore's activity log now, in this process (requests and account
status changes), reading until what is already stored; exit 1 if Gcore could not be read. The
workers do it every GCORE_ACTIVITY_EVERY seconds anyway; this takes the same one slot."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard.services.activity_index import activity_index_pass
from dashboard.services.schedules import schedule_claim, schedule_occurrence
from dashboard.upstream.errors import UpstreamError


class Command(BaseCommand):
    help = "Index what is new in Gcore's activity log; prune what is past retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-pages", type=int, default=None, help="read at most this many pages of each log"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The schedule's one slot: never beside a worker's pass (dashboard/tasks.py).
        token = schedule_claim("gcore_activity")
        if token is None:
            self.stdout.write("A pass is already queued or running on a worker: not starting another.")
            return

        def index(beat: Callable[[], None], actor: Any) -> str:
            done = activity_index_pass(max_pages=options["max_pages"], beat=beat)
            return f"manage.py gcore_activity: {done.summary}"

        try:
            summary = schedule_occurrence("gcore_activity", token, index)
        except UpstreamError as exc:
            self.stderr.write(f"Gcore's activity log could not be read: {exc.message}")
            sys.exit(1)
        self.stdout.write(f"Indexed: {summary.partition(': ')[2]}.")
