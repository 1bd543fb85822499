"""Recurring work on the workers: each kind declared in code with its interval, at most one
occurrence queued or running per kind, whatever the number of workers and app servers.

Each kind has a `Schedule` row. Every worker looks every SCHEDULE_TICK_SECONDS (`schedules_tick`)
and claims a due kind with one conditional UPDATE on that row (its next run in the past, no live
occurrence): of two workers racing, one UPDATE matches, so one occurrence is enqueued. The row
holds the occurrence's token until it ends; the occurrence touches `beat_at` as it goes, and one
that stops touching it (its worker was killed) is recorded as lost, so the next tick can enqueue
again. Run now (the Background work page, the drift list's Rebuild) claims the same way, sooner.
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dashboard.models import Schedule
from dashboard.worker import WorkerLost

log = logging.getLogger("dashboard.tasks")

Beat = Callable[[], None]
# The work of one occurrence: it gets a heartbeat to call as it goes and the person who asked for it
# (None for the schedule's own runs), and returns what the Background work page says about it.
Work = Callable[[Beat, User | None], str]


@dataclass(frozen=True)
class Kind:
    """One kind of recurring work: its name, what it does, how often (a setting, in seconds), how
    long an occurrence may go without a heartbeat before it counts as lost, and its task."""

    name: str
    label: str
    description: str
    every_setting: str
    stale_after: timedelta
    task: Any  # a django_tasks Task taking the occurrence's token

    @property
    def every(self) -> timedelta:
        return timedelta(seconds=getattr(settings, self.every_setting))

    @property
    def every_text(self) -> str:
        """The interval in words: "1 day", "5 minutes", "90 seconds"."""
        seconds = int(self.every.total_seconds())
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size and seconds % size == 0:
                count = seconds // size
                return f"{count} {unit}{'s' if count != 1 else ''}"
        return f"{seconds} seconds"


_kinds: dict[str, Kind] = {}


def scheduled(
    name: str, *, label: str, description: str, every_setting: str, stale_after: timedelta
) -> Callable[[Any], Any]:
    """Declare a task as recurring work (dashboard/tasks.py): `@scheduled(...)` above `@task()`."""

    def register(task: Any) -> Any:
        _kinds[name] = Kind(name, label, description, every_setting, stale_after, task)
        return task

    return register


def kinds() -> dict[str, Kind]:
    importlib.import_module("dashboard.tasks")  # where the kinds are declared
    return _kinds


def _row(kind: Kind, now: Any) -> Schedule:
    """The kind's row; a kind seen for the first time is due at once."""
    row, _ = Schedule.objects.get_or_create(kind=kind.name, defaults={"next_run": now})
    return row


def tasks_lost(task_name: str, args: list[Any]) -> int:
    """Task results left "running" by a worker that died (found lost by their own heartbeat): marked
    failed with that reason, so the Background work page stops showing them as running."""
    results = _database_queue()
    if results is None:
        return 0
    return int(
        results.filter(
            status="RUNNING", task_path=f"dashboard.tasks.{task_name}", args_kwargs__args=args
        ).update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path="dashboard.worker.WorkerLost",
            traceback=f"dashboard.worker.WorkerLost: {WorkerLost.__doc__}",
        )
    )


def _settle_lost(kind: Kind, now: Any) -> None:
    """An occurrence that started and stopped beating died with its worker: say so on the row."""
    lost = Schedule.objects.filter(
        kind=kind.name, started_at__isnull=False, beat_at__lt=now - kind.stale_after
    ).exclude(occurrence="")
    for row in lost:
        if Schedule.objects.filter(pk=row.pk, occurrence=row.occurrence).update(
            occurrence="",
            last_finished_at=row.beat_at,
            last_outcome=Schedule.Outcome.LOST,
            last_message="Its worker stopped before it finished (killed, or out of memory).",
            started_at=None,
            beat_at=None,
        ):
            log.warning("%s: the occurrence %s was lost with its worker", kind.name, row.occurrence)
            tasks_lost(kind.task.name, [row.occurrence])
    _settle_never_started(kind, now)


