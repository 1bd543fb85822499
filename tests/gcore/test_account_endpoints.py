"""The Gcore client's account endpoints on the wire (respx at the edge): exact requests as the spec
writes them, and both readings where an implementation may answer otherwise than the spec."""

from __future__ import annotations

import json

import httpx
import pytest

from dashboard.gcore import GcoreClient, GcorePermissionDenied, GcoreTimeout
from dashboard.gcore.models import NewClient, ProductAvailability, ServiceUpdate

BASE = "https://gcore.test"
pytestmark = pytest.mark.respx(base_url=BASE)

SERVICE = {
    "id": 7001, "name": "CDN", "client": 42, "status": "paused", "previous_status": "active",
    "status_changed_at": "2026-11-20T10:00:00Z", "start": "2026-01-02T00:00:00Z",
    "deleted_date": "2026-12-20T10:00:00Z", "enabled": True, "options": [], "status_transition_options": [],
}  # fmt: skip
ACTIVATED = {
    "id": 9, "client_id": 42, "feature_id": 104, "created_date": "2026-11-29T08:00:00Z",
    "feature": {"id": 104, "name": "Basic Analytics", "service": "CDN", "is_free": True},
}  # fmt: skip


@pytest.fixture
def gcore() -> GcoreClient:
    client = GcoreClient(base_url=BASE, token="t", retry_backoff=0, retry_after_cap=1)
    yield client
    client.close()


@pytest.mark.parametrize(
    "body",
    [[SERVICE], {"count": 1, "results": [SERVICE]}, {"result": [SERVICE]}],
    ids=["plain array (the spec)", "a page", "a page under result"],
)
def test_services_are_read_as_an_array_or_a_page(gcore, respx_mock, body):
    respx_mock.get("/iam/clients/42/services").respond(json=body)
    (service,) = gcore.list_services(42)
    assert (service.id, service.status, service.previous_status) == (7001, "paused", "active")
    assert service.deleted_date.isoformat() == "2026-12-20T10:00:00+00:00"


def test_a_service_with_a_status_gcore_added_later_is_still_read(gcore, respx_mock):
    respx_mock.get("/iam/clients/42/services").respond(json=[SERVICE | {"status": "suspended", "extra": 1}])
    assert gcore.list_services(42)[0].status == "suspended"


def test_a_service_change_is_a_put_with_the_status_and_only_a_set_flag(gcore, respx_mock):
    route = respx_mock.put("/iam/clients/42/services/7001").respond(json=SERVICE)
    gcore.update_service(42, 7001, ServiceUpdate(status="paused"))
    gcore.update_service(42, 7001, ServiceUpdate(status="active", enabled=False))
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert bodies == [{"status": "paused"}, {"status": "active", "enabled": False}]


def test_a_service_put_that_times_out_is_not_sent_again(gcore, respx_mock):
    route = respx_mock.put("/iam/clients/42/services/7001").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(GcoreTimeout) as caught:
        gcore.update_service(42, 7001, ServiceUpdate(status="paused"))
    assert caught.value.maybe_applied and route.call_count == 1


def test_creating_a_client_sends_only_what_is_set_and_reads_the_new_client(gcore, respx_mock):
    user = {"id": 5, "email": "a@b.example", "client": 777.0, "groups": [{"id": 1, "name": "Administrators"}]}
    route = respx_mock.post("/iam/users").respond(201, json=user)
    new = NewClient(
        email="a@b.example",
        password="Secret-123456",
        company="B",
        user_type="common",
        services=[ProductAvailability(product_name="DNS", available=False)],
    )
    created = gcore.create_client(new)
    assert json.loads(route.calls.last.request.content) == {
        "email": "a@b.example", "password": "Secret-123456", "company": "B", "user_type": "common",
        "services": [{"product_name": "DNS", "available": False}],
    }  # fmt: skip
    assert int(created.client) == 777  # the spec types `client` as a number
    assert "Secret-123456" not in repr(new)


def test_a_product_is_patched_one_object_at_a_time_whatever_the_answer(gcore, respx_mock):
    route = respx_mock.patch("/iam/products/availability/clients/42")
    route.side_effect = [
        httpx.Response(200, json={"product_name": "CDN", "available": False}),  # the spec's reading
        httpx.Response(200, json=[{"product_name": "CDN", "available": True}]),  # a list: read too
    ]
    gcore.set_client_availability(42, "CDN", False)
    gcore.set_client_availability(42, "CDN", True)
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert bodies == [{"product_name": "CDN", "available": False}, {"product_name": "CDN", "available": True}]


def test_a_product_gcore_will_not_hide_is_a_permission_refusal_with_its_body(gcore, respx_mock):
    body = {"message": "Cannot change availability.", "active": ["CDN"], "trial": [], "activating": []}
    respx_mock.patch("/iam/products/availability/clients/42").respond(403, json=body)
    with pytest.raises(GcorePermissionDenied) as caught:
        gcore.set_client_availability(42, "CDN", False)
    assert caught.value.message == "Cannot change availability." and caught.value.body["active"] == ["CDN"]


def test_reset_names_the_products_in_a_delete_body(gcore, respx_mock):
    route = respx_mock.delete("/iam/products/availability/clients/42").respond(204)
    gcore.reset_client_availability(42, ["CDN", "DNS"])
    assert json.loads(route.calls.last.request.content) == {"product_names": ["CDN", "DNS"]}


@pytest.mark.parametrize("paid", [False, True])
def test_features_are_enabled_by_post_and_disabled_by_their_activation(gcore, respx_mock, paid):
    kind = "paid_features" if paid else "free_features"
    post = respx_mock.post(f"/iam/admin/{kind}").respond(201, json=ACTIVATED)
    delete = respx_mock.delete(f"/iam/admin/{kind}/9").respond(204)
    activated = gcore.enable_feature(42, 104, paid=paid)
    gcore.disable_feature(activated.id, paid=paid)
    assert json.loads(post.calls.last.request.content) == {"client_id": 42, "feature_id": 104}
    assert delete.call_count == 1


def test_the_catalogue_and_the_sellers_are_read(gcore, respx_mock):
    respx_mock.get("/iam/admin/feature").respond(json=[ACTIVATED["feature"]])
    respx_mock.get("/iam/admin/sellers").respond(json=[{"id": 51, "email": "s@x.example", "full_name": "S"}])
    assert gcore.feature_catalogue()[0].is_free
    assert gcore.list_sellers()[0].full_name == "S"
