"""Needs attention: each rule against the sandbox (found, not found, resolved by itself, reopened,
snoozed until a date), the shared request budget, and scans that stop cleanly."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import ClientSummary, Group, ServiceUpdate
from dashboard.models import (
    AttentionScan,
    AuditEntry,
    BulkChange,
    BulkItem,
    DriftEntry,
    DriftRun,
    Finding,
    RequestBudget,
)
from dashboard.services.attention import (
    attention_scan,
    budget_take,
    finding_assign,
    finding_resolve,
    finding_snooze,
    finding_text,
    findings_counts,
    findings_query,
)

pytestmark = pytest.mark.django_db
Rule, State = Finding.Rule, Finding.State


@pytest.fixture(autouse=True)
def _roomy_budget(settings):
    settings.ATTENTION_MAX_REQUESTS_PER_MINUTE = 100_000
    settings.ATTENTION_SLICE = 10_000


def scan(rule: str) -> AttentionScan:
    state = attention_scan(rule=rule)
    assert state.message == ""
    return state


def open_findings(rule: str) -> dict[str, Finding]:
    return {f"{f.client_id}/{f.subject}": f for f in findings_query(rule=rule, state=State.OPEN)}


def api(sandbox, path: str):
    from django.conf import settings

    headers = {"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"}
    return sandbox.handle("GET", path, headers=headers).json()


# -- services due for deletion --------------------------------------------------------------------------


def test_deletion_due_found_and_not_found(sandbox) -> None:
    state = scan(Rule.DELETION_DUE)
    found = open_findings(Rule.DELETION_DUE)
    assert found and state.last_complete_at is not None
    now = timezone.now()
    for finding in found.values():
        service = next(
            s
            for s in api(sandbox, f"/iam/clients/{finding.client_id}/services")
            if s["id"] == finding.details["service_id"]
        )
        assert service["status"] in ("paused", "trialend")
        assert finding.due_at is not None and finding.due_at <= now + timedelta(days=14)
        assert "will be deleted on" in finding_text(finding)
    # A client with no paused or ended service is not in the queue.
    quiet = next(
        cid
        for cid in sandbox.client_ids()
        if not any(
            s["status"] in ("paused", "trialend") for s in api(sandbox, f"/iam/clients/{cid}/services")
        )
    )
    assert not Finding.objects.filter(rule=Rule.DELETION_DUE, client_id=quiet).exists()


def test_deletion_due_resolves_itself_and_reopens_with_its_history(sandbox) -> None:
    scan(Rule.DELETION_DUE)
    finding = next(iter(open_findings(Rule.DELETION_DUE).values()))
    service_id = finding.details["service_id"]
    get_gcore_client().update_service(finding.client_id, service_id, ServiceUpdate(status="active"))
    scan(Rule.DELETION_DUE)
    finding.refresh_from_db()
    assert finding.state == State.RESOLVED and finding.resolved_by_scan and finding.resolved_by is None

    # Paused again: Gcore gives it a deletion date (the sandbox: 30 days on), found with a wider window.
    get_gcore_client().update_service(finding.client_id, service_id, ServiceUpdate(status="paused"))
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "ATTENTION_DELETION_DAYS", 60)
        scan(Rule.DELETION_DUE)
    finding.refresh_from_db()
    assert finding.state == State.OPEN and not finding.resolved_by_scan
    history = list(
        AuditEntry.objects.filter(details__finding=finding.pk).order_by("id").values_list("action", flat=True)
    )
    assert history == ["finding.found", "finding.gone", "finding.reopen"]


def test_a_snoozed_finding_stays_asleep_until_its_date(sandbox, support) -> None:
    scan(Rule.DELETION_DUE)
    finding = next(iter(open_findings(Rule.DELETION_DUE).values()))
    until = timezone.localdate() + timedelta(days=3)
    finding_snooze(finding=finding, until=until, note="Customer pays Monday", actor=support, ip_address=None)
    scan(Rule.DELETION_DUE)  # still there upstream: stays snoozed
    finding.refresh_from_db()
    assert finding.state == State.SNOOZED and finding.note == "Customer pays Monday"
    assert finding.pk not in {f.pk for f in findings_query(state=State.OPEN)}
    assert finding.pk in {f.pk for f in findings_query(state=State.SNOOZED)}
    on_the_day = findings_query(state=State.OPEN, today=until)
    assert finding.pk in {f.pk for f in on_the_day}
    assert AuditEntry.objects.filter(action="finding.snooze", details__finding=finding.pk).exists()


def test_resolving_by_hand_then_seen_again_reopens(sandbox, support) -> None:
    scan(Rule.DELETION_DUE)
    finding = next(iter(open_findings(Rule.DELETION_DUE).values()))
    finding_assign(finding=finding, assignee=support, actor=support, ip_address=None)
    finding_resolve(finding=finding, note="Told the customer", actor=support, ip_address=None)
    finding.refresh_from_db()
    assert finding.state == State.RESOLVED and finding.resolved_by == support
    scan(Rule.DELETION_DUE)  # Gcore still shows it
    finding.refresh_from_db()
    assert finding.state == State.OPEN and finding.assignee == support


# -- long trials ----------------------------------------------------------------------------------------


def test_long_trial_found_not_found_gone_and_back(sandbox, settings) -> None:
    scan(Rule.LONG_TRIAL)
    found = open_findings(Rule.LONG_TRIAL)
    assert found
    for finding in found.values():
        assert "in trial since" in finding_text(finding)
    settings.ATTENTION_TRIAL_DAYS = 100_000  # no trial is that long: every finding goes
    scan(Rule.LONG_TRIAL)
    assert not open_findings(Rule.LONG_TRIAL)
    assert Finding.objects.filter(rule=Rule.LONG_TRIAL, resolved_by_scan=True).count() == len(found)
    settings.ATTENTION_TRIAL_DAYS = 30
    scan(Rule.LONG_TRIAL)
    assert set(open_findings(Rule.LONG_TRIAL)) == set(found)


def test_a_trial_ended_by_hand_resolves_itself(sandbox) -> None:
    scan(Rule.LONG_TRIAL)
    finding = next(iter(open_findings(Rule.LONG_TRIAL).values()))
    service = ServiceUpdate(status="active")
    get_gcore_client().update_service(finding.client_id, finding.details["service_id"], service)
    scan(Rule.LONG_TRIAL)
    finding.refresh_from_db()
    assert finding.state == State.RESOLVED and finding.resolved_by_scan


# -- clients without an active administrator ------------------------------------------------------------


def test_no_admin_found_and_resolved_when_an_admin_is_made(sandbox) -> None:
    scan(Rule.NO_ADMIN)
    found = open_findings(Rule.NO_ADMIN)
    assert found
    for finding in found.values():
        assert api(sandbox, f"/iam/clients/{finding.client_id}")["has_active_admin"] is False
    with_admin = next(cid for cid in sandbox.client_ids() if sandbox.client_json(cid)["has_active_admin"])
    assert f"{with_admin}/" not in found
    # Make an activated user of one of them its administrator.
    client_id, user_id = next(
        (f.client_id, u["id"])
        for f in found.values()
        for u in sandbox.client_json(f.client_id)["users"]
        if u["activated"] and not u["deleted"]
    )
    get_gcore_client().set_user_role(client_id, user_id, Group(id=1, name="Administrators"))
    scan(Rule.NO_ADMIN)
    finding = Finding.objects.get(rule=Rule.NO_ADMIN, client_id=client_id)
    assert finding.state == State.RESOLVED and finding.resolved_by_scan


# -- users who never activated --------------------------------------------------------------------------


def test_unactivated_users_found_and_gone_when_removed(sandbox) -> None:
    scan(Rule.UNACTIVATED_USER)
    found = open_findings(Rule.UNACTIVATED_USER)
    assert found
    finding = next(iter(found.values()))
    user = next(
        u for u in sandbox.client_json(finding.client_id)["users"] if u["id"] == finding.details["user_id"]
    )
    assert user["activated"] is False
    assert finding_text(finding).endswith("never activated")
    get_gcore_client().revoke_access(finding.client_id, finding.details["user_id"])
    scan(Rule.UNACTIVATED_USER)
    finding.refresh_from_db()
    assert finding.state == State.RESOLVED and finding.resolved_by_scan


def test_an_invitation_the_dashboard_sent_gives_the_age(sandbox) -> None:
    scan(Rule.UNACTIVATED_USER)
    finding = next(iter(open_findings(Rule.UNACTIVATED_USER).values()))
    entry = AuditEntry.objects.create(
        action="user.invite", outcome="saved", client_id=finding.client_id, user_id=finding.details["user_id"]
    )
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=9))
    scan(Rule.UNACTIVATED_USER)
    finding.refresh_from_db()
    assert "(invited 9 days ago)" in finding_text(finding)


# -- API tokens that expire soon ------------------------------------------------------------------------


def test_expiring_tokens_found_gone_when_revoked_and_back_with_a_wider_window(sandbox, settings) -> None:
    scan(Rule.TOKEN_EXPIRING)
    found = open_findings(Rule.TOKEN_EXPIRING)
    assert found
    now = timezone.now()
    for finding in found.values():
        assert finding.due_at is not None and now < finding.due_at <= now + timedelta(days=14)
    finding = next(iter(found.values()))
    get_gcore_client().revoke_token(finding.client_id, finding.details["token_id"])
    settings.ATTENTION_TOKEN_DAYS = 0
    scan(Rule.TOKEN_EXPIRING)
    assert not open_findings(Rule.TOKEN_EXPIRING)
    settings.ATTENTION_TOKEN_DAYS = 14
    scan(Rule.TOKEN_EXPIRING)
    assert set(open_findings(Rule.TOKEN_EXPIRING)) == set(found) - {f"{finding.client_id}/{finding.subject}"}
    finding.refresh_from_db()
    assert finding.state == State.RESOLVED


def test_the_token_rule_walks_the_base_in_slices(sandbox, settings) -> None:
    settings.ATTENTION_SLICE = 250
    live = sandbox.matching_count(deleted=False)
    runs = 0
    while True:
        state = scan(Rule.TOKEN_EXPIRING)
        runs += 1
        if state.cursor == 0:
            break
    assert runs == -(-live // 250)
    assert state.last_complete_at is not None


# -- the dashboard's own records ------------------------------------------------------------------------


def test_billing_drift_comes_from_the_last_drift_list() -> None:
    run = DriftRun.objects.create(state=DriftRun.State.DONE)
    DriftEntry.objects.create(
        run=run, gcore_client_id=7, spp_client_id=9, company_name="Acme", differences=[{"label": "Phone"}]
    )
    scan(Rule.BILLING_DRIFT)
    (finding,) = open_findings(Rule.BILLING_DRIFT).values()
    assert finding.client_id == 7 and finding_text(finding) == "Gcore and SPP differ in Phone"
    DriftRun.objects.create(state=DriftRun.State.DONE)  # the next list: no drift left
    scan(Rule.BILLING_DRIFT)
    finding.refresh_from_db()
    assert finding.state == State.RESOLVED and finding.resolved_by_scan


def test_bulk_items_failed_or_in_doubt() -> None:
    bulk = BulkChange.objects.create(service="CDN", status="paused", state=BulkChange.State.DONE)
    failed = BulkItem.objects.create(bulk=bulk, position=0, client_id=5, state=BulkItem.State.FAILED)
    BulkItem.objects.create(bulk=bulk, position=1, client_id=6, state=BulkItem.State.UNKNOWN)
    BulkItem.objects.create(bulk=bulk, position=2, client_id=8, state=BulkItem.State.CHANGED)
    scan(Rule.BULK_FAILED)
    assert {f.client_id for f in open_findings(Rule.BULK_FAILED).values()} == {5, 6}
    failed.delete()
    scan(Rule.BULK_FAILED)
    assert {f.client_id for f in open_findings(Rule.BULK_FAILED).values()} == {6}


def test_counts_per_rule() -> None:
    bulk = BulkChange.objects.create(service="CDN", status="paused", state=BulkChange.State.DONE)
    BulkItem.objects.create(bulk=bulk, position=0, client_id=5, state=BulkItem.State.FAILED)
    scan(Rule.BULK_FAILED)
    counts = findings_counts()
    assert counts[Rule.BULK_FAILED] == 1 and counts[Rule.NO_ADMIN] == 0


# -- the shared budget ----------------------------------------------------------------------------------


def test_a_spent_budget_stops_the_scan_cleanly_and_the_next_run_goes_on(sandbox, settings) -> None:
    settings.ATTENTION_MAX_REQUESTS_PER_MINUTE = 3  # not even the first page of every filter's list
    first = attention_scan(rule=Rule.DELETION_DUE)
    assert first.message.startswith("Stopped: the request budget") and first.last_complete_at is None
    settings.ATTENTION_MAX_REQUESTS_PER_MINUTE = 100_000  # the next minute
    done = attention_scan(rule=Rule.DELETION_DUE)
    assert done.message == "" and done.last_complete_at is not None and done.cursor == 0


def cut_short(rule: str, settings, requests: int) -> AttentionScan:
    """One run of `rule` with only `requests` left in this minute's budget."""
    RequestBudget.objects.all().delete()
    settings.ATTENTION_MAX_REQUESTS_PER_MINUTE = requests
    state = attention_scan(rule=rule)
    assert state.message.startswith("Stopped: the request budget") and state.cursor > 0
    settings.ATTENTION_MAX_REQUESTS_PER_MINUTE = 100_000
    return state