def _settle_never_started(kind: Kind, now: Any) -> None:
    """An occurrence queued longer than its stale time that never said it started, and whose task
    no longer waits in the queue: its worker was killed after taking the task and before its first
    line, or the task failed at once. Without this its slot would stay taken for ever. Only the
    database queue can tell a task still waiting for a free worker (kept: nothing piles up)."""
    results = _database_queue()
    if results is None:
        return
    unstarted = Schedule.objects.filter(
        kind=kind.name, started_at__isnull=True, enqueued_at__lt=now - kind.stale_after
    ).exclude(occurrence="")
    for row in unstarted:
        waiting = results.filter(
            status="READY", task_path=f"dashboard.tasks.{kind.task.name}", args_kwargs__args=[row.occurrence]
        )
        if waiting.exists():
            continue
        if Schedule.objects.filter(pk=row.pk, occurrence=row.occurrence, started_at__isnull=True).update(
            occurrence="",
            last_finished_at=now,
            last_outcome=Schedule.Outcome.LOST,
            last_message="Its task ended before it started (its worker stopped, or it failed at once).",
            beat_at=None,
        ):
            log.warning(
                "%s: the occurrence %s never started; its slot is free again", kind.name, row.occurrence
            )
            tasks_lost(kind.task.name, [row.occurrence])


