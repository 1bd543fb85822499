"""The Gcore client on the wire: exact requests and every response shape, with respx at the edge."""

from __future__ import annotations

import json

import httpx
import pytest

from dashboard.gcore import (
    GcoreAuthError,
    GcoreBadGateway,
    GcoreClient,
    GcoreNotFound,
    GcorePermissionDenied,
    GcoreRateLimited,
    GcoreResponseError,
    GcoreTimeout,
    GcoreUnavailable,
    GcoreValidationError,
)
from dashboard.gcore.models import GROUPS_BY_ID, ClientUpdate, UserUpdate
from tests.helpers import client_payload, page_payload, user_payload

BASE = "https://gcore.test"
TOKEN = "1234_s3cr3t-t0ken"

pytestmark = pytest.mark.respx(base_url=BASE)


@pytest.fixture
def gcore() -> GcoreClient:
    client = GcoreClient(base_url=BASE, token=TOKEN, retry_backoff=0, retry_after_cap=1)
    yield client
    client.close()


def test_list_sends_apikey_and_always_a_limit(gcore, respx_mock):
    route = respx_mock.get("/iam/clients").respond(json=page_payload([client_payload()]))
    page = gcore.list_clients()
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"APIKey {TOKEN}"
    assert request.url.params["limit"] == "25"
    assert request.url.params["offset"] == "0"
    assert page.count == 1
    assert page.results[0].company_name == "Acme & Sons"


def test_list_passes_filters_under_their_wire_names(gcore, respx_mock):
    route = respx_mock.get("/iam/clients").respond(json=page_payload([]))
    gcore.list_clients(
        filters={
            "companyName": "Acme",
            "is_test": False,
            "cdn": "active",
            "id__in__exclude": [3, 4],
            "email": "",
        },
        ordering="-created_at,id",
        limit=50,
        offset=100,
    )
    params = route.calls.last.request.url.params
    assert dict(params) == {
        "limit": "50",
        "offset": "100",
        "ordering": "-created_at,id",
        "companyName": "Acme",
        "is_test": "false",
        "cdn": "active",
        "id__in__exclude": "3,4",
    }


def test_list_refuses_a_filter_gcore_does_not_have(gcore):
    with pytest.raises(ValueError, match="company"):
        gcore.list_clients(filters={"company": "Acme"})


@pytest.mark.parametrize(
    "body",
    [
        page_payload([client_payload(id=1), client_payload(id=2)], count=40),
        {"count": 40, "next": None, "previous": None, "result": [client_payload(id=1), client_payload(id=2)]},
    ],
    ids=["results", "result"],
)
def test_list_reads_both_envelope_keys(gcore, respx_mock, body):
    respx_mock.get("/iam/clients").respond(json=body)
    page = gcore.list_clients(limit=2)
    assert [c.id for c in page.results] == [1, 2]
    assert page.count == 40


def test_list_reads_a_bare_array(gcore, respx_mock):
    respx_mock.get("/iam/clients").respond(json=[client_payload(id=7)])
    page = gcore.list_clients()
    assert page.count == 1 and page.results[0].id == 7


def test_unknown_fields_and_enum_values_are_tolerated(gcore, respx_mock):
    payload = client_payload(
        status="archived",
        serviceStatuses={
            "CDN": {"status": "frozen", "enabled": True},
            "WAAP": {"status": "active", "enabled": False},
        },
    )
    respx_mock.get("/iam/clients/5").respond(json=payload)
    client = gcore.get_client(5)
    assert client.status == "archived"
    assert [name for name, _ in client.services()] == ["CDN", "WAAP"]


def test_get_client_maps_wire_names(gcore, respx_mock):
    respx_mock.get("/iam/clients/5").respond(
        json=client_payload(id=5, resellers=77, users=[user_payload(id=9)])
    )
    client = gcore.get_client(5)
    assert (client.id, client.reseller, client.users[0].id) == (5, 77, 9)
    assert client.users[0].role.name == "Administrators"


def test_patch_client_sends_only_the_given_fields(gcore, respx_mock):
    route = respx_mock.patch("/iam/clients/5").respond(json=client_payload(id=5, companyName="New name"))
    client = gcore.update_client(5, ClientUpdate(company_name="New name", seller=None))
    assert json.loads(route.calls.last.request.content) == {"companyName": "New name", "seller": None}
    assert client.company_name == "New name"


def test_patch_user_sends_only_the_given_fields(gcore, respx_mock):
    route = respx_mock.patch("/iam/users/9").respond(json=user_payload(id=9, lang="de"))
    gcore.update_user(9, UserUpdate(lang="de", auth_types=["password", "sso"]))
    assert json.loads(route.calls.last.request.content) == {"lang": "de", "auth_types": ["password", "sso"]}


def test_set_role_puts_the_user_role(gcore, respx_mock):
    route = respx_mock.put("/iam/clients/5/client-users/9").respond(204)
    gcore.set_user_role(5, 9, GROUPS_BY_ID[5])
    assert json.loads(route.calls.last.request.content) == {"user_role": {"id": 5, "name": "Engineers"}}


