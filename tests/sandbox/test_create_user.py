"""POST /iam/users: a new client and its first user (CreateUserRequest -> 201 iam_reseller_User)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL, listed_ids

PASSWORD = "Blue-Heron-42!"
SERVICES = ["CDN", "STORAGE", "STREAMING", "DNS", "DDOS", "CLOUD"]


def create(api: httpx.Client, **body: Any) -> httpx.Response:
    return api.post(
        "/iam/users", json={"email": "ada@example.org", "password": PASSWORD, "company": "Ada Ltd"} | body
    )


def test_the_minimum_creates_an_active_client_and_its_admin(schemas, sb: Sandbox, api: httpx.Client) -> None:
    before = set(sb.client_ids())
    response = create(api)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    user = response.json()
    schemas.assert_valid(user, "iam_reseller_User")
    assert schemas.required("iam_reseller_User") <= set(user)
    client_id = user["client"]
    assert set(sb.client_ids()) == before | {client_id}
    assert client_id > max(before)
    assert {k: user[k] for k in ("email", "name", "lang", "phone", "company", "user_type")} == {
        "email": "ada@example.org",
        "name": None,
        "lang": "en",
        "phone": None,
        "company": "Ada Ltd",
        "user_type": "common",
    }
    assert (user["activated"], user["is_active"], user["deleted"]) == (True, True, False)
    assert user["groups"] == [{"id": 1, "name": "Administrators"}]
    assert user["reseller"] == sb.reseller_ids()[0]
    assert user["client_and_roles"] == [
        {"client_id": client_id, "client_company_name": "Ada Ltd", "user_roles": ["1"], "user_id": user["id"]}
    ]
    assert api.get(f"/iam/users/{user['id']}").json()["client"] == client_id


def test_the_new_client(schemas, sb: Sandbox, api: httpx.Client, clock) -> None:
    user = create(
        api,
        name="Ada Lovelace",
        phone="+44 20 7946 0018",
        seller=sb.seller_ids()[2],
        custom_id="CRM-NEW",
        country_code="gb",
        is_test=True,
        lang="de",
        user_type="common",
    ).json()
    client = api.get(f"/iam/clients/{user['client']}").json()
    schemas.assert_valid(client, "Client")
    assert client == sb.client_json(user["client"])
    expected = {
        "id": user["client"],
        "email": "ada@example.org",
        "companyName": "Ada Ltd",
        "name": "Ada Lovelace",
        "phone": "+44 20 7946 0018",
        "custom_id": "CRM-NEW",
        "country_code": "GB",
        "is_test": True,
        "seller": sb.seller_ids()[2],
        "resellers": sb.reseller_ids()[0],
        "status": "new",
        "deleted": False,
        "client_type": "common",
        "capabilities": [],
        "serviceStatuses": {s: {"status": "new", "enabled": False} for s in SERVICES},
        "paidFeatures": {},
        "freeFeatures": {},
        "currentUser": user["id"],
        "owner": user["id"],
        "has_active_admin": True,
    }
    assert {k: client[k] for k in expected} == expected
    assert [u["id"] for u in client["users"]] == [user["id"]]
    assert client["users"][0]["lang"] == "de"
    assert sb._store.clients[user["client"]].created_at == clock.now

    services = api.get(f"/iam/clients/{user['client']}/services").json()
    assert [(s["name"], s["status"], s["enabled"], s["previous_status"]) for s in services] == [
        (name, "new", False, "new") for name in SERVICES
    ]
    assert {s["start"] for s in services} == {s["status_changed_at"] for s in services}
    assert all(s["options"] == [] and s["deleted_date"] is None for s in services)


def test_the_new_client_is_listed_and_filtered(sb: Sandbox, api: httpx.Client, clock) -> None:
    seller = sb.seller_ids()[4]
    client_id = create(
        api, company="Zebra Crossing AG", seller=seller, is_test=True, country_code="CH"
    ).json()["client"]
    assert listed_ids(api, companyName="zebra crossing") == [client_id]
    assert client_id in listed_ids(api, seller_id=seller, is_test="true", cdn="new", country_code="ch")
    assert client_id not in listed_ids(api, is_test="false")
    assert client_id in listed_ids(api, created_at_gte=(clock.now - timedelta(minutes=1)).isoformat())
    assert client_id not in listed_ids(api, created_at_lte=(clock.now - timedelta(minutes=1)).isoformat())
    assert client_id in listed_ids(api, users_email="ada@example")
    assert client_id in listed_ids(api, activated="true")
    assert listed_ids(api, ordering="-id")[0] == client_id
    page = api.get("/iam/clients", params={"limit": 1, "ordering": "-created_at"}).json()
    assert (page["count"], page["results"][0]["id"]) == (121, client_id)


def test_services_set_the_clients_personal_availability(sb: Sandbox, api: httpx.Client) -> None:
    services = [
        {"product_name": "STREAMING", "available": True},
        {"product_name": "CDN", "available": False},
        {"product_name": "DNS", "available": None},
        {"product_name": "DDOS"},
    ]
    client_id = create(api, services=services).json()["client"]
    availability = {
        p["product_name"]: p["available"]
        for p in api.get(f"/iam/products/availability/clients/{client_id}").json()
    }
    defaults = {
        p["product_name"]: p["available"] for p in api.get("/iam/products/availability/defaults").json()
    }
    assert availability == defaults | {"STREAMING": True, "CDN": False}
    assert client_id in listed_ids(api, personal_product_availability="STREAMING")
    assert client_id in listed_ids(api, personal_product_availability="CDN")
    assert client_id not in listed_ids(api, personal_product_availability="DNS,DDOS")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"email": None, "password": None, "company": None},
            {
                "email": ["This field may not be null."],
                "password": ["This field may not be null."],
                "company": ["This field may not be null."],
            },
        ),
        ({"email": "nope"}, {"email": ["Enter a valid email address."]}),
        ({"company": "  "}, {"company": ["This field may not be blank."]}),
        ({"company": "c" * 256}, {"company": ["Ensure this field has no more than 255 characters."]}),
        ({"user_type": "reseller"}, {"user_type": ['"reseller" is not a valid choice.']}),
        ({"lang": "fr"}, {"lang": ['"fr" is not a valid choice.']}),
        ({"seller": 1001}, {"seller": ['Invalid pk "1001" - object does not exist.']}),
        ({"seller": "x"}, {"seller": ["Incorrect type. Expected pk value, received str."]}),
        ({"phone": "1" * 31}, {"phone": ["Ensure this field has no more than 30 characters."]}),
        ({"is_test": "perhaps"}, {"is_test": ["Must be a valid boolean."]}),
        ({"country_code": "DEU"}, {"country_code": ["Ensure this field has no more than 2 characters."]}),
        ({"country_code": "1A"}, {"country_code": ['"1A" is not a valid choice.']}),
        ({"services": {"CDN": True}}, {"services": ['Expected a list of items but got type "dict".']}),
        (
            {"services": [{"product_name": "WAAP", "available": True}, {"available": "maybe"}, "CDN"]},
            {
                "services": [
                    'product_name: "WAAP" is not a valid choice.',
                    "product_name: This field is required.",
                    "available: Must be a valid boolean.",
                    "Invalid data. Expected a dictionary, but got str.",
                ]
            },
        ),
    ],
)
def test_field_errors(schemas, sb: Sandbox, api: httpx.Client, body: dict[str, Any], errors: Any) -> None:
    before = sb.client_ids()
    response = create(api, **body)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    schemas.assert_valid(response.json(), "iam_reseller_ValidationError")
    assert sb.client_ids() == before


def test_required_fields(api: httpx.Client) -> None:
    response = api.post("/iam/users", json={"name": "Nobody"})
    assert response.json() == {
        "errors": {
            "email": ["This field is required."],
            "password": ["This field is required."],
            "company": ["This field is required."],
        }
    }
    assert api.post("/iam/users", content=b"").json() == response.json()


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("abc", ["This password is too short. It must contain at least 8 characters."]),
        ("Password", ["This password is too common."]),
        ("12345678", ["This password is too common.", "This password is entirely numeric."]),
        (
            "1234",
            [
                "This password is too short. It must contain at least 8 characters.",
                "This password is entirely numeric.",
            ],
        ),
        ("90817263545", ["This password is entirely numeric."]),
        ("", ["This field may not be blank."]),
        (12345678, ["This password is too common.", "This password is entirely numeric."]),
    ],
)
def test_password_rules(api: httpx.Client, password: Any, messages: list[str]) -> None:
    response = create(api, password=password)
    assert response.status_code == 400
    assert response.json() == {"errors": {"password": messages}}


@pytest.mark.parametrize("email", ["ada@example.org", "ADA@Example.ORG", "  ada@example.org "])
def test_an_email_in_use_is_refused_whatever_its_case(sb: Sandbox, api: httpx.Client, email: str) -> None:
    assert create(api).status_code == 201
    response = create(api, email=email, company="Other")
    assert response.status_code == 400
    assert response.json() == {"errors": {"email": ["user with this email already exists."]}}


def test_an_email_of_a_seeded_user_is_refused(sb: Sandbox, api: httpx.Client) -> None:
    client = sb.client_json(sb.client_ids()[0])
    colleague = client["users"][-1]["email"]
    assert create(api, email=colleague.upper()).json() == {
        "errors": {"email": ["user with this email already exists."]}
    }


def test_all_errors_at_once(api: httpx.Client) -> None:
    response = create(api, email="bad", password="short", lang="xx", company="")
    assert list(response.json()["errors"]) == ["email", "password", "company", "lang"]


def test_the_password_is_never_shown(sb: Sandbox, api: httpx.Client) -> None:
    secret = "Sphinx-of-black-quartz-7"
    user = create(api, password=secret).json()
    shown = [
        json.dumps(user),
        api.get(f"/iam/clients/{user['client']}").text,
        api.get(f"/iam/users/{user['id']}").text,
        api.get("/iam/clients").text,
        json.dumps(sb.request_log),
        repr(sb._store.clients[user["client"]]),
        repr(sb._store.users[user["id"]]),
    ]
    assert not any(secret in text for text in shown)
    assert sb.request_log[0] == {
        "method": "POST",
        "path": "/iam/users",
        "query": "",
        "status": 201,
        "fault": None,
    }
    refused = create(api, email="x@example.org", password=f"{secret}!", company="")
    assert secret not in refused.text


def test_bad_bodies(api: httpx.Client) -> None:
    assert api.post("/iam/users", content=b'{"email":').json()["message"].startswith("JSON parse error - ")
    assert api.post("/iam/users", json=[{"email": "a@b.com"}]).json() == {
        "errors": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    }


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_only_post(api: httpx.Client, method: str) -> None:
    response = api.request(method, "/iam/users")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


def test_a_key_is_needed(sb: Sandbox) -> None:
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        response = anonymous.post(
            "/iam/users", json={"email": "a@b.com", "password": PASSWORD, "company": "A"}
        )
    assert response.status_code == 401
    assert len(sb.client_ids()) == 120


def test_ids_are_never_reused_and_reset_forgets_new_clients(sb: Sandbox, api: httpx.Client) -> None:
    first = create(api).json()
    second = create(api, email="bea@example.org").json()
    assert (second["client"], second["id"]) == (first["client"] + 1, first["id"] + 1)
    sb.reset()
    assert first["client"] not in sb.client_ids()
    again = create(api).json()
    assert (again["client"], again["id"]) == (first["client"], first["id"])


def test_clock_defaults_to_real_time() -> None:
    sandbox = Sandbox(seed=1, clients=3)
    with httpx.Client(
        transport=SandboxTransport(sandbox), base_url=BASE_URL, headers={"Authorization": "APIKey k"}
    ) as api:
        before = datetime.now(sandbox.now.tzinfo)
        client_id = create(api).json()["client"]
    created = sandbox._store.clients[client_id].created_at
    assert before <= created <= datetime.now(sandbox.now.tzinfo)
    assert created.utcoffset() == timedelta(0)
