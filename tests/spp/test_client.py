"""The SPP client on the wire: exact requests and every response shape, with respx at the edge.

SPP's documented shapes are in docs/spp-api-notes.md; the retry and error rules are the shared
plumbing's (dashboard/upstream/client.py): reads retried on transport errors and 429/502/503/504,
writes only when nothing left this machine, and a write that may have arrived marked `maybe_applied`.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import httpx
import pytest

from dashboard.spp import (
    SppAuthError,
    SppBadGateway,
    SppClient,
    SppError,
    SppNotFound,
    SppRateLimited,
    SppResponseError,
    SppTimeout,
    SppUnavailable,
    SppValidationError,
)
from dashboard.spp.models import SppClientUpdate

BASE = "https://workspace.spp.test"
API_KEY = "spp-wire-key-7Hq2Lm9Xc4"
API_VERSION = "2024-03-05"

pytestmark = pytest.mark.respx(base_url=BASE)


@pytest.fixture
def spp() -> SppClient:
    client = SppClient(
        base_url=BASE, api_key=API_KEY, api_version=API_VERSION, retry_backoff=0.001, retry_after_cap=1
    )
    yield client
    client.close()


# -- SPP-shaped payloads (docs/spp-api-notes.md §3, §4) -----------------------------------------------


def address(**overrides: Any) -> dict[str, Any]:
    data = {
        "line_1": "1 Main St",
        "line_2": "Suite 4",
        "city": "Springfield",
        "country": "US",
        "state": "IL",
        "postcode": "62701",
        "name_f": "Jane",
        "name_l": "Doe",
        "tax_id": "DE123",
        "company_name": "Acme & Sons",
        "company_vat": "",
    }
    return data | overrides


def list_item(**overrides: Any) -> dict[str, Any]:
    """A list item: the User up to `name` and `spent`."""
    data = {
        "id": 42,
        "aff_id": 3001,
        "aff_link": "https:\\/\\/billing.example\\/r\\/ABC",
        "created_at": "2021-09-01T00:00:00+00:00",
        "name_f": "Jane",
        "name_l": "Doe",
        "email": "jane@example.com",
        "company": "Acme & Sons",
        "tax_id": "DE123",
        "phone": "+44 20 7946 0000",
        "address": address(),
        "note": "",
        "balance": 10.5,
        "optin": "Yes",
        "stripe_id": "cus_123",
        "custom_fields": {"Industry": "Retail"},
        "status": 3,
        "role_id": 4,
        "role": {"id": 4, "name": "Client", "dashboard_access": 0, "settings_team": False},
        "name": "Jane Doe",
        "spent": "120.00",
    }
    return data | overrides


def manager(employee_id: int, first: str) -> dict[str, Any]:
    """An SPP team member as `managers` lists one (UserManager)."""
    email = f"{first.lower()}@team.example"
    return {"id": employee_id, "name": f"{first} Team", "name_f": first, "name_l": "Team", "email": email}


def full_user(**overrides: Any) -> dict[str, Any]:
    """GET /api/clients/{user}: the whole User, bare."""
    data = list_item() | {
        "employee_id": 7,
        "managers": [manager(7, "Max"), manager(8, "Eve")],
        "ga_cid": "123456789.1234567890",
        "team_owner_ids": [],
        "team_member_ids": [3],
        "an_unknown_key": {"added": "later"},
    }
    return data | overrides


def envelope(items: list[dict[str, Any]], *, page: int = 1, last_page: int = 1, total: int | None = None):
    total = len(items) if total is None else total
    return {
        "data": items,
        "links": {"first": f"{BASE}/api/clients?page=1", "last": None, "prev": None, "next": None},
        "meta": {
            "current_page": page,
            "from": 1 if items else None,
            "last_page": last_page,
            "links": [],
            "path": f"{BASE}/api/clients",
            "per_page": 100,
            "to": len(items) or None,
            "total": total,
        },
    }


def laravel_validation(errors: dict[str, Any], message: str) -> dict[str, Any]:
    return {"message": message, "errors": errors}


# -- requests --------------------------------------------------------------------------------------


def test_every_request_carries_the_key_the_version_and_accept(spp, respx_mock):
    route = respx_mock.get("/api/clients/42").respond(json=full_user())
    spp.get_client(42)
    headers = route.calls.last.request.headers
    assert headers["Authorization"] == f"Bearer {API_KEY}"
    assert headers["X-Api-Version"] == API_VERSION
    assert headers["Accept"] == "application/json"


def test_list_sends_limit_page_and_sort(spp, respx_mock):
    route = respx_mock.get("/api/clients").respond(json=envelope([]))
    spp.list_clients(sort="id:desc", page=3, limit=25)
    params = route.calls.last.request.url.params
    assert dict(params) == {"limit": "25", "page": "3", "sort": "id:desc"}


def test_list_asks_for_at_most_100_from_page_1_without_sort(spp, respx_mock):
    route = respx_mock.get("/api/clients").respond(json=envelope([]))
    spp.list_clients()
    assert dict(route.calls.last.request.url.params) == {"limit": "100", "page": "1"}


def test_list_sends_filters_in_spps_syntax(spp, respx_mock):
    route = respx_mock.get("/api/clients").respond(json=envelope([]))
    spp.list_clients(filters={"email": "a+b@example.com", "id": [3, 1, 2]})
    request = route.calls.last.request
    params = request.url.params
    assert params["filters[email][$eq]"] == "a+b@example.com"
    assert params.get_list("filters[id][$in][]") == ["3", "1", "2"]
    # On the wire: `[`, `]` and `$` encoded, the `+` of the address too (never read as a space).
    assert b"filters%5Bemail%5D%5B%24eq%5D=a%2Bb%40example.com" in request.url.query


def test_list_parses_the_paginated_envelope(spp, respx_mock):
    respx_mock.get("/api/clients").respond(
        json=envelope([list_item(id=2), list_item(id=1)], page=2, last_page=5, total=410)
    )
    page = spp.list_clients(page=2)
    assert [client.id for client in page.data] == [2, 1]
    assert (page.meta.current_page, page.meta.last_page, page.meta.total) == (2, 5, 410)
    assert (page.meta.from_, page.meta.to, page.meta.per_page) == (1, 2, 100)
    assert page.data[0].company == "Acme & Sons"


def test_list_reads_a_bare_array_as_one_page(spp, respx_mock):
    respx_mock.get("/api/clients").respond(json=[list_item(id=5), list_item(id=6)])
    page = spp.list_clients(page=4)
    assert [client.id for client in page.data] == [5, 6]
    assert (page.meta.current_page, page.meta.last_page, page.meta.total) == (4, 4, 2)


def test_list_reads_phps_escaped_json(spp, respx_mock):
    # SPP (PHP's json_encode) escapes `/` and writes non-ASCII as \uXXXX (docs/spp-api-notes.md §1).
    body = b'{"data":[{"id":9,"name_f":"Ren\\u00e9","company":"A\\/B GmbH","email":"r@x.example"}]}'
    respx_mock.get("/api/clients").respond(content=body, headers={"Content-Type": "application/json"})
    client = spp.list_clients().data[0]
    assert (client.name_f, client.company) == ("René", "A/B GmbH")


def test_get_client_parses_the_full_user(spp, respx_mock):
    respx_mock.get("/api/clients/42").respond(json=full_user())
    client = spp.get_client(42)
    assert client.id == 42
    assert client.contact_name == "Jane Doe"
    assert client.address is not None
    assert client.address.city == "Springfield"
    assert client.address.company_name == "Acme & Sons"
    assert client.address.one_line() == "1 Main St, Suite 4, 62701 Springfield, IL, US"
    assert [manager.id for manager in client.managers] == [7, 8]
    assert client.managers[1].email == "eve@team.example"
    assert client.employee_id == 7
    assert client.employee_ids == [7, 8]  # the managers, when SPP lists them
    assert client.balance == Decimal("10.5")
    assert client.spent == "120.00"
    assert client.custom_fields == {"Industry": "Retail"}
    assert client.status == 3


def test_get_client_asks_for_the_integer_id(spp, respx_mock):
    route = respx_mock.get("/api/clients/42").respond(json=full_user())
    spp.get_client("42")  # type: ignore[arg-type]
    assert route.calls.last.request.url.path == "/api/clients/42"


@pytest.mark.parametrize(
    ("spent", "expected"),
    [("10.00", "10.00"), (None, None), (12.5, "12.5"), (7, "7")],
    ids=["string", "null", "float", "int"],
)
def test_spent_is_text_or_null_and_a_number_is_read_as_text(spp, respx_mock, spent, expected):
    respx_mock.get("/api/clients/42").respond(json=full_user(spent=spent))
    assert spp.get_client(42).spent == expected


@pytest.mark.parametrize("custom_fields", [{}, []], ids=["object", "php-empty-array"])
def test_empty_custom_fields_are_read_as_object_or_array(spp, respx_mock, custom_fields):
    respx_mock.get("/api/clients/42").respond(json=full_user(custom_fields=custom_fields))
    assert spp.get_client(42).custom_fields == custom_fields


@pytest.mark.parametrize(
    ("balance", "expected"),
    [(10, Decimal("10")), (10.25, Decimal("10.25")), ("10.00", Decimal("10.00")), ("-3.5", Decimal("-3.5"))],
)
def test_balance_is_a_number_or_a_numeric_string(spp, respx_mock, balance, expected):
    respx_mock.get("/api/clients/42").respond(json=full_user(balance=balance))
    assert spp.get_client(42).balance == expected


def test_employee_id_without_managers_and_empty_texts(spp, respx_mock):
    respx_mock.get("/api/clients/42").respond(
        json=full_user(managers=[], employee_id=9, phone=None, address=None, name_f="", name_l="")
    )
    client = spp.get_client(42)
    assert client.employee_ids == [9]
    assert client.phone is None and client.address is None
    assert client.contact_name == "Jane Doe"  # falls back to `name`


def test_update_sends_only_the_fields_set(spp, respx_mock):
    route = respx_mock.put("/api/clients/42").respond(json=full_user(phone="+1 555 0100", note=""))
    client = spp.update_client(42, SppClientUpdate(phone="+1 555 0100", note=None))
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"phone": "+1 555 0100", "note": None}
    assert client.phone == "+1 555 0100"  # what SPP answered


def test_update_sends_balance_as_a_json_number_and_the_nested_address(spp, respx_mock):
    route = respx_mock.put("/api/clients/42").respond(json=full_user(balance=12.5))
    changes = SppClientUpdate(
        balance=12.5, address={"line_1": "2 High St", "city": "Leeds"}, employee_id=[7, 8]
    )
    spp.update_client(42, changes)
    sent = json.loads(route.calls.last.request.content)
    assert sent == {
        "balance": 12.5,
        "address": {"line_1": "2 High St", "city": "Leeds"},
        "employee_id": [7, 8],
    }
    assert isinstance(sent["balance"], float)  # a number, not "12.5"
    assert b'"balance":12.5' in route.calls.last.request.content.replace(b" ", b"")


def test_clients_with_email_asks_for_both_spellings_and_ignores_case(spp, respx_mock):
    route = respx_mock.get("/api/clients").respond(
        json=envelope(
            [
                list_item(id=1, email="JANE.DOE@EXAMPLE.COM"),
                list_item(id=2, email="jane.doe@example.com"),
                list_item(id=3, email="other@example.com"),
                list_item(id=4, email=None),
            ]
        )
    )
    found = spp.clients_with_email("Jane.Doe@Example.com")
    params = route.calls.last.request.url.params
    assert params.get_list("filters[email][$in][]") == ["Jane.Doe@Example.com", "jane.doe@example.com"]
    assert params["limit"] == "100"
    assert [client.id for client in found] == [1, 2]


def test_clients_with_email_in_lower_case_asks_once(spp, respx_mock):
    route = respx_mock.get("/api/clients").respond(json=envelope([]))
    assert spp.clients_with_email("jane@example.com") == []
    assert route.calls.last.request.url.params.get_list("filters[email][$in][]") == ["jane@example.com"]


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 422])
def test_laravel_validation_errors_go_on_their_fields(spp, respx_mock, status):
    body = laravel_validation(
        {
            "email": ["The email has already been taken."],
            "address.city": ["The address.city field must be a string."],
            "employee_id.0": ["The selected employee_id.0 is invalid."],
        },
        "The email has already been taken. (and 2 more errors)",
    )
    respx_mock.put("/api/clients/42").respond(status, json=body)
    with pytest.raises(SppValidationError) as info:
        spp.update_client(42, SppClientUpdate(email="taken@example.com"))
    error = info.value
    assert error.status_code == status
    assert error.field_errors == {
        "email": ["The email has already been taken."],
        "address.city": ["The address.city field must be a string."],
        "employee_id.0": ["The selected employee_id.0 is invalid."],
    }
    # Laravel's message repeats the first field error: not a message of its own.
    assert error.non_field_errors == []
    assert str(error) == "SPP rejected the data."
    assert error.maybe_applied is False


def test_nested_error_objects_become_dotted_fields(spp, respx_mock):
    body = laravel_validation(
        {"address": {"city": ["The address.city field must be a string."]}},
        "The address.city field must be a string.",
    )
    respx_mock.put("/api/clients/42").respond(400, json=body)
    with pytest.raises(SppValidationError) as info:
        spp.update_client(42, SppClientUpdate(address={"city": "x"}))
    assert info.value.field_errors == {"address.city": ["The address.city field must be a string."]}
    assert info.value.non_field_errors == []


def test_a_message_of_its_own_is_kept(spp, respx_mock):
    respx_mock.put("/api/clients/42").respond(400, json={"message": "The request body is not valid JSON."})
    with pytest.raises(SppValidationError) as info:
        spp.update_client(42, SppClientUpdate(phone="1"))
    assert info.value.field_errors == {}
    assert info.value.non_field_errors == ["The request body is not valid JSON."]
    assert str(info.value) == "The request body is not valid JSON."


def test_401_blames_the_dashboards_spp_api_key(spp, respx_mock):
    route = respx_mock.get("/api/clients/42").respond(401, json={"message": "Unauthenticated."})
    with pytest.raises(SppAuthError) as info:
        spp.get_client(42)
    assert "SPP API key" in info.value.message
    assert info.value.status_code == 401
    assert route.call_count == 1  # never retried
    assert API_KEY not in str(info.value)


def test_404_says_the_client_is_no_longer_in_spp(spp, respx_mock):
    respx_mock.get("/api/clients/42").respond(
        404, json={"message": "No query results for model [App\\Models\\User] 42"}
    )
    with pytest.raises(SppNotFound, match="no longer in SPP"):
        spp.get_client(42)


def test_429_is_retried_for_a_read_then_tells_retry_after(spp, respx_mock):
    route = respx_mock.get("/api/clients/42").mock(
        side_effect=[
            httpx.Response(429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "0"}),
            httpx.Response(429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "0"}),
            httpx.Response(429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "7"}),
        ]
    )
    with pytest.raises(SppRateLimited) as info:
        spp.get_client(42)
    assert route.call_count == 3  # the first try and two retries
    assert info.value.retry_after == 7


def test_429_then_success_reads_fine(spp, respx_mock):
    route = respx_mock.get("/api/clients/42").mock(
        side_effect=[
            httpx.Response(429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "0"}),
            httpx.Response(200, json=full_user()),
        ]
    )
    assert spp.get_client(42).id == 42
    assert route.call_count == 2


def test_a_retry_after_longer_than_the_cap_is_not_waited_for(spp, respx_mock):
    route = respx_mock.get("/api/clients/42").respond(
        429, json={"message": "Too Many Attempts."}, headers={"Retry-After": "120"}
    )
    with pytest.raises(SppRateLimited) as info:
        spp.get_client(42)
    assert route.call_count == 1
    assert info.value.retry_after == 120


@pytest.mark.parametrize("status", [502, 503, 504])
def test_transient_statuses_are_retried_for_a_read(spp, respx_mock, status):
    route = respx_mock.get("/api/clients/42").mock(
        side_effect=[httpx.Response(status), httpx.Response(status), httpx.Response(200, json=full_user())]
    )
    assert spp.get_client(42).id == 42
    assert route.call_count == 3


@pytest.mark.parametrize(("status", "exc"), [(502, SppBadGateway), (503, SppUnavailable), (504, SppTimeout)])
def test_a_read_gives_up_after_two_retries(spp, respx_mock, status, exc):
    route = respx_mock.get("/api/clients").respond(status, json={"message": "down"})
    with pytest.raises(exc):
        spp.list_clients()
    assert route.call_count == 3


def test_a_500_is_not_retried(spp, respx_mock):
    # 500 is not among the transient statuses (429/502/503/504) of dashboard/upstream/client.py.
    route = respx_mock.get("/api/clients/42").respond(500, json={"message": "Server Error"})
    with pytest.raises(SppBadGateway):
        spp.get_client(42)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.ReadError("reset"), httpx.ConnectError("refused")]
)
def test_reads_are_retried_on_transport_errors(spp, respx_mock, failure):
    route = respx_mock.get("/api/clients/42").mock(
        side_effect=[failure, httpx.Response(200, json=full_user())]
    )
    assert spp.get_client(42).id == 42
    assert route.call_count == 2


def test_a_read_timeout_becomes_spp_timeout(spp, respx_mock):
    route = respx_mock.get("/api/clients/42").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(SppTimeout, match="did not answer in time"):
        spp.get_client(42)
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("failure", "exc", "maybe_applied"),
    [
        (httpx.ReadTimeout("slow"), SppTimeout, True),
        (httpx.ReadError("reset"), SppBadGateway, True),
        (httpx.RemoteProtocolError("Server disconnected"), SppBadGateway, True),
        (httpx.Response(502, json={"message": "Bad Gateway"}), SppBadGateway, True),
        (httpx.Response(504, json={"message": "Gateway Timeout"}), SppTimeout, True),
        (httpx.Response(500, json={"message": "Server Error"}), SppBadGateway, False),
        (httpx.Response(503, json={"message": "Service Unavailable"}), SppUnavailable, False),
        (httpx.Response(429, json={"message": "Too Many Attempts."}), SppRateLimited, False),
        (
            httpx.Response(
                400, json={"message": "The phone field must be a string.", "errors": {"phone": ["x"]}}
            ),
            SppValidationError,
            False,
        ),
    ],
    ids=["read-timeout", "read-error", "disconnect", "502", "504", "500", "503", "429", "400"],
)
def test_a_put_is_never_retried_once_it_may_have_been_sent(spp, respx_mock, failure, exc, maybe_applied):
    route = respx_mock.put("/api/clients/42").mock(
        side_effect=[failure, httpx.Response(200, json=full_user())]
    )
    with pytest.raises(exc) as info:
        spp.update_client(42, SppClientUpdate(phone="+1 555 0100"))
    assert route.call_count == 1
    assert info.value.maybe_applied is maybe_applied


def test_a_put_whose_connection_was_refused_is_retried_once(spp, respx_mock):
    route = respx_mock.put("/api/clients/42").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=full_user(phone="+1 555 0100"))]
    )
    assert spp.update_client(42, SppClientUpdate(phone="+1 555 0100")).phone == "+1 555 0100"
    assert route.call_count == 2
    assert [json.loads(call.request.content) for call in route.calls] == [{"phone": "+1 555 0100"}] * 2


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("no route")])
def test_a_put_that_never_left_is_not_maybe_applied(spp, respx_mock, failure):
    route = respx_mock.put("/api/clients/42").mock(side_effect=failure)
    with pytest.raises(SppUnavailable) as info:
        spp.update_client(42, SppClientUpdate(phone="+1 555 0100"))
    assert route.call_count == 3  # nothing was sent, so trying again was safe
    assert info.value.maybe_applied is False


def test_the_request_id_comes_from_x_api_identifier(spp, respx_mock):
    request_id = "0b6a3c8e-2f51-4d1b-9a0e-6c2b7f3d9e41"
    respx_mock.put("/api/clients/42").respond(
        503, json={"message": "Service Unavailable"}, headers={"X-Api-Identifier": request_id}
    )
    with pytest.raises(SppUnavailable) as info:
        spp.update_client(42, SppClientUpdate(phone="1"))
    assert info.value.request_id == request_id


def test_no_identifier_means_no_request_id(spp, respx_mock):
    respx_mock.get("/api/clients/42").respond(404, json={"message": "No query results"})
    with pytest.raises(SppNotFound) as info:
        spp.get_client(42)
    assert info.value.request_id is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/clients/42", {"id": "forty-two"}),
        ("GET", "/api/clients/42", {"data": full_user()}),  # SPP answers one client bare
        ("GET", "/api/clients/42", {"id": 42, "managers": "none"}),
        ("GET", "/api/clients", {"data": "none"}),
        ("GET", "/api/clients", {"meta": {"total": 0}}),
        ("GET", "/api/clients", [{"id": "x"}]),
        ("PUT", "/api/clients/42", [full_user()]),
    ],
)
def test_a_2xx_body_of_the_wrong_shape_is_a_response_error(spp, respx_mock, method, path, body):
    respx_mock.route(method=method, path=path).respond(200, json=body)
    with pytest.raises(SppResponseError) as info:
        if path == "/api/clients":
            spp.list_clients()
        elif method == "PUT":
            spp.update_client(42, SppClientUpdate(phone="1"))
        else:
            spp.get_client(42)
    assert info.value.status_code == 200
    assert isinstance(info.value, SppBadGateway)  # the web mapping: a 502


def test_a_2xx_body_that_is_not_json_is_a_response_error(spp, respx_mock):
    respx_mock.get("/api/clients/42").respond(200, text='{"id": 42, "na')
    with pytest.raises(SppResponseError, match="could not read"):
        spp.get_client(42)


# -- the key stays secret ----------------------------------------------------------------------------


def all_log_text(caplog) -> str:
    return "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    )


@pytest.mark.parametrize(
    "answer",
    [
        lambda: httpx.Response(401, json={"message": "Unauthenticated."}),
        lambda: httpx.Response(422, json={"message": "Bad.", "errors": {"email": ["Bad."]}}),
        lambda: httpx.Response(503, json={"message": "Service Unavailable"}),
        lambda: httpx.Response(200, json={"id": "bad"}),
        lambda: httpx.ReadTimeout("slow"),
        lambda: httpx.ConnectError("refused"),
    ],
    ids=["401", "422", "503", "bad-shape", "timeout", "refused"],
)
def test_the_key_is_never_logged_nor_in_the_error(spp, respx_mock, caplog, answer):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "dashboard.spp", "dashboard.upstream"):
        caplog.set_level(logging.DEBUG, logger=name)

    def respond(request: httpx.Request) -> httpx.Response:
        result = answer()
        if isinstance(result, Exception):
            raise result
        return result

    respx_mock.put("/api/clients/42").mock(side_effect=respond)
    respx_mock.get("/api/clients/42").mock(side_effect=respond)
    for call in (lambda: spp.update_client(42, SppClientUpdate(phone="1")), lambda: spp.get_client(42)):
        with pytest.raises(SppError) as info:
            call()
        assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)
        assert API_KEY not in repr(info.value.body)
    assert caplog.records, "the SPP client logs each failed call"
    assert API_KEY not in all_log_text(caplog)


def test_the_key_is_not_logged_on_success_either(spp, respx_mock, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    respx_mock.get("/api/clients").respond(json=envelope([list_item()]))
    spp.list_clients(filters={"email": "jane@example.com"})
    assert any(record.name == "dashboard.spp" for record in caplog.records)
    assert API_KEY not in all_log_text(caplog)
