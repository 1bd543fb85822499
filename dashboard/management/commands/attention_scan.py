"""`manage.py attention_scan [--rule R]`: run the Needs attention scans once (every rule, or one),
within the shared request budget; cron-friendly (exit 1 if a scan stopped early)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboard.models import Finding
from dashboard.services.attention import RULES, attention_scan


class Command(BaseCommand):
    help = "Look for clients that need attention (deletions due, long trials, expiring tokens, ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rule", choices=sorted(RULES), help="only this rule (default: every rule)")

    def handle(self, *args: Any, **options: Any) -> None:
        stopped = False
        for rule in [options["rule"]] if options["rule"] else list(RULES):
            scan = attention_scan(rule=rule)
            open_count = Finding.objects.filter(rule=rule, state=Finding.State.OPEN).count()
            self.stdout.write(f"{rule}: {open_count} open. {scan.message}".rstrip())
            stopped = stopped or bool(scan.message)
        if stopped:
            sys.exit(1)
