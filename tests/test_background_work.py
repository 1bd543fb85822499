"""Recurring work and the Background work page (`/tasks/`): one occurrence per kind, lost ones
noticed, Run now, failures kept with their error. Tasks run at once here (the immediate backend),
or through a real db_worker in this process where the database queue is the point."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from dashboard.models import DriftRun, Schedule
from dashboard.services.schedules import schedule_run_now, schedules_tick

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# One schedule per Needs attention rule (dashboard/tasks.py).
ATTENTION_KINDS = [
    "attention_billing_drift", "attention_bulk_failed", "attention_deletion_due", "attention_long_trial",
    "attention_no_admin", "attention_token_expiring", "attention_unactivated_user",
]  # fmt: skip
ATTENTION_TASKS = [
    "scan_billing_drift", "scan_bulk_failures", "scan_deletion_due", "scan_long_trials",
    "scan_no_admin", "scan_expiring_tokens", "scan_unactivated_users",
]  # fmt: skip


def queued_tasks():
    from django_tasks import default_task_backend

    return [(result.task.name, result.args) for result in default_task_backend.results]


@pytest.mark.django_db
def test_each_kind_is_queued_once_when_due_and_not_again_while_it_waits(monkeypatch):
    with override_settings(TASKS=DUMMY):
        first = schedules_tick()
        # A kind seen for the first time is due.
        assert sorted(first) == sorted(["bulk_sweep", "drift", "gcore_activity", "prune", *ATTENTION_KINDS])
        assert schedules_tick() == []  # queued, not yet run: nothing piles up
        Schedule.objects.update(next_run=timezone.now() - timedelta(hours=1))  # due again, still queued
        assert schedules_tick() == []
        assert not schedule_run_now("drift")  # Run now does not add a second one either
        assert sorted(name for name, _ in queued_tasks()) == sorted(
            [
                "build_drift_list",
                "index_gcore_activity",
                "prune_task_results",
                "sweep_bulk_changes",
                *ATTENTION_TASKS,
            ]
        )


@pytest.mark.django_db
def test_an_occurrence_whose_worker_died_is_recorded_as_lost_and_queued_again():
    with override_settings(TASKS=DUMMY):
        schedules_tick()
        long_ago = timezone.now() - timedelta(hours=1)
        # Its worker started it, then was killed: no heartbeat since.
        Schedule.objects.filter(kind="prune").update(started_at=long_ago, beat_at=long_ago, next_run=long_ago)
        assert schedules_tick() == ["prune"]
        row = Schedule.objects.get(kind="prune")
        assert row.last_outcome == "lost" and row.occurrence and row.started_at is None
        assert len(queued_tasks()) == 5 + len(ATTENTION_KINDS)


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_drift_build_records_its_outcome_and_a_stale_token_does_nothing(sandbox, spp_sandbox):
    from dashboard.tasks import build_drift_list

    assert schedule_run_now("drift")  # run at once here (immediate backend)
    row = Schedule.objects.get(kind="drift")
    assert row.last_outcome == "ok" and "linked clients compared" in row.last_message
    assert row.occurrence == "" and row.next_run > timezone.now() + timedelta(hours=23)
    assert DriftRun.objects.get().state == "done"
    build_drift_list.enqueue("a-token-that-is-not-current")  # run twice, say: nothing happens
    assert DriftRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_task_is_kept_with_its_error_on_the_page(admin_client_, sandbox, spp_sandbox):
    """Through the database queue and a real worker loop (db_worker --batch, in this process)."""
    spp_sandbox.add_fault("status", status=503, times=50)
    with override_settings(TASKS=DATABASE):
        assert schedule_run_now("drift")
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        row = Schedule.objects.get(kind="drift")
        assert row.last_outcome == "failed" and row.occurrence == ""
        page = admin_client_.get("/tasks/")
        body = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert "Billing drift list" in body and "Failed" in body
    failures = page.context["failures"]
    assert [task.name for task in failures] == ["build drift list"]
    assert "DriftFailed: " in failures[0].error
    assert failures[0].error in body  # the failure, kept with its error


@pytest.mark.django_db
def test_the_page_is_for_administrators_and_run_now_refuses_an_unknown_kind(
    admin_client_, manager_client, support_client
):
    for http in (manager_client, support_client):
        assert http.get("/tasks/").status_code == 403
        assert http.post("/tasks/", {"kind": "prune"}).status_code == 403
    assert not Schedule.objects.exclude(occurrence="").exists()
    with override_settings(TASKS=DUMMY):
        response = admin_client_.post("/tasks/", {"kind": "rm -rf"})
        assert response.status_code == 422
        assert "No such kind of work" in response.content.decode()
        twice = "kind=prune&kind=drift"
        response = admin_client_.post("/tasks/", twice, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400 and "nothing was queued" in response.content.decode()
        assert queued_tasks() == []
        response = admin_client_.post("/tasks/", {"kind": "prune"}, follow=True)
        body = html.unescape(response.content.decode())
        assert "Pruning old task results: queued" in body and "queued" in body
        response = admin_client_.post("/tasks/", {"kind": "prune"}, follow=True)
        assert "already queued or running" in html.unescape(response.content.decode())
        assert len(queued_tasks()) == 1
    body = html.unescape(admin_client_.get("/tasks/").content.decode())
    assert "1 day" in body and "DRIFT_EVERY" in body and "Run now" in body


@pytest.mark.django_db
def test_old_task_results_are_pruned_failed_ones_kept_longer():
    from django_tasks_db.models import DBTaskResult

    from dashboard.services.schedules import prune_task_results

    old = timezone.now() - timedelta(days=20)
    common = {"args_kwargs": {"args": [], "kwargs": {}}, "task_path": "dashboard.tasks.run_bulk_change"}
    common |= {"backend_name": "default", "run_after": old}
    DBTaskResult.objects.create(status="SUCCESSFUL", finished_at=old, **common)
    DBTaskResult.objects.create(status="FAILED", finished_at=old, **common)
    DBTaskResult.objects.create(status="SUCCESSFUL", finished_at=timezone.now(), **common)
    with override_settings(TASKS=DATABASE):
        assert prune_task_results() == "Pruned 1 successful and 0 failed task results."
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "SUCCESSFUL"]


@pytest.mark.django_db
def test_a_task_left_running_by_a_dead_worker_is_shown_failed_with_why(admin_client_):
    from django_tasks_db.models import DBTaskResult

    long_ago = timezone.now() - timedelta(hours=1)
    with override_settings(TASKS=DATABASE):
        schedules_tick()
        row = Schedule.objects.get(kind="prune")
        result = DBTaskResult.objects.get(task_path="dashboard.tasks.prune_task_results")
        assert result.args_kwargs["args"] == [row.occurrence]
        DBTaskResult.objects.filter(pk=result.pk).update(status="RUNNING", started_at=long_ago)  # taken
        Schedule.objects.filter(kind="prune").update(started_at=long_ago, beat_at=long_ago, next_run=long_ago)
        assert schedules_tick() == ["prune"]  # then died: lost, and queued again
        result.refresh_from_db()
        assert result.status == "FAILED" and "its worker stopped" in result.traceback.lower()
        body = html.unescape(admin_client_.get("/tasks/").content.decode())
    assert "WorkerLost: Its worker stopped before it finished" in body


@pytest.mark.django_db
def test_an_occurrence_whose_task_ended_before_it_started_does_not_hold_the_slot_for_ever(admin_client_):
    """A worker killed after taking the task but before the occurrence said it started (or a task
    that failed before its first line): the slot is freed once the task is no longer waiting, so
    the kind runs again; one still waiting for a free worker keeps it (nothing piles up)."""
    from django_tasks_db.models import DBTaskResult

    long_ago = timezone.now() - timedelta(hours=1)
    with override_settings(TASKS=DATABASE):
        schedules_tick()
        Schedule.objects.update(enqueued_at=long_ago, next_run=long_ago)
        assert schedules_tick() == []  # each still waits for a worker: kept
        assert not schedule_run_now("prune")
        result = DBTaskResult.objects.get(task_path="dashboard.tasks.prune_task_results")
        DBTaskResult.objects.filter(pk=result.pk).update(status="RUNNING", started_at=long_ago)  # then killed
        assert schedules_tick() == ["prune"]
        row = Schedule.objects.get(kind="prune")
        assert row.last_outcome == "lost" and row.occurrence and row.started_at is None
        result.refresh_from_db()
        assert result.status == "FAILED"
        assert DBTaskResult.objects.filter(task_path=result.task_path, status="READY").count() == 1
        # Just queued and already taken by a worker about to start it: not lost.
        Schedule.objects.filter(kind="prune").update(enqueued_at=timezone.now())
        DBTaskResult.objects.filter(task_path=result.task_path, status="READY").update(status="RUNNING")
        assert not schedule_run_now("prune")


@pytest.mark.django_db
def test_an_occurrence_delivered_twice_at_once_runs_once():
    """A queue that may hand a task out twice (another backend's at-least-once delivery): the
    second start of the same occurrence, while the first runs, does nothing."""
    from dashboard.services.schedules import schedule_occurrence

    with override_settings(TASKS=DUMMY):
        schedule_run_now("prune")
        token = Schedule.objects.get(kind="prune").occurrence
        runs: list[str] = []

        def work(beat, actor):
            runs.append("first")
            second = schedule_occurrence("prune", token, lambda beat, actor: runs.append("second") or "")
            return second

        said = schedule_occurrence("prune", token, work)
    assert runs == ["first"] and said.startswith("Not run")
    row = Schedule.objects.get(kind="prune")
    assert row.occurrence == "" and row.last_outcome == "ok"


@pytest.mark.django_db
def test_tick_schedules_once_enqueues_what_is_due_for_another_backend():
    with override_settings(TASKS=DUMMY):
        call_command("tick_schedules", "--once")
        assert len(queued_tasks()) == 4 + len(ATTENTION_KINDS)
        call_command("tick_schedules", "--once")
        assert len(queued_tasks()) == 4 + len(ATTENTION_KINDS)  # nothing piles up