def _claim(kind: Kind, now: Any, *, force: bool, actor: User | None) -> str | None:
    """Take the kind's one slot (due, or asked for with `force`) and return the occurrence's token;
    None when an occurrence is already queued or running, or it is not due."""
    token = uuid.uuid4().hex
    due = Schedule.objects.filter(kind=kind.name, occurrence="")
    if not force:
        due = due.filter(next_run__lte=now)
    claimed = due.update(
        occurrence=token,
        enqueued_at=now,
        started_at=None,
        beat_at=None,
        next_run=now + kind.every,
        requested_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return token if claimed else None


def _enqueue(kind: Kind, *, force: bool = False, actor: User | None = None) -> str | None:
    now = timezone.now()
    _row(kind, now)
    _settle_lost(kind, now)
    # The claim and the queue's row commit together (the database backend keeps its queue in this
    # database): a crash between them leaves neither, so a claimed slot always has its task.
    with transaction.atomic():
        token = _claim(kind, now, force=force, actor=actor)
        if token is not None:
            kind.task.enqueue(token)
    return token


def schedules_tick() -> list[str]:
    """Enqueue every kind that is due and has no live occurrence; the kinds enqueued. Run by each
    worker every SCHEDULE_TICK_SECONDS; any number of them may run it at once."""
    return [name for name, kind in kinds().items() if _enqueue(kind) is not None]


def schedule_run_now(name: str, *, actor: User | None = None) -> bool:
    """Queue an occurrence of `name` now, for `actor`; False when one is queued or running already."""
    return _enqueue(kinds()[name], force=True, actor=actor) is not None


def schedule_claim(name: str, *, actor: User | None = None) -> str | None:
    """The slot of `name` for work run in this process (a cron command), or None when taken."""
    kind = kinds()[name]
    now = timezone.now()
    _row(kind, now)
    _settle_lost(kind, now)
    return _claim(kind, now, force=True, actor=actor)


def schedule_occurrence(name: str, token: str, work: Work) -> str:
    """Run one occurrence of `name`: nothing when `token` is no longer the kind's occurrence (run
    twice, or taken for lost) or has started already (a queue that hands a task out twice); else
    `work`, its outcome recorded on the row (an error re-raised, so the task result keeps it too)."""
    now = timezone.now()
    started = Schedule.objects.filter(kind=name, occurrence=token, started_at__isnull=True).update(
        started_at=now, beat_at=now, last_started_at=now
    )
    if not started:
        return "Not run: this occurrence is no longer the current one."
    row = Schedule.objects.select_related("requested_by").get(kind=name)

    def beat() -> None:
        Schedule.objects.filter(kind=name, occurrence=token).update(beat_at=timezone.now())

    try:
        message = work(beat, row.requested_by)
    except Exception as exc:  # recorded on the row, then raised again for the task result
        _finish(name, token, Schedule.Outcome.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    _finish(name, token, Schedule.Outcome.OK, message)
    return message


def _finish(name: str, token: str, outcome: str, message: str) -> None:
    Schedule.objects.filter(kind=name, occurrence=token).update(
        occurrence="",
        started_at=None,
        beat_at=None,
        last_finished_at=timezone.now(),
        last_outcome=outcome,
        last_message=message[:2000],
    )


def schedule_state(name: str) -> str:
    """ "queued", "running" or "" for the kind's current occurrence."""
    row = Schedule.objects.filter(kind=name).exclude(occurrence="").first()
    if row is None:
        return ""
    return "running" if row.started_at else "queued"


# -- the Background work page --------------------------------------------------------------------


@dataclass(frozen=True)
class KindStatus:
    kind: Kind
    row: Schedule | None

    @property
    def state(self) -> str:
        if self.row is None or not self.row.occurrence:
            return ""
        return "running" if self.row.started_at else "queued"


@dataclass(frozen=True)
class QueuedTask:
    name: str
    status: str
    enqueued_at: Any
    started_at: Any
    finished_at: Any
    arguments: str
    error: str


def background_overview() -> list[KindStatus]:
    rows = {row.kind: row for row in Schedule.objects.all()}
    return [KindStatus(kind, rows.get(name)) for name, kind in kinds().items()]


def _database_queue() -> Any:
    """The database backend's task results, or None when another backend keeps the queue."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if not isinstance(backend, DatabaseBackend):
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(backend_name=backend.alias)


def _described(result: Any) -> QueuedTask:
    kwargs = result.args_kwargs.get("kwargs", {})
    args = result.args_kwargs.get("args", []) + [f"{key}={value}" for key, value in kwargs.items()]
    error = ""
    if result.status == "FAILED":
        lines = [line for line in result.traceback.strip().splitlines() if line.strip()]
        error = lines[-1] if lines else result.exception_class_path
    return QueuedTask(
        name=result.task_path.rsplit(".", 1)[-1].replace("_", " "),
        status=result.status.lower(),
        enqueued_at=result.enqueued_at,
        started_at=result.started_at,
        finished_at=result.finished_at,
        arguments=", ".join(str(arg) for arg in args)[:120],
        error=error[:500],
    )


def queue_now() -> list[QueuedTask] | None:
    """What is queued and running now (None when the queue is not in this database)."""
    results = _database_queue()
    if results is None:
        return None
    live = results.filter(status__in=["READY", "RUNNING"]).order_by("-status", "enqueued_at")[:50]
    return [_described(result) for result in live]


def recent_failures(limit: int = 20) -> list[QueuedTask]:
    """The newest failed tasks, each with the last line of its error (kept until pruned)."""
    results = _database_queue()
    if results is None:
        return []
    return [_described(result) for result in results.filter(status="FAILED").order_by("-finished_at")[:limit]]


def prune_task_results() -> str:
    """Delete finished task results older than TASK_RESULTS_KEEP_DAYS (failed ones after
    TASK_FAILURES_KEEP_DAYS, so their errors stay readable meanwhile)."""
    results = _database_queue()
    if results is None:
        return "The queue is not in this database: its backend prunes its own results."
    now = timezone.now()
    done, _ = results.filter(
        status="SUCCESSFUL", finished_at__lt=now - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    ).delete()
    failed, _ = results.filter(
        Q(status="FAILED"), finished_at__lt=now - timedelta(days=settings.TASK_FAILURES_KEEP_DAYS)
    ).delete()
    return f"Pruned {done} successful and {failed} failed task results."
