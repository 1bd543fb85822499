"""The Needs attention queue (`/attention/`): filters, urgency order, counts, CSV export, Assign,
Snooze and Resolve with their audit entries, doctored posts, the header's count, Scan now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.models import AuditEntry, Finding

pytestmark = pytest.mark.django_db
Rule, State = Finding.Rule, Finding.State


def finding(client_id: int, rule: str = Rule.NO_ADMIN, *, due_days: int | None = None, **fields) -> Finding:
    now = timezone.now()
    return Finding.objects.create(
        rule=rule,
        client_id=client_id,
        subject=fields.pop("subject", ""),
        company_name=fields.pop("company_name", f"Company {client_id}"),
        due_at=now + timedelta(days=due_days) if due_days is not None else None,
        first_seen_at=now,
        last_seen_at=now,
        **fields,
    )


def test_the_queue_puts_the_soonest_deletion_first_and_counts_per_rule(manager_client) -> None:
    finding(1)
    paused = {"service": "CDN", "status": "paused", "service_id": 21}
    finding(2, Rule.DELETION_DUE, due_days=9, subject="service:21", details=paused)
    finding(3, Rule.DELETION_DUE, due_days=2, subject="service:31", details=paused)
    finding(4, state=State.RESOLVED)
    response = manager_client.get("/attention/")
    body = response.content.decode()
    assert response.status_code == 200
    assert [row.finding.client_id for row in response.context["rows"]] == [3, 2, 1]
    assert "CDN paused, will be deleted on" in body and "in 2 days" in body
    counts = dict(response.context["counts"])
    assert counts[Rule.DELETION_DUE] == 2 and counts[Rule.NO_ADMIN] == 1
    assert 'href="/attention/?rule=deletion_due"' in body
    # A manager reads; the fix link needs a role that may change services.
    assert "Assign to me" not in body and "not with your role" in body


def test_filters_and_a_bad_filter(support_client, support) -> None:
    finding(1, assignee=support)
    finding(2, Rule.TOKEN_EXPIRING, due_days=3, subject="token:5", details={"name": "ci"})
    finding(3, state=State.RESOLVED)
    get = support_client.get
    assert [r.finding.client_id for r in get("/attention/?assignee=me").context["rows"]] == [1]
    assert [r.finding.client_id for r in get("/attention/?assignee=none").context["rows"]] == [2]
    assert [r.finding.client_id for r in get("/attention/?rule=token_expiring").context["rows"]] == [2]
    assert [r.finding.client_id for r in get("/attention/?state=resolved").context["rows"]] == [3]
    assert len(get("/attention/?state=all").context["rows"]) == 3
    assert [r.finding.client_id for r in get("/attention/?client_id=2").context["rows"]] == [2]
    bad = get("/attention/?client_id=abc&rule=nope&rule=token_expiring")
    assert bad.status_code == 200 and "client_id" in bad.context["form"].errors


def test_htmx_gets_the_results_only(manager_client) -> None:
    response = manager_client.get("/attention/", headers={"HX-Request": "true"})
    assert response.content.decode().lstrip().startswith('<section id="attention-results"')


def test_paginated(manager_client) -> None:
    for i in range(60):
        finding(100 + i)
    assert len(manager_client.get("/attention/").context["rows"]) == 50
    assert len(manager_client.get("/attention/?page=2").context["rows"]) == 10


def test_csv_export_follows_the_filters_and_defuses_formulas(manager_client) -> None:
    finding(1, company_name="=HYPERLINK(1)")
    finding(2, Rule.TOKEN_EXPIRING, due_days=3, subject="token:5", details={"name": "ci"})
    response = manager_client.get("/attention/export.csv?rule=no_admin")
    text = b"".join(response.streaming_content).decode()
    lines = text.strip().splitlines()
    assert response["Content-Type"].startswith("text/csv") and lines[0].startswith("rule,client_id")
    assert len(lines) == 2 and "'=HYPERLINK(1)" in lines[1]


def test_assign_to_myself_snooze_and_resolve_are_in_the_activity_log(support_client, support) -> None:
    item = finding(7)
    response = support_client.post(
        f"/attention/{item.pk}/assign/", {"assignee": "sam.support", "back": "/attention/?rule=no_admin"}
    )
    assert response.status_code == 302 and response["Location"] == "/attention/?rule=no_admin"
    item.refresh_from_db()
    assert item.assignee == support
    header = support_client.get("/clients/").content.decode()
    assert '1<span class="visually-hidden"> assigned to you</span>' in header

    until = timezone.localdate() + timedelta(days=5)
    response = support_client.post(
        f"/attention/{item.pk}/snooze/", {"until": until.isoformat(), "note": "Pays Monday"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == State.SNOOZED and item.snoozed_until == until
    assert item.pk not in [r.finding.pk for r in support_client.get("/attention/").context["rows"]]

    response = support_client.post(f"/attention/{item.pk}/resolve/", {"note": "Admin added"})
    item.refresh_from_db()
    assert item.state == State.RESOLVED and item.resolved_by == support and item.note == "Admin added"
    actions = list(AuditEntry.objects.filter(client_id=7).order_by("id").values_list("action", flat=True))
    assert actions == ["finding.assign", "finding.snooze", "finding.resolve"]


def test_bad_input_keeps_what_was_typed_and_sends_nothing(support_client) -> None:
    item = finding(7)
    response = support_client.post(f"/attention/{item.pk}/snooze/", {"until": "2001-01-01", "note": "typed"})
    assert response.status_code == 422 and "Pick a date after today." in response.content.decode()
    assert "typed" in response.content.decode()
    assert (
        support_client.post(f"/attention/{item.pk}/assign/", {"assignee": "no.such.person"}).status_code
        == 422
    )
    doubled = support_client.post(f"/attention/{item.pk}/resolve/", {"note": ["a", "b"]})
    assert doubled.status_code == 400
    item.refresh_from_db()
    assert item.state == State.OPEN and item.assignee is None
    assert support_client.post("/attention/999999/resolve/", {"note": "x"}).status_code == 404


def test_only_assignable_staff(support_client, manager) -> None:
    item = finding(7)
    assert (
        support_client.post(f"/attention/{item.pk}/assign/", {"assignee": manager.username}).status_code
        == 422
    )


def test_managers_cannot_change_and_only_administrators_scan(
    manager_client, support_client, admin_client_
) -> None:
    item = finding(7)
    assert manager_client.post(f"/attention/{item.pk}/resolve/", {"note": "x"}).status_code == 403
    assert support_client.post("/attention/scan/").status_code == 403
    response = admin_client_.post("/attention/scan/", follow=True)
    assert response.status_code == 200
    assert AttentionScanCount() == len(Rule)
    assert AuditEntry.objects.filter(action="attention.scan", actor_username="ada.admin").exists()


def AttentionScanCount() -> int:  # noqa: N802 - reads as the thing it counts
    from dashboard.models import AttentionScan

    return AttentionScan.objects.filter(last_run_at__isnull=False).count()


def test_the_overview_counts_per_rule_and_the_client_page_lists_its_findings(manager_client, sandbox) -> None:
    client_id = sandbox.client_ids()[0]
    finding(client_id, details={})
    finding(client_id + 1, Rule.BULK_FAILED, subject="bulk-item:1", details={"bulk_id": 1, "state": "failed"})
    overview = manager_client.get("/").content.decode()
    assert 'href="/attention/?rule=no_admin"><span class="stat-number">1</span>' in overview
    detail = manager_client.get(f"/clients/{client_id}/").content.decode()
    assert "No active administrator: nobody can manage the account" in detail
    assert f'href="/attention/?client_id={client_id}"' in detail and "Bulk change 1" not in detail
