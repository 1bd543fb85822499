"""The client's timeline: the dashboard's changes, Gcore's requests about the client, its status
changes and SPP changes in one list; filters, paging, "as of", Refresh; against the sandbox."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.models import AuditEntry, GcoreRequest, GcoreRequestClient, GcoreStatusChange
from dashboard.services.activity_index import activity_index_pass
from dashboard.services.audit import FieldChange, audit_record
from tests.helpers import first_live_client, gcore_call

pytestmark = pytest.mark.django_db

CANARY = "Canary-Pa55word-Tl9x"


def timeline_url(client_id, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/clients/{client_id}/timeline/" + (f"?{query}" if query else "")


def customer_call(sandbox, monkeypatch, method, path, body=None, key="5003$customer-app-secret"):
    """A request made with a customer's own API token (not the dashboard's)."""
    monkeypatch.setattr(sandbox, "token", None)  # the sandbox takes any key, as Gcore takes each customer's
    payload = json.dumps(body).encode() if body is not None else b""
    headers = {"Authorization": f"APIKey {key}", "Content-Type": "application/json"}
    response = sandbox.handle(method, path, "", headers=headers, body=payload)
    monkeypatch.undo()
    assert response.status < 400, response.body
    return response


def a_service(sandbox, client_id):
    status, services = gcore_call(sandbox, "GET", f"/iam/clients/{client_id}/services")
    assert status == 200
    return next(s for s in services if s["status"] in ("active", "trial"))


def test_one_list_newest_first_with_every_source(sandbox, monkeypatch, manager_client, support):
    client_id = first_live_client(sandbox)
    audit_record(
        actor=support, action=AuditEntry.Action.CLIENT_UPDATE, outcome="saved", client_id=client_id,
        changes=[FieldChange("companyName", "Old Co", "New Co")],
    )  # fmt: skip
    audit_record(
        actor=support, action=AuditEntry.Action.BILLING_UPDATE, outcome="saved", client_id=client_id,
        changes=[FieldChange("phone", "1", "2")],
    )  # fmt: skip
    service = a_service(sandbox, client_id)
    path = f"/iam/clients/{client_id}/services/{service['id']}"
    customer_call(sandbox, monkeypatch, "PUT", path, {"status": "paused", "enabled": True})
    activity_index_pass()
    GcoreStatusChange.objects.create(
        id=1, status_change_at=timezone.now() - timedelta(days=1), old_status="trial", new_status="active",
        client=client_id,
    )  # fmt: skip

    response = manager_client.get(timeline_url(client_id))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"PUT service {service['name']}: status paused, enabled yes" in body
    assert "outside the dashboard" in body
    assert "Client edited: companyName" in body and "SPP client edited: phone" in body
    assert "Account status: trial → active" in body
    assert "activity log as of" in body
    rows = response.context["page"].object_list
    assert [row.at for row in rows] == sorted((row.at for row in rows), reverse=True)
    assert {row.source for row in rows} >= {"dashboard", "spp", "gcore", "status"}


def test_the_dashboards_own_requests_are_marked_so(sandbox, manager_client):
    client_id = first_live_client(sandbox)
    gcore_call(sandbox, "PATCH", f"/iam/clients/{client_id}", {"custom_id": "from-the-dashboard"})
    activity_index_pass()
    rows = manager_client.get(timeline_url(client_id, source="gcore")).context["page"].object_list
    ours = next(row for row in rows if row.request.method == "PATCH" and "from-the-dashboard" in row.what)
    assert not ours.outside


def test_filters_by_source_origin_and_dates(sandbox, monkeypatch, manager_client, support):
    client_id = first_live_client(sandbox)
    audit_record(actor=support, action=AuditEntry.Action.CLIENT_UPDATE, outcome="saved", client_id=client_id)
    gcore_call(sandbox, "GET", f"/iam/clients/{client_id}")
    customer_call(sandbox, monkeypatch, "GET", f"/iam/clients/{client_id}/services")
    activity_index_pass()

    def sources(**params):
        page = manager_client.get(timeline_url(client_id, **params)).context["page"]
        return [row.source for row in page.object_list], [row.outside for row in page.object_list]

    assert set(sources(source="dashboard")[0]) == {"dashboard"}
    kinds, outside = sources(origin="outside")
    assert set(kinds) == {"gcore"} and all(outside)
    today = timezone.localdate()
    assert sources(since=today + timedelta(days=1))[0] == []
    assert "dashboard" in sources(since=today, until=today)[0]
    # A malformed date is shown on its field and left out; the rest still applies.
    response = manager_client.get(timeline_url(client_id, since="yesterday", source="dashboard"))
    assert response.status_code == 200 and response.context["form"].errors["since"]
    assert set(sources(since="yesterday", source="dashboard")[0]) == {"dashboard"}


def test_dates_at_the_calendars_edge_bound_nothing_instead_of_failing(sandbox, manager_client, support):
    client_id = first_live_client(sandbox)
    audit_record(
        actor=support, action=AuditEntry.Action.CLIENT_UPDATE, outcome="saved", client_id=client_id,
        changes=[FieldChange("companyName", "Old Co", "Edge Co")],
    )  # fmt: skip
    for url in (
        timeline_url(client_id, until="9999-12-31"),
        timeline_url(client_id, since="0001-01-01", until="9999-12-30"),
        "/activity/gcore/?until=9999-12-31&since=0001-01-01",
    ):
        response = manager_client.get(url)
        assert response.status_code == 200, url
    assert "Edge Co" in manager_client.get(timeline_url(client_id, until="9999-12-31")).content.decode()


def test_paged_and_htmx_answers_the_results_alone(sandbox, manager_client, support):
    client_id = first_live_client(sandbox)
    for n in range(60):
        audit_record(
            actor=support, action=AuditEntry.Action.CLIENT_UPDATE, outcome="saved", client_id=client_id,
            changes=[FieldChange("custom_id", "", f"n{n}")],
        )  # fmt: skip
    page = manager_client.get(timeline_url(client_id, source="dashboard")).context["page"]
    assert page.paginator.count == 60 and len(page.object_list) == 50
    second = manager_client.get(
        timeline_url(client_id, source="dashboard", page=2), headers={"HX-Request": "true"}
    )
    body = second.content.decode()
    assert body.lstrip().startswith('<section id="timeline-results"') and "Showing 51–60 of 60" in body
    assert "HX-Request" in second["Vary"]


def test_the_client_page_has_the_timeline_section(sandbox, manager_client, support):
    client_id = first_live_client(sandbox)
    audit_record(actor=support, action=AuditEntry.Action.CLIENT_UPDATE, outcome="saved", client_id=client_id)
    page = manager_client.get(f"/clients/{client_id}/").content.decode()
    assert 'id="client-timeline"' in page and f'href="/clients/{client_id}/timeline/"' in page
    section = manager_client.get(
        timeline_url(client_id), headers={"HX-Request": "true", "HX-Target": "client-timeline"}
    ).content.decode()
    assert section.lstrip().startswith('<section id="client-timeline"') and "Client edited" in section
    assert "Refresh" not in section


def test_refresh_indexes_now_for_support_not_for_managers(sandbox, manager_client, support_client):
    client_id = first_live_client(sandbox)
    assert "has not been read through yet" in manager_client.get(timeline_url(client_id)).content.decode()
    assert "Refresh" not in manager_client.get(timeline_url(client_id)).content.decode()
    assert manager_client.post(timeline_url(client_id)).status_code == 403
    assert not GcoreRequest.objects.exists()
    response = support_client.post(timeline_url(client_id, source="gcore"), {"junk": "x" * 5000})
    assert response.status_code == 303 and response["Location"] == timeline_url(client_id, source="gcore")
    assert GcoreRequest.objects.exists()
    assert "activity log as of" in support_client.get(timeline_url(client_id)).content.decode()


def test_ten_thousand_entries_in_the_account_take_a_bounded_number_of_queries(
    sandbox, manager_client, django_assert_max_num_queries
):
    client_id = first_live_client(sandbox)
    now = timezone.now()

    def owner(n):  # one entry in ten is this client's; the rest another's
        return client_id if n % 10 == 0 else 7

    requests = [
        GcoreRequest(
            id=n, requested_at=now - timedelta(minutes=n), path=f"/iam/clients/{owner(n)}",
            method="GET", status_code=200, user_email="someone@example.com",
        )
        for n in range(1, 10_001)
    ]  # fmt: skip
    GcoreRequest.objects.bulk_create(requests, batch_size=2000)
    GcoreRequestClient.objects.bulk_create(
        [
            GcoreRequestClient(request_id=r.id, client_id=owner(r.id), requested_at=r.requested_at)
            for r in requests
        ],
        batch_size=2000,
    )  # fmt: skip
    manager_client.get(timeline_url(client_id))  # the session, the permission set: warmed
    with django_assert_max_num_queries(12):
        response = manager_client.get(timeline_url(client_id, page=3))
    assert response.context["page"].paginator.count == 1000
    assert len(response.context["page"].object_list) == 50


def test_a_password_sent_to_gcore_never_reaches_a_page_or_a_log(
    sandbox, monkeypatch, manager_client, support_client, caplog
):
    caplog.set_level(logging.DEBUG)
    client_id = first_live_client(sandbox)
    gcore_call(
        sandbox, "POST", "/iam/users", {"email": "canary@newco.example", "password": CANARY, "company": "C"}
    )
    customer_call(
        sandbox, monkeypatch, "PATCH", f"/iam/clients/{client_id}",
        {"custom_id": "x", "api_key": CANARY, "nested": {"secret": CANARY}},
    )  # fmt: skip
    support_client.post(timeline_url(client_id))  # Refresh: indexes
    pages = [
        timeline_url(client_id),
        timeline_url(client_id, source="gcore"),
        f"/clients/{client_id}/",
        "/activity/",
        "/activity/gcore/",
        "/activity/gcore/?path=clients",
        "/clients/export.csv",
    ]
    for url in pages:
        response = manager_client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        assert CANARY.encode() not in content, url
    assert "api_key (hidden)" in manager_client.get(timeline_url(client_id)).content.decode()
    assert CANARY not in caplog.text
    for row in GcoreRequest.objects.all():
        assert CANARY not in row.data and CANARY not in row.query_params


def test_secrets_in_every_shape_a_request_can_carry_never_reach_a_page_or_the_database(
    sandbox, monkeypatch, manager_client, caplog
):
    """A secret hidden where a key-by-key walk misses it: a JSON string inside a string field, a
    header sent as name and value, a form body with a nested name, a query's `?token=`, a JSON
    query value, a URL inside a value."""
    caplog.set_level(logging.DEBUG)
    client_id = first_live_client(sandbox)
    customer_call(
        sandbox, monkeypatch, "PATCH", f"/iam/clients/{client_id}",
        {
            "custom_id": "x",
            "note": json.dumps({"new_password": CANARY}),
            "headers": [{"name": "X-Auth-Token", "value": CANARY}, {"key": "Password", "value": CANARY}],
            "hook": f"https://hooks.example/in?token={CANARY}",
            "creds": [[{"passwd": CANARY}]],
        },
    )  # fmt: skip
    monkeypatch.setattr(sandbox, "token", None)
    headers = {"Authorization": "APIKey 5003$customer-app-secret"}
    form = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    for query, body, extra in [
        (f"token={CANARY}", b"", headers),
        (f"client_id={client_id}&filter=" + json.dumps({"api_key": CANARY}), b"", headers),
        ("", f"user%5Bpassword%5D={CANARY}&company=Acme".encode(), form),
        ("", f"user[password]={CANARY}&pwd={CANARY}".encode(), form),
    ]:
        method = "PATCH" if body else "GET"
        sandbox.handle(method, f"/iam/clients/{client_id}", query, headers=extra, body=body)
    monkeypatch.undo()
    activity_index_pass()

    assert GcoreRequest.objects.filter(data__contains="Acme").exists()  # what is no secret stays
    for row in GcoreRequest.objects.all():
        assert CANARY not in row.data and CANARY not in row.query_params and CANARY not in row.path
    for url in [timeline_url(client_id), "/activity/gcore/", f"/activity/gcore/?account={client_id}"]:
        response = manager_client.get(url)
        assert response.status_code == 200, url
        assert CANARY.encode() not in response.content, url
    assert CANARY not in caplog.text


# -- Gcore's account-wide log (/activity/gcore/) ---------------------------------------------------------


def test_the_account_wide_log_with_the_portals_filters(sandbox, monkeypatch, manager_client):
    client_id = first_live_client(sandbox)
    customer_call(sandbox, monkeypatch, "PATCH", f"/iam/clients/{client_id}", {"custom_id": "by-customer"})
    gcore_call(sandbox, "GET", f"/iam/clients/{client_id}")
    activity_index_pass()

    def listed(**params):
        query = "&".join(f"{key}={value}" for key, value in params.items())
        response = manager_client.get(f"/activity/gcore/?{query}")
        assert response.status_code == 200
        return response.context["rows"], response.context["page"].paginator.count

    everything = listed()[1]
    assert everything == GcoreRequest.objects.count() > 1000
    rows, count = listed(method="PATCH", path=f"clients/{client_id}", origin="outside")
    assert count >= 1 and all(row.request.method == "PATCH" and row.outside for row in rows)
    assert any("custom_id by-customer" in row.what for row in rows)
    rows, _ = listed(status_code=200, user="admin@edge-reseller")
    assert rows and all(row.request.status_code == 200 and "admin@" in row.who for row in rows)
    assert listed(client=1001)[1] == GcoreRequest.objects.filter(client=1001).count()
    ours, _ = listed(origin="dashboard", path=f"/iam/clients/{client_id}")
    assert ours and not any(row.outside for row in ours)
    # A malformed filter is shown on its field and left out; the rest applies.
    response = manager_client.get("/activity/gcore/?status_code=abc&method=PATCH")
    assert response.context["form"].errors["status_code"]
    assert all(row.request.method == "PATCH" for row in response.context["rows"])
    assert "Gcore&#x27;s log" in manager_client.get("/").content.decode() or "Gcore's log" in (
        manager_client.get("/").content.decode()
    )


def test_the_account_wide_log_answers_htmx_with_its_results(sandbox, manager_client):
    activity_index_pass()
    response = manager_client.get("/activity/gcore/?page=2", headers={"HX-Request": "true"})
    assert response.content.decode().lstrip().startswith('<section id="gcore-results"')


def test_refresh_queues_a_pass_for_a_worker_and_the_page_says_so(sandbox, support_client, manager_client):
    from django.test import override_settings

    client_id = first_live_client(sandbox)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        response = support_client.post(timeline_url(client_id), follow=True)
        body = response.content.decode()
        assert "Reading Gcore" in body and "a reading is queued for a worker" in body
        assert not GcoreRequest.objects.exists()  # a worker has not run it yet
        again = support_client.post(timeline_url(client_id), follow=True).content.decode()
        assert "is being read already" in again  # one pass at a time, never two queued
        assert "a reading is queued" in manager_client.get("/activity/gcore/").content.decode()
