"""Gcore's activity log indexed: incremental reading (no duplicates, no gaps), masking, the clients
an entry concerns, the dashboard's own requests, pruning; against the in-process sandbox."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard.gcore import GcoreClient
from dashboard.gcore.models import ActivityRequest
from dashboard.models import ActivityIndexState, GcoreRequest, GcoreRequestClient, GcoreStatusChange
from dashboard.services.activity_index import (
    MASK,
    activity_index_pass,
    activity_indexed_as_of,
    client_ids_of,
    mask_body,
    mask_path,
    mask_query,
)
from tests.helpers import first_live_client, gcore_call

pytestmark = pytest.mark.django_db

CANARY = "Canary-Pa55word-7Yq2"


def every_id(sandbox, path: str) -> list[int]:
    ids: list[int] = []
    while True:
        status, page = gcore_call(sandbox, "GET", f"{path}?limit=500&offset={len(ids)}")
        assert status == 200
        if not page["result"]:
            return ids
        ids += [item["id"] for item in page["result"]]


def log_ids(sandbox) -> list[int]:
    return every_id(sandbox, "/iam/activity_log/requests")


def status_change_ids(sandbox) -> list[int]:
    return every_id(sandbox, "/iam/activity_log/account_status_changes")


def customer_call(sandbox, monkeypatch, method, path, body=None, key="5003$customer-secret"):
    """A request made with another API token than the dashboard's (a customer's application)."""
    # The sandbox then takes any key, as Gcore takes each customer's own.
    monkeypatch.setattr(sandbox, "token", None)
    payload = json.dumps(body).encode() if body is not None else b""
    headers = {"Authorization": f"APIKey {key}", "Content-Type": "application/json"}
    response = sandbox.handle(method, path, "", headers=headers, body=payload)
    monkeypatch.undo()
    return response.status


def test_a_first_pass_stores_every_entry_once(sandbox):
    done = activity_index_pass()
    ids = log_ids(sandbox)
    assert done.requests.complete and done.status_changes.complete
    assert sorted(GcoreRequest.objects.values_list("id", flat=True)) == sorted(ids)
    changes = GcoreStatusChange.objects.values_list("id", flat=True)
    assert sorted(changes) == sorted(status_change_ids(sandbox))
    assert activity_indexed_as_of() is not None


def test_a_second_pass_reads_only_what_is_new_even_when_entries_arrive_between_pages(sandbox, monkeypatch):
    activity_index_pass()
    client_id = first_live_client(sandbox)
    for _ in range(12):
        gcore_call(sandbox, "GET", f"/iam/clients/{client_id}")
    original = GcoreClient.list_activity_requests
    offsets: list[int] = []

    def with_arrivals(self, *, limit=100, offset=0):
        page = original(self, limit=limit, offset=offset)
        offsets.append(offset)
        # Someone works in the account while the indexer reads: every later offset shifts by two.
        for _ in range(2):
            gcore_call(sandbox, "GET", f"/iam/clients/{client_id}/services")
        return page

    monkeypatch.setattr(GcoreClient, "list_activity_requests", with_arrivals)
    monkeypatch.setattr("dashboard.services.activity_index.PAGE_SIZE", 5)  # many pages, many shifts
    done = activity_index_pass()
    monkeypatch.undo()
    assert len(offsets) > 2, "the pass read page after page"
    # Each page repeated the two entries the arrivals pushed down: each new one stored once.
    assert done.requests.stored == 12
    # The arrivals are newer than what the pass started from: the next pass finds them, and nothing else.
    again = activity_index_pass()
    assert again.requests.stored == 2 * len(offsets)
    assert sorted(GcoreRequest.objects.values_list("id", flat=True)) == sorted(log_ids(sandbox))


def test_an_entry_logged_late_with_an_earlier_time_is_still_found(sandbox):
    """Gcore may write a slow request's entry (dated at its start) after quicker, later ones: the
    next pass reads back far enough to find it, and stores nothing twice."""
    client_id = first_live_client(sandbox)
    gcore_call(sandbox, "GET", f"/iam/clients/{client_id}")
    activity_index_pass()
    gcore_call(sandbox, "PATCH", f"/iam/clients/{client_id}", {"custom_id": "slow-one"})
    newest = GcoreRequest.objects.order_by("-requested_at").first()
    late = sandbox._store.recorded_requests[-1]
    late["requested_at"] = (newest.requested_at - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    again = activity_index_pass()
    assert again.requests.stored == 1
    assert GcoreRequest.objects.filter(id=late["id"], data__contains="slow-one").exists()
    assert sorted(GcoreRequest.objects.values_list("id", flat=True)) == sorted(log_ids(sandbox))


def test_a_pass_cut_short_leaves_no_gap(sandbox):
    first = activity_index_pass(max_pages=2)
    assert not first.requests.complete and first.requests.stored == 200
    assert activity_indexed_as_of() is None  # not yet read through: no "as of"
    gcore_call(sandbox, "GET", f"/iam/clients/{first_live_client(sandbox)}")
    second = activity_index_pass()
    assert second.requests.complete
    assert sorted(GcoreRequest.objects.values_list("id", flat=True)) == sorted(log_ids(sandbox))


def test_an_implementation_that_pages_by_its_own_size(sandbox, monkeypatch):
    """The spec allows a server to hand out fewer items than `limit`: the offsets follow what came."""
    original = GcoreClient.list_activity_requests

    def capped(self, *, limit=100, offset=0):
        page = original(self, limit=min(limit, 37), offset=offset)
        return page

    monkeypatch.setattr(GcoreClient, "list_activity_requests", capped)
    activity_index_pass()
    assert sorted(GcoreRequest.objects.values_list("id", flat=True)) == sorted(log_ids(sandbox))


def test_the_first_pass_reads_back_gcore_activity_days(sandbox, settings):
    settings.GCORE_ACTIVITY_DAYS = 7
    activity_index_pass()
    oldest = GcoreRequest.objects.order_by("requested_at").first()
    assert oldest.requested_at >= timezone.now() - timedelta(days=7, minutes=1)
    assert GcoreRequest.objects.count() < len(log_ids(sandbox))


def test_entries_past_retention_are_pruned(sandbox, settings):
    activity_index_pass()
    before = GcoreRequest.objects.count()
    settings.GCORE_ACTIVITY_RETENTION_DAYS = 7
    done = activity_index_pass()
    assert done.requests.pruned > 0
    assert GcoreRequest.objects.count() == before - done.requests.pruned
    cutoff = timezone.now() - timedelta(days=7, minutes=1)
    assert not GcoreRequest.objects.filter(requested_at__lt=cutoff).exists()
    assert not GcoreRequestClient.objects.filter(requested_at__lt=cutoff).exists()


def test_the_command_indexes_and_says_what_it_did(sandbox, capsys):
    call_command("gcore_activity")
    assert "Indexed: requests:" in capsys.readouterr().out
    assert ActivityIndexState.objects.filter(last_complete_at__isnull=False).count() == 2


# -- masking --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "path", "hidden"),
    [
        ({"email": "a@b.example", "password": CANARY}, "/iam/users", [CANARY]),
        ({"privateSettings": {"mailServer": {"Password": CANARY}}}, "/iam/reselling/settings", [CANARY]),
        ({"items": [{"api_key": CANARY}, {"secretValue": CANARY}]}, "/x", [CANARY]),
        ({"refresh": "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"}, "/iam/auth/jwt/refresh", ["eyJhbGciOi"]),
        ({"old": CANARY, "new": CANARY + "2", "double": CANARY + "2"}, "/iam/users/7/password", [CANARY]),
        ({"token": {"value": CANARY, "nested": [CANARY]}}, "/x", [CANARY]),
        ({"note": "Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"}, "/x", ["eyJhbGciOi"]),
        ({"note": json.dumps({"password": CANARY})}, "/x", [CANARY]),
        ({"note": json.dumps([{"meta": json.dumps({"token": CANARY})}])}, "/x", [CANARY]),
        ({"headers": [{"name": "X-Auth-Token", "value": CANARY}]}, "/x", [CANARY]),
        ({"params": [{"key": "api_key", "values": [CANARY]}]}, "/x", [CANARY]),
        ({"note": f"password={CANARY}"}, "/x", [CANARY]),
        ({"url": f"https://h.example/cb?access_token={CANARY}"}, "/x", [CANARY]),
        ({"passwd": CANARY, "pwd": CANARY, "Cookie": CANARY}, "/x", [CANARY]),
    ],
)
def test_secrets_in_json_bodies_are_masked(body, path, hidden):
    masked = mask_body(json.dumps(body), path=path)
    for secret in hidden:
        assert secret not in masked
    assert MASK in masked


def test_a_body_that_is_not_whole_json_is_masked_too():
    cut = '{"email":"a@b.example","password":"' + CANARY + '","company":"Acme","token":"abc'
    masked = mask_body(cut, path="/iam/users")
    assert CANARY not in masked and "abc" not in masked and "Acme" in masked
    assert CANARY not in mask_body(f"username=a&password={CANARY}&x=1", path="/login")
    forms = (f"user%5Bpassword%5D={CANARY}&x=1", f"user[password]={CANARY}", f"<password>{CANARY}</password>")
    for form in forms:
        assert CANARY not in mask_body(form, path="/x"), form


def test_what_is_no_secret_is_kept():
    body = {"status": "paused", "enabled": True, "client_id": 5003, "companyName": "Acme"}
    assert json.loads(mask_body(json.dumps(body), path="/iam/clients/5003/services/50031")) == body


def test_query_strings_are_masked():
    masked = mask_query(f"limit=10&access_token={CANARY}&apiKey={CANARY}&q=ok")
    assert CANARY not in masked and "q=ok" in masked and "limit=10" in masked
    queries = (f"?token={CANARY}", f"filter={json.dumps({'password': CANARY})}", f"next=/a?token={CANARY}")
    for query in queries:
        assert CANARY not in mask_query(query), query
    assert CANARY not in mask_path(f"/iam/x?token={CANARY}") and mask_path("/iam/clients/5").endswith("/5")


def test_a_password_sent_through_the_api_is_never_stored(sandbox):
    gcore_call(
        sandbox,
        "POST",
        "/iam/users",
        {"email": "canary.person@newco.example", "password": CANARY, "company": "Canary Ltd"},
    )
    gcore_call(sandbox, "PUT", "/iam/users/1/password", {"old": CANARY, "new": CANARY, "double": CANARY})
    activity_index_pass()
    assert GcoreRequest.objects.filter(path="/iam/users", data__contains="canary.person").exists()
    for row in GcoreRequest.objects.all():
        assert CANARY not in row.data and CANARY not in row.query_params


def test_a_customer_request_holding_a_nul_is_indexed_not_a_stuck_pass(sandbox, monkeypatch):
    # PostgreSQL's text and jsonb refuse NUL: a customer's own request must not stop indexing.
    client_id = first_live_client(sandbox)
    monkeypatch.setattr(sandbox, "token", None)  # the sandbox takes the customer's own key
    headers = {"Authorization": "APIKey 5003$customer-secret", "Content-Type": "application/json"}
    body = json.dumps({"name": "Nul\x00Name"}).encode()
    sandbox.handle("PATCH", f"/iam/clients/{client_id}", "note=a%00b", headers=headers, body=body)
    monkeypatch.undo()
    done = activity_index_pass()
    assert done.requests.complete
    stored = GcoreRequest.objects.get(path=f"/iam/clients/{client_id}", method="PATCH")
    text = json.dumps([stored.data, stored.query_params], ensure_ascii=False)
    assert "\x00" not in text


# -- the clients an entry concerns, and who made it -------------------------------------------------


def entry(**fields) -> ActivityRequest:
    return ActivityRequest.model_validate({"id": 1, "method": "GET", "path": "/", **fields})


@pytest.mark.parametrize(
    ("fields", "clients"),
    [
        ({"path": "/iam/clients/5003/services/50031"}, {5003}),
        ({"path": "/iam/v2/clients/5004/tokens", "client": 5004}, {5004}),
        ({"path": "/iam/products/availability/clients/5005", "client": 1001}, {5005, 1001}),
        ({"path": "/iam/clients/me", "client": 5006}, {5006}),
        ({"path": "/iam/clients", "query_params": "limit=10&client_id=5007"}, {5007}),
        ({"path": "/iam/clients/invite_user", "data": '{"email":"x@y.z","client_id":5008}'}, {5008}),
        ({"path": "/iam/x", "data": '{"items":[{"client_id":"5009"}]}'}, {5009}),
        ({"path": "/iam/users/77", "data": "not json"}, set()),
    ],
)
def test_client_ids_in_paths_queries_and_bodies(fields, clients):
    assert client_ids_of(entry(**fields)) == clients


def test_client_ids_no_database_holds_are_passed_over_and_indexing_goes_on(sandbox, monkeypatch):
    """A customer's request can name anything as a client: a number past any id, digits that are
    not ASCII. The entry is stored, tied to the clients that can be, and the pass completes."""
    huge = "9" * 30
    assert customer_call(sandbox, monkeypatch, "GET", f"/iam/clients/{huge}") == 404
    for body in ({"client_id": huge, "email": "a@b.example"}, {"client_id": "²"}, {"client_id": 10**40}):
        customer_call(sandbox, monkeypatch, "POST", "/iam/clients/invite_user", body)
    monkeypatch.setattr(sandbox, "token", None)
    headers = {"Authorization": "APIKey 5003$customer-secret"}
    for query in ("client_id=²", f"client_id={'9' * 5000}", f"client_id={huge}"):
        sandbox.handle("GET", "/iam/clients", query, headers=headers, body=b"")
    monkeypatch.undo()
    done = activity_index_pass()
    assert done.requests.complete
    assert sorted(GcoreRequest.objects.values_list("id", flat=True)) == sorted(log_ids(sandbox))
    assert GcoreRequest.objects.filter(path=f"/iam/clients/{huge}").exists()
    assert not GcoreRequestClient.objects.filter(client_id__gt=2**63 - 1).exists()


def test_requests_are_tied_to_their_clients_and_marked_by_origin(sandbox, monkeypatch):
    client_id = first_live_client(sandbox)
    gcore_call(sandbox, "PATCH", f"/iam/clients/{client_id}", {"phone": "+49 30 1234"})
    assert customer_call(sandbox, monkeypatch, "GET", f"/iam/clients/{client_id}/services") == 200
    activity_index_pass()
    ours = GcoreRequestClient.objects.get(client_id=client_id, request__method="PATCH", by_dashboard=True)
    assert ours.request.token is not None
    theirs = GcoreRequestClient.objects.get(client_id=client_id, request__token=5003)
    assert not theirs.by_dashboard and not theirs.request.by_dashboard


def test_the_token_id_setting_names_the_dashboards_token(sandbox, settings):
    settings.GCORE_API_TOKEN_ID = 424242
    gcore_call(sandbox, "GET", f"/iam/clients/{first_live_client(sandbox)}")
    activity_index_pass()
    assert not GcoreRequest.objects.filter(by_dashboard=True).exists()


def test_the_scheduled_kind_indexes_and_the_command_never_runs_beside_it(sandbox, capsys):
    from dashboard.models import Schedule
    from dashboard.services.schedules import schedule_claim, schedule_run_now

    assert schedule_run_now("gcore_activity")  # the test settings' immediate backend runs it at once
    row = Schedule.objects.get(kind="gcore_activity")
    assert row.last_outcome == "ok" and "requests: 1200 new" in row.last_message
    assert GcoreRequest.objects.count() == len(log_ids(sandbox))
    assert schedule_claim("gcore_activity") is not None  # a worker's pass holds the slot now
    call_command("gcore_activity")
    assert "already queued or running" in capsys.readouterr().out
