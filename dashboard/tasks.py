"""Work that outlives a request, run by the workers (`manage.py db_worker`) through Django's Tasks API.

Each task takes ids or tokens, never model instances, calls one service, and leaves its outcome
where the pages read it (the `BulkChange`, the `DriftRun`, the `Schedule` row); the task result is
only for the Background work page. Each docstring says what running it twice does and what
happens when its worker dies half-way. The recurring ones are declared here with their interval.
"""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from dashboard.services import activity_index, attention, bulk, drift, schedules
from dashboard.services.schedules import scheduled


@task()
def run_bulk_change(bulk_id: int) -> str:
    """Send the waiting clients of a running bulk change (one of its BULK_WORKERS runs).

    Twice, or beside other runs: each client is claimed by one run with a conditional UPDATE, so a
    second run only continues the clients nobody has claimed, and does nothing once the change is
    over. Worker killed half-way: its clients never claimed are sent by the other runs, or by the
    runs the scheduled sweep queues once the change has gone BULK_STALE_SECONDS without a
    heartbeat; the clients it had in flight are re-read, never re-sent ("may or may not have been
    applied" unless the re-read shows the change). Worker stopped (SIGTERM): it sends no more,
    lets what is in flight finish, and queues a run for the rest.
    """
    return bulk.bulk_work(bulk_id=bulk_id)


@scheduled(
    "drift",
    label="Billing drift list",
    description="Compares every linked client's email, company, phone and contact name in Gcore and SPP.",
    every_setting="DRIFT_EVERY",
    stale_after=drift.STALE_AFTER,
)
@task()
def build_drift_list(token: str) -> str:
    """Rebuild the drift list (an occurrence of the "drift" schedule, or an administrator's Rebuild).

    Twice: the second run finds its token no longer current and does nothing; two builds never run
    at once. Worker killed half-way: the half-built run stays unseen (the list shows the newest
    finished one); after drift.STALE_AFTER without progress the slot is taken for lost and the next
    build (due, or asked for) closes that run as failed and builds afresh. Only reads and link
    making (each link made once, by email), so a build cut short is simply built again.
    """
    return schedules.schedule_occurrence("drift", token, drift.drift_occurrence)


@scheduled(
    "bulk_sweep",
    label="Bulk change sweep",
    description=(
        "Resumes a bulk change whose workers stopped (their clients in flight re-read, never re-sent) "
        "and re-reads a retried client whose server stopped mid-way."
    ),
    every_setting="BULK_SWEEP_EVERY",
    stale_after=timedelta(minutes=5),
)
@task()
def sweep_bulk_changes(token: str) -> str:
    """Give new runs to each bulk change no worker has touched for BULK_STALE_SECONDS.

    Twice: each change is claimed with a conditional UPDATE of its heartbeat, so a second sweep
    finds it touched and leaves it; the runs themselves are idempotent (above). Worker killed
    half-way: the changes not yet looked at are looked at by the next sweep.
    """
    return schedules.schedule_occurrence("bulk_sweep", token, lambda beat, actor: bulk.bulk_resume_stalled())


@scheduled(
    "prune",
    label="Pruning old task results",
    description=(
        "Deletes finished task results after TASK_RESULTS_KEEP_DAYS, failed ones after "
        "TASK_FAILURES_KEEP_DAYS."
    ),
    every_setting="TASK_PRUNE_EVERY",
    stale_after=timedelta(minutes=30),
)
@task()
def prune_task_results(token: str) -> str:
    """Delete old task results. Twice, or killed half-way: a delete by age; the next run deletes the rest."""
    return schedules.schedule_occurrence("prune", token, lambda beat, actor: schedules.prune_task_results())


@scheduled(
    "gcore_activity",
    label="Gcore's activity log",
    description=(
        "Reads what is new in Gcore's activity log and account status changes into the client "
        "timelines' index, masked; prunes what is past GCORE_ACTIVITY_RETENTION_DAYS."
    ),
    every_setting="GCORE_ACTIVITY_EVERY",
    stale_after=timedelta(minutes=10),
)
@task()
def index_gcore_activity(token: str) -> str:
    """Index Gcore's activity log once (an occurrence of the "gcore_activity" schedule, or a Refresh).

    Twice: the second run finds its token no longer current and does nothing; two passes never run
    at once through the schedule, and a pass run beside one anyway stores each entry once (under
    Gcore's id). Worker killed half-way: what it stored stays; the log's state moves only when a
    pass reads through to what was stored, so the next pass reads the rest, with no gap.
    """
    return schedules.schedule_occurrence("gcore_activity", token, activity_index.activity_index_occurrence)