def make_admin(client_id: int, sandbox) -> None:
    user = next(u for u in sandbox.client_json(client_id)["users"] if u["activated"] and not u["deleted"])
    get_gcore_client().set_user_role(client_id, user["id"], Group(id=1, name="Administrators"))


def test_a_pass_cut_short_resolves_only_what_it_reached(sandbox, settings) -> None:
    scan(Rule.NO_ADMIN)  # a complete pass
    page = get_gcore_client().list_clients(
        filters={"deleted": False}, ordering="id", limit=100, offset=0, model=ClientSummary
    )
    first_page = {summary.id for summary in page.results}
    fixable = [
        f
        for f in Finding.objects.filter(rule=Rule.NO_ADMIN).order_by("client_id")
        if any(u["activated"] and not u["deleted"] for u in sandbox.client_json(f.client_id)["users"])
    ]
    near = next(f for f in fixable if f.client_id in first_page)
    far = fixable[-1]
    assert far.client_id not in first_page
    make_admin(near.client_id, sandbox)
    make_admin(far.client_id, sandbox)
    before = dict(Finding.objects.filter(rule=Rule.NO_ADMIN).values_list("pk", "last_seen_at"))

    state = cut_short(Rule.NO_ADMIN, settings, requests=1)  # the first page of the list only
    assert state.cursor == 100 and state.last_complete_at is not None
    near.refresh_from_db()
    far.refresh_from_db()
    assert near.state == State.RESOLVED and near.resolved_by_scan  # reached: gone at once
    assert far.state == State.OPEN  # not reached: left alone
    for finding in Finding.objects.filter(rule=Rule.NO_ADMIN).exclude(pk=near.pk):
        assert finding.state == State.OPEN
        # What the run reached is seen again (recorded before it stopped); the rest is untouched.
        assert (finding.last_seen_at > before[finding.pk]) == (finding.client_id in first_page)

    done = scan(Rule.NO_ADMIN)  # the rest of the pass: complete
    assert done.cursor == 0
    far.refresh_from_db()
    assert far.state == State.RESOLVED and far.resolved_by_scan
    gone = AuditEntry.objects.filter(action="finding.gone", details__rule=Rule.NO_ADMIN).order_by("client_id")
    assert list(gone.values_list("client_id", flat=True)) == [near.client_id, far.client_id]


