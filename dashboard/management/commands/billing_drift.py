"""`manage.py billing_drift`: rebuild the drift list now (the linked clients whose Gcore and SPP
details differ), printing how far it has got; cron-friendly (exit 1 if it failed)."""

from __future__ import annotations

import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand

from dashboard.models import DriftRun
from dashboard.services.billing import billing_connected
from dashboard.services.drift import drift_build


class Command(BaseCommand):
    help = "Compare every linked client's email, company, phone and contact name in Gcore and SPP."

    def handle(self, *args: Any, **options: Any) -> None:
        if not billing_connected():
            self.stderr.write(
                "SPP is not connected: set SPP_API_URL and SPP_API_TOKEN (README, Configuration)."
            )
            sys.exit(1)
        run = DriftRun.objects.create()
        done = threading.Event()
        verbosity = int(options.get("verbosity", 1))

        def report() -> None:  # progress every few seconds, from the run's row, while the build runs
            while not done.wait(3):
                if verbosity >= 1:
                    self._progress(DriftRun.objects.get(pk=run.pk))

        reporter = threading.Thread(target=report, daemon=True)
        reporter.start()
        try:
            run = drift_build(run=run)
        finally:
            done.set()
            reporter.join()
        self._progress(run)
        if run.state != DriftRun.State.DONE:
            self.stderr.write(f"The drift list was not rebuilt: {run.message}")
            sys.exit(1)
        self.stdout.write(
            f"Done: {run.compared} linked clients compared, {run.drifted} differ, "
            f"{run.linked} newly linked by email."
        )

    def _progress(self, run: DriftRun) -> None:
        self.stdout.write(
            f"SPP pages {run.spp_pages}/{run.spp_pages_total or '?'}, Gcore pages "
            f"{run.gcore_pages}/{run.gcore_pages_total or '?'}: {run.compared} compared, {run.drifted} differ"
        )
