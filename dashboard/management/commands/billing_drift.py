"""`manage.py billing_drift`: rebuild the drift list now, in this process (the linked clients whose
Gcore and SPP details differ), printing how far it has got; exit 1 if it failed. The workers
rebuild it every DRIFT_EVERY seconds anyway; this takes the same one slot, so it never runs beside
a build on a worker (it says so and exits 0 instead)."""

from __future__ import annotations

import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand

from dashboard.models import DriftRun
from dashboard.services.billing import billing_connected
from dashboard.services.drift import drift_build
from dashboard.services.schedules import schedule_claim, schedule_occurrence


class Command(BaseCommand):
    help = "Compare every linked client's email, company, phone and contact name in Gcore and SPP."

    def handle(self, *args: Any, **options: Any) -> None:
        if not billing_connected():
            self.stderr.write(
                "SPP is not connected: set SPP_API_URL and SPP_API_TOKEN (README, Configuration)."
            )
            sys.exit(1)
        token = schedule_claim("drift")
        if token is None:
            self.stdout.write("A build is already queued or running on a worker: not starting another.")
            return
        run = DriftRun.objects.create()
        done = threading.Event()
        verbosity = int(options.get("verbosity", 1))

        def report() -> None:  # progress every few seconds, from the run's row, while the build runs
            while not done.wait(3):
                if verbosity >= 1:
                    self._progress(DriftRun.objects.get(pk=run.pk))

        reporter = threading.Thread(target=report, daemon=True)
        reporter.start()

        def build(beat: Any, actor: Any) -> str:
            nonlocal run
            run = drift_build(run=run, beat=beat)
            return f"Built by manage.py billing_drift: {run.compared} compared, {run.drifted} differ."

        try:
            schedule_occurrence("drift", token, build)
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