def test_a_services_pass_cut_short_leaves_what_it_did_not_reach(sandbox, settings) -> None:
    scan(Rule.DELETION_DUE)
    last = Finding.objects.filter(rule=Rule.DELETION_DUE).order_by("client_id").last()
    assert last is not None
    service = ServiceUpdate(status="active")
    get_gcore_client().update_service(last.client_id, last.details["service_id"], service)

    cut_short(Rule.DELETION_DUE, settings, requests=15)  # the filters' first pages and a few clients
    last.refresh_from_db()
    assert last.state == State.OPEN  # gone at Gcore, but this run did not get there
    assert not Finding.objects.filter(rule=Rule.DELETION_DUE, state=State.RESOLVED).exists()

    while scan(Rule.DELETION_DUE).cursor:  # the rest of the pass
        pass
    last.refresh_from_db()
    assert last.state == State.RESOLVED and last.resolved_by_scan
    assert list(Finding.objects.filter(rule=Rule.DELETION_DUE, state=State.RESOLVED)) == [last]


def test_a_complete_pass_over_many_batches_resolves_what_it_no_longer_sees(sandbox, settings) -> None:
    from dashboard.services import attention

    settings.ATTENTION_TRIAL_DAYS = 0  # every trial is a finding
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(attention, "RECORD_BATCH", 3)  # many small batches
        scan(Rule.LONG_TRIAL)
        found = open_findings(Rule.LONG_TRIAL)
        assert len(found) > 3
        settings.ATTENTION_TRIAL_DAYS = 100_000
        scan(Rule.LONG_TRIAL)
    assert not open_findings(Rule.LONG_TRIAL)
    assert Finding.objects.filter(rule=Rule.LONG_TRIAL, resolved_by_scan=True).count() == len(found)
    assert AuditEntry.objects.filter(action="finding.gone").count() == len(found)