@pytest.mark.parametrize(
    ("status", "body", "exc"),
    [
        (400, {"errors": {"email": ["Enter a valid email address."]}}, GcoreValidationError),
        (401, {"detail": "Token is invalid or expired", "code": "token_not_valid"}, GcoreAuthError),
        (403, {"message": "You do not have permission to perform this action."}, GcorePermissionDenied),
        (404, {"detail": "Not found."}, GcoreNotFound),
        (429, {"detail": "Throttled."}, GcoreRateLimited),
        (500, "<html>oops</html>", GcoreBadGateway),
        (503, {"detail": "down"}, GcoreUnavailable),
        (504, None, GcoreTimeout),
    ],
)
def test_each_status_maps_to_its_exception(gcore, respx_mock, status, body, exc):
    kwargs = {"json": body} if isinstance(body, dict) else {"text": body or ""}
    respx_mock.patch("/iam/clients/5").respond(status, **kwargs)
    with pytest.raises(exc) as info:
        gcore.update_client(5, ClientUpdate(email="x@example.com"))
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value.body)


def test_validation_error_carries_field_and_general_messages(gcore, respx_mock):
    respx_mock.patch("/iam/clients/5").respond(
        400, json={"errors": {"email": ["Enter a valid email address."], "errors": ["Try later."]}}
    )
    with pytest.raises(GcoreValidationError) as info:
        gcore.update_client(5, ClientUpdate(email="nope"))
    assert info.value.field_errors == {"email": ["Enter a valid email address."]}
    assert info.value.non_field_errors == ["Try later."]


def test_permission_denied_keeps_gcores_message(gcore, respx_mock):
    respx_mock.patch("/iam/users/9").respond(
        403, json={"message": "user has issued a token with a higher role"}
    )
    with pytest.raises(GcorePermissionDenied, match="higher role"):
        gcore.update_user(9, UserUpdate(name="x"))


def test_malformed_success_body_is_a_response_error(gcore, respx_mock):
    respx_mock.get("/iam/clients/5").respond(200, text='{"id": 5, "comp')
    with pytest.raises(GcoreResponseError):
        gcore.get_client(5)


def test_success_body_of_the_wrong_shape_is_a_response_error(gcore, respx_mock):
    respx_mock.get("/iam/clients/5").respond(200, json={"id": "five"})
    with pytest.raises(GcoreResponseError):
        gcore.get_client(5)


def test_reads_are_retried_on_transient_statuses(gcore, respx_mock):
    route = respx_mock.get("/iam/clients/5").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(200, json=client_payload(id=5)),
        ]
    )
    assert gcore.get_client(5).id == 5
    assert route.call_count == 3


def test_reads_give_up_after_two_retries(gcore, respx_mock):
    route = respx_mock.get("/iam/clients/5").respond(502)
    with pytest.raises(GcoreBadGateway):
        gcore.get_client(5)
    assert route.call_count == 3


def test_reads_are_retried_on_connection_errors(gcore, respx_mock):
    route = respx_mock.get("/iam/clients/5").mock(
        side_effect=[httpx.ReadError("reset"), httpx.Response(200, json=client_payload(id=5))]
    )
    assert gcore.get_client(5).id == 5
    assert route.call_count == 2


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(gcore, respx_mock):
    route = respx_mock.get("/iam/clients/5").respond(429, headers={"Retry-After": "120"})
    with pytest.raises(GcoreRateLimited) as info:
        gcore.get_client(5)
    assert route.call_count == 1
    assert info.value.retry_after == 120


@pytest.mark.parametrize(
    "failure", [httpx.Response(503), httpx.ReadTimeout("slow"), httpx.ReadError("reset")]
)
def test_writes_are_never_retried_once_sent(gcore, respx_mock, failure):
    route = respx_mock.patch("/iam/clients/5").mock(
        side_effect=[failure, httpx.Response(200, json=client_payload(id=5))]
    )
    with pytest.raises(GcoreUnavailable):
        gcore.update_client(5, ClientUpdate(name="x"))
    assert route.call_count == 1


def test_writes_are_retried_when_the_connection_was_refused(gcore, respx_mock):
    route = respx_mock.patch("/iam/clients/5").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=client_payload(id=5))]
    )
    assert gcore.update_client(5, ClientUpdate(name="x")).id == 5
    assert route.call_count == 2


def test_timeouts_become_gcore_timeout(gcore, respx_mock):
    respx_mock.get("/iam/clients/5").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(GcoreTimeout):
        gcore.get_client(5)


def test_the_token_is_never_logged(gcore, respx_mock, caplog):
    respx_mock.get("/iam/clients/5").respond(401, json={"detail": "Token is invalid or expired"})
    caplog.set_level("DEBUG")
    with pytest.raises(GcoreAuthError):
        gcore.get_client(5)
    assert caplog.records and TOKEN not in caplog.text
