"""PATCH /iam/clients/{id}: only the given fields change; DRF-style validation errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox


@pytest.fixture
def client_id(sb: Sandbox) -> int:
    return sb.client_ids()[5]


def patch(api: httpx.Client, client_id: int, body: Any) -> httpx.Response:
    return api.patch(f"/iam/clients/{client_id}", json=body)


def test_only_the_given_fields_change(sb: Sandbox, api: httpx.Client, client_id: int) -> None:
    before = sb.client_json(client_id)
    response = patch(api, client_id, {"companyName": "  Nouvelle Société & Co  ", "custom_id": "NEW-1"})
    assert response.status_code == 200
    after = response.json()
    # CharFields trim surrounding whitespace, as DRF does.
    assert after == {**before, "companyName": "Nouvelle Société & Co", "custom_id": "NEW-1"}
    assert sb.client_json(client_id) == after
    assert api.get(f"/iam/clients/{client_id}").json() == after


def test_every_writable_field(sb: Sandbox, api: httpx.Client, client_id: int) -> None:
    body = {
        "email": "billing@example.org",
        "companyName": "Example Org",
        "custom_id": None,
        "name": None,
        "phone": "",
        "reseller": sb.reseller_ids()[1],
        "seller": sb.seller_ids()[0],
        "is_test": True,
    }
    after = patch(api, client_id, body).json()
    assert {
        k: after[k] for k in ("email", "companyName", "custom_id", "name", "phone", "seller", "is_test")
    } == {k: v for k, v in body.items() if k != "reseller"}
    # The body says `reseller`, the response `resellers`; the users follow their client's reseller.
    assert after["resellers"] == sb.reseller_ids()[1]
    assert "reseller" not in after
    assert {user["reseller"] for user in after["users"]} == {sb.reseller_ids()[1]}


def test_seller_can_be_cleared_and_numbers_become_strings(
    sb: Sandbox, api: httpx.Client, client_id: int
) -> None:
    after = patch(api, client_id, {"seller": None, "custom_id": 12345, "is_test": "false"}).json()
    assert (after["seller"], after["custom_id"], after["is_test"]) == (None, "12345", False)


def test_unknown_keys_and_read_only_fields_are_ignored(
    sb: Sandbox, api: httpx.Client, client_id: int
) -> None:
    before = sb.client_json(client_id)
    after = patch(api, client_id, {"status": "paused", "deleted": True, "id": 1, "whatever": [1]}).json()
    assert after == before


def test_an_empty_body_changes_nothing(sb: Sandbox, api: httpx.Client, client_id: int) -> None:
    before = sb.client_json(client_id)
    response = api.patch(f"/iam/clients/{client_id}", content=b"")
    assert response.status_code == 200
    assert response.json() == before


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"email": "a@b"}, {"email": ["Enter a valid email address."]}),
        ({"email": None}, {"email": ["This field may not be null."]}),
        (
            {"email": "x" * 250 + "@example.com"},
            {"email": ["Ensure this field has no more than 254 characters."]},
        ),
        ({"companyName": "   "}, {"companyName": ["This field may not be blank."]}),
        ({"companyName": None}, {"companyName": ["This field may not be null."]}),
        ({"companyName": "x" * 256}, {"companyName": ["Ensure this field has no more than 255 characters."]}),
        ({"companyName": ["list"]}, {"companyName": ["Not a valid string."]}),
        ({"custom_id": "c" * 256}, {"custom_id": ["Ensure this field has no more than 255 characters."]}),
        ({"name": "n" * 256}, {"name": ["Ensure this field has no more than 255 characters."]}),
        ({"name": True}, {"name": ["Not a valid string."]}),
        ({"phone": "1" * 31}, {"phone": ["Ensure this field has no more than 30 characters."]}),
        ({"reseller": 999}, {"reseller": ['Invalid pk "999" - object does not exist.']}),
        ({"reseller": None}, {"reseller": ["This field may not be null."]}),
        ({"reseller": "abc"}, {"reseller": ["Incorrect type. Expected pk value, received str."]}),
        ({"seller": 1001}, {"seller": ['Invalid pk "1001" - object does not exist.']}),
        ({"seller": 1.5}, {"seller": ["Incorrect type. Expected pk value, received float."]}),
        ({"is_test": "maybe"}, {"is_test": ["Must be a valid boolean."]}),
        ({"is_test": None}, {"is_test": ["This field may not be null."]}),
    ],
)
def test_field_errors(
    sb: Sandbox, api: httpx.Client, client_id: int, body: dict[str, Any], errors: Any
) -> None:
    before = sb.client_json(client_id)
    response = patch(api, client_id, body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errors": errors}
    assert sb.client_json(client_id) == before


def test_all_field_errors_at_once_and_nothing_changes(sb: Sandbox, api: httpx.Client, client_id: int) -> None:
    before = sb.client_json(client_id)
    response = patch(api, client_id, {"email": "bad", "companyName": "", "name": "Fine", "seller": 7})
    assert response.json() == {
        "errors": {
            "email": ["Enter a valid email address."],
            "companyName": ["This field may not be blank."],
            "seller": ['Invalid pk "7" - object does not exist.'],
        }
    }
    assert sb.client_json(client_id) == before


def test_string_pk_is_accepted(sb: Sandbox, api: httpx.Client, client_id: int) -> None:
    assert (
        patch(api, client_id, {"reseller": str(sb.reseller_ids()[0])}).json()["resellers"]
        == sb.reseller_ids()[0]
    )


@pytest.mark.parametrize("content", [b'{"email": "a@b.com",}', b"{'email': 1}", b"\xff\xfe\x00", b"{"])
def test_broken_json(api: httpx.Client, client_id: int, content: bytes) -> None:
    response = api.patch(
        f"/iam/clients/{client_id}", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["message"]
    assert body["message"].startswith("JSON parse error - ")


def test_broken_json_detail_is_pythons_decoder_message(api: httpx.Client, client_id: int) -> None:
    response = api.patch(f"/iam/clients/{client_id}", content=b'{\n  "email": "a@b.com"\n  "name": "x"}')
    assert response.json() == {
        "message": "JSON parse error - Expecting ',' delimiter: line 3 column 3 (char 25)"
    }


@pytest.mark.parametrize(("body", "kind"), [([1, 2], "list"), ("text", "str"), (5, "int"), (True, "bool")])
def test_a_body_that_is_not_an_object(api: httpx.Client, client_id: int, body: Any, kind: str) -> None:
    response = patch(api, client_id, body)
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
    }


def test_json_null_body(api: httpx.Client, client_id: int) -> None:
    response = api.patch(f"/iam/clients/{client_id}", content=b"null")
    assert response.json() == {"errors": {"non_field_errors": ["No data provided"]}}


def test_unknown_client(api: httpx.Client) -> None:
    response = patch(api, 1, {"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_markup_is_stored_verbatim(sb: Sandbox, api: httpx.Client, client_id: int) -> None:
    name = '<img src=x onerror="alert(1)"> & Co'
    assert patch(api, client_id, {"companyName": name}).json()["companyName"] == name
