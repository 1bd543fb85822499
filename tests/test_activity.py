"""The activity page: the audit log for everyone with the permission, filtered and paginated."""

from __future__ import annotations

import pytest

from dashboard.models import AuditEntry
from dashboard.services.audit import FieldChange, audit_record
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db


def entries(actor, n, **kwargs):
    for i in range(n):
        audit_record(
            actor=actor, action=AuditEntry.Action.CLIENT_UPDATE, outcome=kwargs.get("outcome", "saved"),
            client_id=kwargs.get("client_id", 1000 + i),
            changes=[FieldChange("companyName", "Old", f"New {i}")],
        )  # fmt: skip


def test_newest_first_and_paginated(manager_client, support):
    entries(support, 60)
    response = manager_client.get("/activity/")
    body = response.content.decode()
    assert "Showing 1–50 of 60 entries" in body
    assert body.index("New 59") < body.index("New 58")
    page2 = manager_client.get("/activity/?page=2").content.decode()
    assert "Showing 51–60 of 60 entries" in page2 and "New 0" in page2


def test_filters(manager_client, support, admin_user):
    entries(support, 3, client_id=42)
    entries(admin_user, 2, client_id=43, outcome="conflict")
    assert manager_client.get("/activity/?actor=sam.support").context["page"].paginator.count == 3
    assert manager_client.get("/activity/?client_id=43").context["page"].paginator.count == 2
    assert manager_client.get("/activity/?outcome=conflict").context["page"].paginator.count == 2
    assert (
        manager_client.get("/activity/?since=2000-01-01&until=2999-01-01").context["page"].paginator.count
        == 5
    )
    assert manager_client.get("/activity/?until=2000-01-01").context["page"].paginator.count == 0
    bad = manager_client.get("/activity/?client_id=abc&outcome=conflict")
    assert bad.status_code == 200 and "client_id" in bad.context["form"].errors
    assert bad.context["page"].paginator.count == 2


def test_htmx_gets_the_results_only(manager_client):
    response = manager_client.get("/activity/", headers={"HX-Request": "true"})
    assert response.content.decode().lstrip().startswith('<section id="activity-results"')


def test_only_staff_with_the_permission(nobody, client):
    assert logged_in(nobody).get("/activity/").status_code == 403
    assert client.get("/activity/").status_code == 302


def test_entries_are_read_only_in_the_admin(admin_client_, support):
    entries(support, 1)
    entry = AuditEntry.objects.get()
    assert admin_client_.get(f"/admin/dashboard/auditentry/{entry.pk}/change/").status_code == 200
    assert admin_client_.post(f"/admin/dashboard/auditentry/{entry.pk}/delete/").status_code == 403
    assert admin_client_.get("/admin/dashboard/auditentry/add/").status_code == 403
    assert AuditEntry.objects.count() == 1
