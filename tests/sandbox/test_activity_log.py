"""The account's activity log: the requests the sandbox serves and its seeded history, and the
account status changes, newest first, paged by `limit` and `offset`, checked against Gcore's spec."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport, activity
from dashboard.sandbox.store import MAX_LOGGED_REQUESTS
from tests.helpers import BASE_URL

REQUESTS = "/iam/activity_log/requests"
CHANGES = "/iam/activity_log/account_status_changes"


def every(api: httpx.Client, path: str) -> list[dict]:
    items: list[dict] = []
    while True:
        page = api.get(path, params={"limit": 1000, "offset": len(items)}).json()
        items += page["result"]
        if page["next"] is None:
            return items


def test_the_seeded_history(schemas, sb: Sandbox, api: httpx.Client) -> None:
    # A sandbox of its own: the shared one records what other tests send it.
    page = api.get(REQUESTS, params={"limit": 50}).json()
    schemas.assert_valid(page, "AccountRequestsSchema")
    assert set(page) == {"count", "next", "previous", "result"}
    history = every(api, REQUESTS)
    for item in history:
        schemas.assert_valid(item, "AccountRequestsItem")
    assert len(history) == page["count"] >= 1_000
    ids = [item["id"] for item in history]
    assert ids == sorted(ids, reverse=True)
    times = [item["requested_at"] for item in history]
    assert times == sorted(times, reverse=True)
    assert datetime.fromisoformat(times[0]) <= sb.now
    # Customers (their own account), sellers and the reseller (its account), in the portal and with tokens.
    clients = {item["client"] for item in history}
    assert sb.reseller_account_id() in clients
    assert len(clients & set(sb.client_ids())) > 50
    assert {item["user"] for item in history} >= set(sb.seller_ids()) - {56}  # 56 never activated
    assert {item["token"] is None for item in history} == {True, False}
    assert {item["method"] for item in history} >= {"GET", "POST", "PATCH", "PUT"}
    assert {item["status_code"] for item in history} >= {200, 201, 400}
    # Bodies with secrets in them, for the masking of whoever shows the log.
    bodies = [json.loads(item["data"]) for item in history if item["data"]]
    assert any("password" in body for body in bodies)
    assert any("refresh" in body for body in bodies)
    assert any("new" in body and "old" in body for body in bodies)
    assert any(item["reverted"] for item in history)


def test_the_history_is_the_same_for_the_same_seed() -> None:
    first, second = Sandbox(seed=5, clients=80), Sandbox(seed=5, clients=80)
    key = {"Authorization": "APIKey k"}
    with (
        httpx.Client(transport=SandboxTransport(first), base_url=BASE_URL, headers=key) as one,
        httpx.Client(transport=SandboxTransport(second), base_url=BASE_URL, headers=key) as two,
    ):
        assert every(one, REQUESTS) == every(two, REQUESTS)
        assert every(one, CHANGES) == every(two, CHANGES)


def test_every_served_request_is_recorded_newest_first(schemas, sb: Sandbox, clock) -> None:
    sb.token = None  # any key: one in Gcore's `<id>$<secret>` form names its token
    with httpx.Client(
        transport=SandboxTransport(sb), base_url=BASE_URL, headers={"Authorization": "APIKey 4242$s3cr3t"}
    ) as api:
        client_id = sb.client_ids()[0]
        api.get("/iam/clients", params={"limit": 2, "companyName": "Acme"})
        clock.advance(seconds=1)
        api.patch(f"/iam/clients/{client_id}", json={"phone": "+1 555"})
        clock.advance(seconds=1)
        api.post(
            "/iam/users", json={"email": "x@example.org", "password": "Not-Kept-Elsewhere-9", "company": "X"}
        )
        api.request("TRACE", "/iam/clients")  # 405: not served
        api.get("/nowhere")  # 404: not a route
        api.get(REQUESTS)  # reading the log is not recorded
        first, second, third, *older = api.get(REQUESTS).json()["result"]
    for item in (first, second, third):
        schemas.assert_valid(item, "AccountRequestsItem")
    assert [
        (i["method"], i["path"], i["query_params"], i["status_code"]) for i in (third, second, first)
    ] == [
        ("GET", "/iam/clients", "limit=2&companyName=Acme", 200),
        ("PATCH", f"/iam/clients/{client_id}", "", 200),
        ("POST", "/iam/users", "", 201),
    ]
    assert (third["data"], json.loads(second["data"])) == ("", {"phone": "+1 555"})
    assert json.loads(first["data"])["password"] == "Not-Kept-Elsewhere-9"  # as sent: Gcore's `data`
    assert [i["id"] for i in (first, second, third)] == [4_000_003, 4_000_002, 4_000_001]
    assert (first["token"], first["client"], first["user"]) == (4242, sb.reseller_account_id(), 600_001)
    assert (first["user_email"], first["remote_ip_address"], first["host"]) == (
        "admin@edge-reseller.example", "127.0.0.1", "api.gcore.com",
    )  # fmt: skip
    assert (first["actions"], second["actions"], third["actions"]) == ("create", "update", "read")
    assert second["requested_at"] == clock.now.replace(second=clock.now.second - 1).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert older[0]["id"] < 4_000_000


def test_a_key_not_in_gcores_form_is_the_resellers_token(sb: Sandbox, api: httpx.Client) -> None:
    api.get("/iam/admin/sellers")
    assert api.get(REQUESTS, params={"limit": 1}).json()["result"][0]["token"] == 9_001


def test_refused_and_faulted_requests(sb: Sandbox, api: httpx.Client) -> None:
    count = api.get(REQUESTS).json()["count"]
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert anonymous.get("/iam/clients").status_code == 401
    sb.add_fault("status", status=503, times=1)
    assert api.get("/iam/clients").status_code == 503  # never reached the API
    assert api.get(REQUESTS).json()["count"] == count
    bad = api.post("/iam/admin/sellers", json={"email": "nope"})
    assert bad.status_code == 400
    assert api.get(REQUESTS, params={"limit": 1}).json()["result"][0]["status_code"] == 400


@pytest.mark.parametrize(
    ("params", "size", "next_query", "previous_query"),
    [
        ({}, 100, "limit=100&offset=100", None),
        ({"limit": 10}, 10, "limit=10&offset=10", None),
        ({"limit": 10, "offset": 20}, 10, "limit=10&offset=30", "limit=10&offset=10"),
        (
            {"limit": 10, "offset": 5, "user": 1, "ordering": "id"},
            10,
            "limit=10&offset=15&ordering=id&user=1",
            "limit=10&ordering=id&user=1",
        ),
    ],
)
def test_pages(
    api: httpx.Client, params: dict, size: int, next_query: str | None, previous_query: str | None
) -> None:
    everything = every(api, REQUESTS)
    page = api.get(REQUESTS, params=params).json()
    assert page["count"] == len(everything)
    offset = int(params.get("offset", 0))
    assert page["result"] == everything[offset : offset + size]  # other parameters are not filters
    url = f"{BASE_URL}{REQUESTS}?"
    assert page["next"] == (next_query and url + next_query)
    assert page["previous"] == (previous_query and url + previous_query)


@pytest.mark.parametrize("path", [REQUESTS, CHANGES])
def test_bad_page_parameters(api: httpx.Client, path: str) -> None:
    response = api.get(path, params={"limit": "ten", "offset": -1})
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": {
                "limit": ["A valid integer is required."],
                "offset": ["Ensure this value is greater than or equal to 0."],
            }
        },
    )


def test_one_request(schemas, api: httpx.Client) -> None:
    newest = api.get(REQUESTS, params={"limit": 1}).json()["result"][0]
    one = api.get(f"{REQUESTS}/{newest['id']}")
    assert one.status_code == 200
    schemas.assert_valid(one.json(), "AccountRequestsItem")
    assert one.json() == newest
    assert api.get(f"{REQUESTS}/1").json() == {"detail": "Not found."}
    assert api.post(REQUESTS).headers["allow"] == "GET"


def test_the_log_is_bounded(sb: Sandbox, api: httpx.Client, monkeypatch) -> None:
    assert sb._store.recorded_requests.maxlen == MAX_LOGGED_REQUESTS == activity.MAX_REQUESTS
    seeded = every(api, REQUESTS)
    monkeypatch.setattr(activity, "MAX_REQUESTS", len(seeded) + 10)
    for _ in range(25):
        api.get("/iam/admin/feature")
    kept = every(api, REQUESTS)
    assert len(kept) == len(seeded) + 10
    assert kept[:25] == [item for item in kept if item["path"] == "/iam/admin/feature"]
    assert kept[25:] == seeded[:-15]  # the oldest went first


def test_account_status_changes(schemas, shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    page = shared_api.get(CHANGES, params={"limit": 5}).json()
    schemas.assert_valid(page, "AccountStatusChangesSchema")
    changes = every(shared_api, CHANGES)
    for change in changes:
        schemas.assert_valid(change, "AccountStatusChangesItem")
    assert len(changes) == page["count"] > 20
    times = [change["status_change_at"] for change in changes]
    assert times == sorted(times, reverse=True)
    latest: dict[int, dict] = {}
    for change in changes:
        latest.setdefault(change["client"], change)
    for client_id, change in latest.items():
        assert change["new_status"] == shared_sb.client_json(client_id)["status"]
        assert change["old_status"] != change["new_status"]


def test_over_loopback_the_peer_is_the_address(loopback: httpx.Client) -> None:
    loopback.get("/iam/admin/sellers", headers={"X-Real-IP": "203.0.113.9"})
    newest = loopback.get(REQUESTS, params={"limit": 1}).json()["result"][0]
    assert newest["remote_ip_address"] == "127.0.0.1"
    assert newest["host"] == f"{loopback.base_url.host}:{loopback.base_url.port}"