def test_gcore_busy_stops_the_scan_with_a_message(sandbox) -> None:
    sandbox.add_fault("status", status=429, retry_after=0, times=10)
    state = attention_scan(rule=Rule.NO_ADMIN)
    assert state.message.startswith("Stopped: Gcore did not answer (429)")
    assert not Finding.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_budget(settings) -> None:
    settings.ATTENTION_MAX_REQUESTS_PER_MINUTE = 57
    minute = timezone.now()
    taken = [0, 0]
    start = threading.Barrier(2)

    def worker(index: int) -> None:
        start.wait()
        try:
            while budget_take(now=minute):
                taken[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(taken) == 57
    assert budget_take(now=minute + timedelta(minutes=1))  # a new minute, a new budget


def test_snooze_date_in_the_past_is_open() -> None:
    finding = Finding.objects.create(
        rule=Rule.NO_ADMIN,
        client_id=1,
        first_seen_at=timezone.now(),
        last_seen_at=timezone.now(),
        state=State.SNOOZED,
        snoozed_until=date(2000, 1, 1),
    )
    assert finding in findings_query(state=State.OPEN)


def test_a_large_base_gets_larger_slices_to_be_covered_within_the_full_pass(settings) -> None:
    from dashboard.services.attention import slice_size

    settings.ATTENTION_SLICE, settings.ATTENTION_EVERY, settings.ATTENTION_FULL_PASS = 100, 300, 86400
    assert slice_size(None) == slice_size(10_000) == 100  # 288 runs a day x 100 covers 10,000
    assert slice_size(100_000) == 348  # 100,000 / 288 runs, rounded up


def test_each_rule_is_a_schedule_the_workers_run(sandbox, admin_user) -> None:
    from dashboard.models import Schedule
    from dashboard.services.schedules import kinds, schedule_run_now

    assert {f"attention_{rule.value}" for rule in Rule} <= set(kinds())
    assert kinds()["attention_no_admin"].every == timedelta(seconds=300)
    assert schedule_run_now("attention_no_admin", actor=admin_user)  # the immediate backend runs it
    row = Schedule.objects.get(kind="attention_no_admin")
    assert row.last_outcome == "ok" and "open; pass complete." in row.last_message
    assert open_findings(Rule.NO_ADMIN)
