"""The Gcore client's activity-log calls: against the sandbox in-process, and on the wire (respx)
for the shapes an implementation may send instead of the spec's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.gcore import GcoreClient, GcoreNotFound
from dashboard.gcore.models import NewClient
from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL, TOKEN


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(seed=7, clients=60, token=TOKEN)


@pytest.fixture
def gcore(sb: Sandbox) -> Iterator[GcoreClient]:
    client = GcoreClient(base_url=BASE_URL, token=TOKEN, transport=SandboxTransport(sb), retry_backoff=0)
    yield client
    client.close()


def test_requests_newest_first_with_what_was_sent(gcore: GcoreClient, sb: Sandbox) -> None:
    user = gcore.create_client(
        NewClient(email="log@example.org", password="Logged-Pass-42", company="Log Ltd")
    )
    page = gcore.list_activity_requests(limit=5)
    assert page.count > 5 and len(page.results) == 5
    newest = page.results[0]
    assert (newest.method, newest.path, newest.status_code, newest.client) == (
        "POST", "/iam/users", 201, sb.reseller_account_id(),
    )  # fmt: skip
    assert newest.data is not None and "Logged-Pass-42" in newest.data
    assert "Logged-Pass-42" not in repr(newest)  # the body never shows in a repr
    assert newest.requested_at is not None and newest.requested_at.tzinfo is not None
    assert gcore.get_activity_request(request_id=newest.id) == newest
    later = gcore.list_activity_requests(limit=5, offset=5)
    assert {r.id for r in later.results}.isdisjoint(r.id for r in page.results)
    assert user.client is not None
    with pytest.raises(GcoreNotFound):
        gcore.get_activity_request(request_id=1)


def test_account_status_changes(gcore: GcoreClient, sb: Sandbox) -> None:
    page = gcore.list_account_status_changes(limit=500)
    assert page.count == len(page.results) > 0
    change = page.results[0]
    assert change.new_status == sb.client_json(change.client)["status"]
    assert change.status_change_at is not None


BASE = "https://gcore.test"
ITEM = {
    "id": 9, "actions": "2024-11-13 15:23:30+00:00", "data": "string", "user_email": "a@b.org", "client": 4,
    "token": None, "requested_at": "2024-11-13 15:23:30+00:00", "path": "/users",
    "remote_ip_address": "192.168.1.1", "host": "example.com", "method": "GET",
    "query_params": "offset=20&limit=10", "status_code": 200,
    "reverted": True, "user": 7,
}  # fmt: skip


@pytest.fixture
def wire() -> Iterator[GcoreClient]:
    client = GcoreClient(base_url=BASE, token="t", retry_backoff=0, retry_after_cap=1)
    yield client
    client.close()


@pytest.mark.respx(base_url=BASE)
@pytest.mark.parametrize(
    "body",
    [{"count": 3, "result": [ITEM]}, {"count": 3, "results": [ITEM]}, [ITEM]],
    ids=["result (the spec)", "results", "a plain array"],
)
def test_every_page_shape_is_read(wire: GcoreClient, respx_mock, body) -> None:
    route = respx_mock.get("/iam/activity_log/requests").respond(json=body)
    page = wire.list_activity_requests(limit=10, offset=20)
    assert (page.results[0].id, page.results[0].token, page.results[0].reverted) == (9, None, True)
    assert page.results[0].requested_at.isoformat() == "2024-11-13T15:23:30+00:00"
    assert page.count == (1 if isinstance(body, list) else 3)
    assert dict(route.calls.last.request.url.params) == {"limit": "10", "offset": "20"}