# -- Needs attention: one schedule per rule, every ATTENTION_EVERY seconds --------------------------------
#
# Each occurrence runs its rule once (attention.attention_occurrence): twice, the second finds its
# token no longer current and does nothing; a run beside one anyway records the same findings (one
# row per rule, client and subject) and both take from the shared budget. Worker killed half-way:
# the rule's cursor moves only when a run records what it saw, so the next occurrence reads that
# slice again; nothing is ever written to Gcore.

ATTENTION_STALE = timedelta(minutes=10)


@scheduled(
    "attention_deletion_due",
    label="Needs attention: services due for deletion",
    description="Clients a paused or ended-trial filter returns: their services' deletion dates.",
    every_setting="ATTENTION_EVERY",
    stale_after=ATTENTION_STALE,
)
@task()
def scan_deletion_due(token: str) -> str:
    """One run of the "services due for deletion" rule (see above for twice and killed)."""
    return schedules.schedule_occurrence(
        "attention_deletion_due", token, attention.attention_occurrence("deletion_due")
    )


@scheduled(
    "attention_long_trial",
    label="Needs attention: long trials",
    description="Clients a trial filter returns: services in trial longer than ATTENTION_TRIAL_DAYS.",
    every_setting="ATTENTION_EVERY",
    stale_after=ATTENTION_STALE,
)
@task()
def scan_long_trials(token: str) -> str:
    """One run of the "trial has run long" rule (see above for twice and killed)."""
    return schedules.schedule_occurrence(
        "attention_long_trial", token, attention.attention_occurrence("long_trial")
    )


@scheduled(
    "attention_no_admin",
    label="Needs attention: clients without an active administrator",
    description="The live clients' list pages: has_active_admin false.",
    every_setting="ATTENTION_EVERY",
    stale_after=ATTENTION_STALE,
)
@task()
def scan_no_admin(token: str) -> str:
    """One run of the "no active administrator" rule (see above for twice and killed)."""
    return schedules.schedule_occurrence(
        "attention_no_admin", token, attention.attention_occurrence("no_admin")
    )


@scheduled(
    "attention_unactivated_user",
    label="Needs attention: users who never activated",
    description="The live clients' list pages: users whose account is not activated.",
    every_setting="ATTENTION_EVERY",
    stale_after=ATTENTION_STALE,
)
@task()
def scan_unactivated_users(token: str) -> str:
    """One run of the "invited user never activated" rule (see above for twice and killed)."""
    return schedules.schedule_occurrence(
        "attention_unactivated_user", token, attention.attention_occurrence("unactivated_user")
    )


@scheduled(
    "attention_token_expiring",
    label="Needs attention: API tokens expiring soon",
    description="A slice of the live clients a run (their tokens): all of them within ATTENTION_FULL_PASS.",
    every_setting="ATTENTION_EVERY",
    stale_after=ATTENTION_STALE,
)
@task()
def scan_expiring_tokens(token: str) -> str:
    """One run of the "API token expires soon" rule (see above for twice and killed)."""
    return schedules.schedule_occurrence(
        "attention_token_expiring", token, attention.attention_occurrence("token_expiring")
    )


@scheduled(
    "attention_billing_drift",
    label="Needs attention: billing drift",
    description="The clients of the last complete drift list.",
    every_setting="ATTENTION_EVERY",
    stale_after=ATTENTION_STALE,
)
@task()
def scan_billing_drift(token: str) -> str:
    """One run of the "billing drift" rule: the dashboard's own records only (twice: the same)."""
    return schedules.schedule_occurrence(
        "attention_billing_drift", token, attention.attention_occurrence("billing_drift")
    )


@scheduled(
    "attention_bulk_failed",
    label="Needs attention: bulk changes failed or in doubt",
    description="Clients a finished bulk change left failed or in doubt.",
    every_setting="ATTENTION_EVERY",
    stale_after=ATTENTION_STALE,
)
@task()
def scan_bulk_failures(token: str) -> str:
    """One run of the "bulk change failed or in doubt" rule: the dashboard's own records only."""
    return schedules.schedule_occurrence(
        "attention_bulk_failed", token, attention.attention_occurrence("bulk_failed")
    )
