"""`manage.py gcore_activity`: index Gcore's activity log now (requests and account status
changes), reading until what is already stored; cron-friendly (exit 1 if Gcore could not be read)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard.services.activity_index import activity_index_pass
from dashboard.upstream.errors import UpstreamError


class Command(BaseCommand):
    help = "Index what is new in Gcore's activity log; prune what is past retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-pages", type=int, default=None, help="read at most this many pages of each log"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = activity_index_pass(max_pages=options["max_pages"])
        except UpstreamError as exc:
            self.stderr.write(f"Gcore's activity log could not be read: {exc.message}")
            sys.exit(1)
        self.stdout.write(f"Indexed: {done.summary}.")
