"""One client, PUT, authentication, routing (404, 405) and the headers every answer carries."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dashboard.spp_sandbox import SandboxTransport, SppSandbox

BASE_URL = "https://billing.example"
FULL_KEYS = [
    "id",
    "aff_id",
    "aff_link",
    "created_at",
    "name_f",
    "name_l",
    "email",
    "company",
    "tax_id",
    "phone",
    "address",
    "note",
    "balance",
    "optin",
    "stripe_id",
    "custom_fields",
    "status",
    "role_id",
    "role",
    "name",
    "spent",
    "employee_id",
    "managers",
    "ga_cid",
    "team_owner_ids",
    "team_member_ids",
]
ROLE_KEYS = [
    "id",
    "name",
    "dashboard_access",
    "affiliates",
    "clients",
    "coupons",
    "created_at",
    "forms",
    "invoice_access",
    "invoice_management",
    "messaging",
    "order_access",
    "order_management",
    "rank_tracking",
    "services",
    "team",
    "settings",
    "ticket_access",
    "ticket_management",
    "settings_company",
    "settings_payments",
    "settings_team",
    "settings_modules",
    "settings_integrations",
    "settings_orders",
    "settings_tickets",
    "settings_accounts",
    "settings_messages",
    "settings_tags",
    "settings_sidebar",
    "settings_dashboard",
    "settings_templates",
    "settings_emails",
    "settings_language",
    "settings_logs",
    "updated_at",
]
ADDRESS_KEYS = [
    "line_1",
    "line_2",
    "city",
    "country",
    "state",
    "postcode",
    "name_f",
    "name_l",
    "tax_id",
    "company_name",
    "company_vat",
]


def put(api: httpx.Client, client_id: int, body: Any) -> httpx.Response:
    return api.put(f"/api/clients/{client_id}", json=body)


def updated(api: httpx.Client, client_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = put(api, client_id, body)
    assert response.status_code == 200, response.text
    return response.json()


def without(client: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in client.items() if key not in keys}


def other_client(sb: SppSandbox, client_id: int) -> dict[str, Any]:
    """Another client whose e-mail no third client shares."""
    for other_id in sb.client_ids():
        email = sb.client_json(other_id)["email"]
        if other_id != client_id and len(sb.ids_with_email(email)) == 1:
            return sb.client_json(other_id)
    raise AssertionError("no other client")


# -- one client ----------------------------------------------------------------------------------


def test_get_one_is_the_bare_full_user(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    for client_id in shared_sb.client_ids()[:25]:
        response = shared_api.get(f"/api/clients/{client_id}")
        assert response.status_code == 200
        body = response.json()
        assert list(body) == FULL_KEYS
        assert body == shared_sb.client_json(client_id)
        assert list(body["role"]) == ROLE_KEYS
        assert list(body["address"]) == ADDRESS_KEYS
        assert body["employee_id"] == (body["managers"][0]["id"] if body["managers"] else None)
        assert body["name"] == f"{body['name_f']} {body['name_l']}".strip()


def test_the_list_shows_the_same_client(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    client_id = shared_sb.client_ids()[5]
    item = shared_api.get("/api/clients", params={"filters[id][$eq]": client_id}).json()["data"][0]
    full = shared_api.get(f"/api/clients/{client_id}").json()
    assert item == {key: full[key] for key in FULL_KEYS[: FULL_KEYS.index("spent") + 1]}


@pytest.mark.parametrize("user", ["999999", "abc", "25", "-1", "1.5", "%20", "0"])
def test_unknown_client_is_404(shared_api: httpx.Client, user: str) -> None:
    response = shared_api.get(f"/api/clients/{user}")
    assert response.status_code == 404
    shown = user.replace("%20", " ")
    assert response.json() == {"message": f"No query results for model [App\\Models\\User] {shown}"}
    assert put(shared_api, user, {"note": "x"}).json() == response.json()  # type: ignore[arg-type]


def test_the_404_body_escapes_the_backslashes(shared_api: httpx.Client) -> None:
    assert (
        b'"No query results for model [App\\\\Models\\\\User] 7"' in shared_api.get("/api/clients/7").content
    )


# -- PUT -----------------------------------------------------------------------------------------


def test_fields_not_sent_are_left_unchanged(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[3]
    before = sb.client_json(client_id)
    after = updated(api, client_id, {"phone": "+1 555 0100"})
    assert after["phone"] == "+1 555 0100"
    assert without(after, "phone") == without(before, "phone")
    assert sb.client_json(client_id) == after
    assert api.get(f"/api/clients/{client_id}").json() == after


@pytest.mark.parametrize("body", [b"", b"{}", b"[]", b"  "])
def test_an_empty_update_changes_nothing(sb: SppSandbox, api: httpx.Client, body: bytes) -> None:
    client_id = sb.client_ids()[0]
    before = sb.client_json(client_id)
    response = api.put(
        f"/api/clients/{client_id}", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == before == sb.client_json(client_id)


def test_every_documented_field(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[1]
    before = sb.client_json(client_id)
    body = {
        "name_f": "Ann",
        "name_l": "Lee",
        "email": "ann.lee@example.org",
        "company": "Lee & Co",
        "tax_id": "DE123456789",
        "phone": "+49 30 1234567",
        "note": "Net 30.",
        "balance": 12.5,
        "optin": "No",
        "stripe_id": "cus_AbCdEfGhIjKlMn",
        "status_id": 1,
        "created_at": "2021-09-01T00:00:00+00:00",
    }
    after = updated(api, client_id, body)
    for key, value in body.items():
        assert after["status" if key == "status_id" else key] == value
    assert after["name"] == "Ann Lee"
    assert without(after, *body, "status", "name") == without(before, *body, "status", "name")


def test_address_is_merged(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[2]
    before = sb.client_json(client_id)["address"]
    after = updated(api, client_id, {"address": {"city": "Paris", "postcode": "75001"}})["address"]
    assert after == {**before, "city": "Paris", "postcode": "75001"}
    again = updated(api, client_id, {"address": {"line_1": "1 Rue de Rivoli", "state": "", "country": "FR"}})
    assert again["address"] == {**after, "line_1": "1 Rue de Rivoli", "state": "", "country": "FR"}


def test_address_keys_outside_the_request_schema_are_ignored(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[2]
    before = sb.client_json(client_id)["address"]
    after = updated(api, client_id, {"address": {"line_2": "Suite 9", "company_name": "X", "planet": "Mars"}})
    assert after["address"] == before


def test_custom_fields_are_merged(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[4]
    before = sb.client_json(client_id)["custom_fields"]
    after = updated(api, client_id, {"custom_fields": {"Plan": "Gold"}})
    assert after["custom_fields"] == {**before, "Plan": "Gold"}


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"name_f": "Ann"}, "Ann {last}"),
        ({"name_l": "Lee"}, "{first} Lee"),
        ({"name_f": "Ann", "name_l": "Lee"}, "Ann Lee"),
        ({"name_f": "", "name_l": "Lee"}, "Lee"),
        ({"name_f": "", "name_l": ""}, ""),
    ],
)
def test_name_is_recomputed(sb: SppSandbox, api: httpx.Client, body: dict[str, str], name: str) -> None:
    client_id = sb.client_ids()[5]
    before = sb.client_json(client_id)
    after = updated(api, client_id, body)
    assert after["name"] == name.format(first=before["name_f"], last=before["name_l"])


def test_name_in_the_body_is_ignored(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[5]
    before = sb.client_json(client_id)
    after = updated(api, client_id, {"name": "Someone Else", "status": 1, "id": 1, "managers": []})
    assert after == before


def test_employee_id_sets_the_managers(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[6]
    staff = {employee["id"]: employee for employee in sb.employees()}
    after = updated(api, client_id, {"employee_id": [27, 25]})
    assert after["employee_id"] == 27
    assert after["managers"] == [staff[27], staff[25]]
    assert updated(api, client_id, {"employee_id": [26, 26, "28"]})["managers"] == [staff[26], staff[28]]
    cleared = updated(api, client_id, {"employee_id": []})
    assert (cleared["employee_id"], cleared["managers"]) == (None, [])


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00"),
        ("2024-01-02T05:04:05+02:00", "2024-01-02T03:04:05+00:00"),
        ("2024-01-02T03:04:05.999", "2024-01-02T03:04:05+00:00"),
        ("2024-01-02", "2024-01-02T00:00:00+00:00"),
    ],
)
def test_created_at(sb: SppSandbox, api: httpx.Client, value: str, stored: str) -> None:
    assert updated(api, sb.client_ids()[7], {"created_at": value})["created_at"] == stored


@pytest.mark.parametrize(("value", "stored"), [(7, 7.0), ("10.50", 10.5), (-3.25, -3.25), (1.005e2, 100.5)])
def test_balance(sb: SppSandbox, api: httpx.Client, value: Any, stored: float) -> None:
    assert updated(api, sb.client_ids()[7], {"balance": value})["balance"] == stored


def test_strings_are_trimmed(sb: SppSandbox, api: httpx.Client) -> None:
    after = updated(api, sb.client_ids()[8], {"company": "  Spaced Ltd  ", "address": {"city": " Rome "}})
    assert (after["company"], after["address"]["city"]) == ("Spaced Ltd", "Rome")


def test_a_client_may_keep_its_own_email(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[9]
    email = sb.client_json(client_id)["email"]
    if len(sb.ids_with_email(email)) > 1:
        pytest.skip("a duplicate")
    assert updated(api, client_id, {"email": email.upper()})["email"] == email.upper()


def test_the_change_shows_in_the_list(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[10]
    updated(api, client_id, {"email": "Changed.Person@Example.org"})
    found = api.get("/api/clients", params={"filters[email][$eq]": "changed.person@example.org"}).json()[
        "data"
    ]
    assert [item["id"] for item in found] == [client_id]
    assert sb.ids_with_email("CHANGED.person@example.ORG") == [client_id]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"email": "not-an-email"}, {"email": ["The email field must be a valid email address."]}),
        ({"email": "a@b"}, {"email": ["The email field must be a valid email address."]}),
        ({"email": ""}, {"email": ["The email field must be a valid email address."]}),
        ({"email": None}, {"email": ["The email field must be a string."]}),
        ({"name_f": 5}, {"name_f": ["The name f field must be a string."]}),
        ({"name_l": None}, {"name_l": ["The name l field must be a string."]}),
        ({"phone": ["1"]}, {"phone": ["The phone field must be a string."]}),
        ({"company": "x" * 256}, {"company": ["The company field must not be greater than 255 characters."]}),
        ({"tax_id": "x" * 300}, {"tax_id": ["The tax id field must not be greater than 255 characters."]}),
        ({"note": False}, {"note": ["The note field must be a string."]}),
        ({"stripe_id": 12}, {"stripe_id": ["The stripe id field must be a string."]}),
        ({"balance": "ten"}, {"balance": ["The balance field must be a number."]}),
        ({"balance": True}, {"balance": ["The balance field must be a number."]}),
        ({"balance": None}, {"balance": ["The balance field must be a number."]}),
        ({"optin": "Maybe"}, {"optin": ["The selected optin is invalid."]}),
        ({"optin": "yes"}, {"optin": ["The selected optin is invalid."]}),
        ({"status_id": 9}, {"status_id": ["The selected status id is invalid."]}),
        ({"status_id": "x"}, {"status_id": ["The status id field must be an integer."]}),
        ({"status_id": 1.5}, {"status_id": ["The status id field must be an integer."]}),
        ({"employee_id": 25}, {"employee_id": ["The employee id field must be an array."]}),
        ({"employee_id": [25, 99]}, {"employee_id.1": ["The selected employee id.1 is invalid."]}),
        ({"employee_id": ["x"]}, {"employee_id.0": ["The employee id.0 field must be an integer."]}),
        ({"address": "Paris"}, {"address": ["The address field must be an array."]}),
        ({"address": {"city": 5}}, {"address.city": ["The address.city field must be a string."]}),
        (
            {"address": {"line_1": "x" * 256}},
            {"address.line_1": ["The address.line 1 field must not be greater than 255 characters."]},
        ),
        ({"custom_fields": "x"}, {"custom_fields": ["The custom fields field must be an array."]}),
        ({"created_at": "yesterday"}, {"created_at": ["The created at field must be a valid date."]}),
        ({"created_at": 1700000000}, {"created_at": ["The created at field must be a valid date."]}),
    ],
)
def test_validation_errors(sb: SppSandbox, api: httpx.Client, body: dict[str, Any], errors: dict) -> None:
    client_id = sb.client_ids()[11]
    before = sb.client_json(client_id)
    response = put(api, client_id, body)
    assert response.status_code == 400
    assert response.json() == {"message": next(iter(errors.values()))[0], "errors": errors}
    assert sb.client_json(client_id) == before


def test_one_bad_field_stops_the_whole_update(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[11]
    before = sb.client_json(client_id)
    response = put(api, client_id, {"company": "Fine Ltd", "optin": "Maybe"})
    assert response.status_code == 400
    assert sb.client_json(client_id) == before


def test_every_error_is_counted_in_the_message(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[11]
    one_more = put(api, client_id, {"name_f": 1, "name_l": 2}).json()
    assert one_more == {
        "message": "The name f field must be a string. (and 1 more error)",
        "errors": {
            "name_f": ["The name f field must be a string."],
            "name_l": ["The name l field must be a string."],
        },
    }
    body = {
        "created_at": "soon",
        "email": "x",
        "address": {"city": 1, "state": 2},
        "employee_id": [1, 2],
        "status_id": 0,
    }
    many = put(api, client_id, body).json()
    assert many["message"] == "The created at field must be a valid date. (and 6 more errors)"
    assert list(many["errors"]) == [
        "created_at",
        "email",
        "address.city",
        "address.state",
        "status_id",
        "employee_id.0",
        "employee_id.1",
    ]


def test_email_already_taken(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[12]
    other = other_client(sb, client_id)
    before = sb.client_json(client_id)
    for email in (other["email"], other["email"].upper()):
        response = put(api, client_id, {"email": email})
        assert response.status_code == 400
        assert response.json() == {
            "message": "The email has already been taken.",
            "errors": {"email": ["The email has already been taken."]},
        }
    assert sb.client_json(client_id) == before


def test_a_duplicate_cannot_resend_its_shared_email(sb: SppSandbox, api: httpx.Client) -> None:
    emails = [sb.client_json(i)["email"] for i in sb.client_ids()]
    shared = next(email for email in emails if len(sb.ids_with_email(email)) == 2)
    first, second = sb.ids_with_email(shared)
    assert put(api, first, {"email": sb.client_json(first)["email"]}).status_code == 400
    assert put(api, second, {"note": "fine"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", "The request body is not valid JSON."),
        (b"name_f=Ann", "The request body is not valid JSON."),
        (b"\xff\xfe", "The request body is not valid JSON."),
        (b'"text"', "The request body must be a JSON object."),
        (b"[1, 2]", "The request body must be a JSON object."),
        (b"null", "The request body must be a JSON object."),
    ],
)
def test_a_body_that_is_not_a_json_object(
    sb: SppSandbox, api: httpx.Client, body: bytes, message: str
) -> None:
    response = api.put(
        f"/api/clients/{sb.client_ids()[0]}", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"message": message}


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        "bearer {token}",
        "BEARER {token}",
        "APIKey {token}",
        "Basic {token}",
        "{token}",
        "Bearer {token}x",
    ],
)
def test_unauthenticated(sb: SppSandbox, token: str, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization.format(token=token)}
    client_id = sb.client_ids()[0]
    before = sb.client_json(client_id)
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL, headers=headers) as client:
        for response in (
            client.get("/api/clients"),
            client.get(f"/api/clients/{client_id}"),
            client.get("/api/clients/999999"),
            client.put(f"/api/clients/{client_id}", json={"note": "sneaky"}),
        ):
            assert response.status_code == 401
            assert response.json() == {"message": "Unauthenticated."}
            assert "www-authenticate" not in response.headers
    assert sb.client_json(client_id) == before


def test_without_a_configured_token_any_bearer_key_passes() -> None:
    sandbox = SppSandbox(seed=3, gcore_clients=20, token=None, now=datetime(2025, 1, 1, tzinfo=UTC))
    with httpx.Client(transport=SandboxTransport(sandbox), base_url=BASE_URL) as client:
        assert client.get("/api/clients", headers={"Authorization": "Bearer anything"}).status_code == 200
        assert client.get("/api/clients", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/api/clients").status_code == 401


# -- routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/clients/", "api/clients"),
        ("/api/clients/12/", "api/clients/12"),
        ("/api/client", "api/client"),
        ("/api/clients/12/orders", "api/clients/12/orders"),
        ("/API/clients", "API/clients"),
        ("/iam/clients", "iam/clients"),
        ("/", "/"),
    ],
)
def test_unknown_path_is_404(api: httpx.Client, anonymous: httpx.Client, path: str, route: str) -> None:
    for client in (api, anonymous):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"message": f"The route {route} could not be found."}


def test_a_percent_encoded_path_is_decoded_first(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    assert api.get(f"/api/%63lients/{client_id}").json()["id"] == client_id


@pytest.mark.parametrize("method", ["POST", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"])
def test_other_methods_are_405_before_authentication(
    sb: SppSandbox, api: httpx.Client, anonymous: httpx.Client, method: str
) -> None:
    client_id = sb.client_ids()[0]
    for client in (api, anonymous):
        listed = client.request(method, "/api/clients")
        assert listed.status_code == 405
        assert listed.headers["allow"] == "GET, HEAD"
        assert listed.json() == {
            "message": (
                f"The {method} method is not supported for route api/clients. Supported methods: GET, HEAD."
            )
        }
        one = client.request(method, f"/api/clients/{client_id}")
        assert one.status_code == 405
        assert one.headers["allow"] == "GET, HEAD, PUT"
        assert one.json() == {
            "message": (
                f"The {method} method is not supported for route api/clients/{client_id}. "
                "Supported methods: GET, HEAD, PUT."
            )
        }
    assert put(anonymous, client_id, {}).status_code == 401
    assert anonymous.request("PUT", "/api/clients").status_code == 405


# -- headers -------------------------------------------------------------------------------------


def test_every_answer_carries_the_api_headers(
    sb: SppSandbox, api: httpx.Client, anonymous: httpx.Client
) -> None:
    client_id = sb.client_ids()[0]
    responses = [
        api.get("/api/clients"),
        api.get(f"/api/clients/{client_id}"),
        put(api, client_id, {"note": "n"}),
        put(api, client_id, {"optin": "?"}),
        api.get("/api/clients", params={"limit": 0}),
        api.get("/api/clients/0"),
        api.get("/nowhere"),
        api.delete("/api/clients"),
        anonymous.get("/api/clients"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 400, 400, 404, 404, 405, 401]
    identifiers = set()
    for response in responses:
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-api-version"] == "20231214"
        identifier = uuid.UUID(response.headers["x-api-identifier"])
        assert identifier.version == 4
        identifiers.add(identifier)
    assert len(identifiers) == len(responses)


@pytest.mark.parametrize("version", ["2024-03-05", "20231214", "anything"])
def test_the_request_may_name_any_api_version(shared_api: httpx.Client, version: str) -> None:
    response = shared_api.get("/api/clients", params={"limit": 1}, headers={"X-Api-Version": version})
    assert response.status_code == 200
    assert response.headers["x-api-version"] == "20231214"


def test_json_is_encoded_as_php_does(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    raw = shared_api.get("/api/clients", params={"limit": 2}).content
    assert b"https:\\/\\/billing.example\\/api\\/clients" in raw
    assert raw.isascii()
    accented = next(i for i in shared_sb.client_ids() if not shared_sb.client_json(i)["name"].isascii())
    body = shared_api.get(f"/api/clients/{accented}").content
    assert body.isascii()
    assert json.loads(body) == shared_sb.client_json(accented)


# -- the case-sensitive reading ------------------------------------------------------------------


def test_case_sensitive_filters(token: str) -> None:
    now = datetime(2025, 6, 1, tzinfo=UTC)
    strict = SppSandbox(seed=42, gcore_clients=600, token=token, now=now, case_sensitive_filters=True)
    with httpx.Client(
        transport=SandboxTransport(strict), base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        recased = next(
            c
            for c in map(strict.client_json, strict.client_ids())
            if c["email"] != c["email"].lower() and len(strict.ids_with_email(c["email"])) == 1
        )

        def found(params: Any) -> list[int]:
            response = client.get("/api/clients", params=params)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["data"]]

        assert found({"filters[email][$eq]": recased["email"]}) == [recased["id"]]
        assert recased["id"] not in found({"filters[email][$eq]": recased["email"].lower()})
        assert recased["id"] not in found([("filters[email][$in][]", recased["email"].lower())])
        assert recased["id"] in found([("filters[email][$in][]", recased["email"])])
        assert found({"filters[optin][$eq]": "yes"}) == []
        # Exact uniqueness too: another client may take this address in other letter case.
        other_id = next(i for i in strict.client_ids() if i != recased["id"])
        response = client.put(f"/api/clients/{other_id}", json={"email": recased["email"].lower()})
        assert response.status_code == 200, response.text
        taken = client.put(f"/api/clients/{other_id}", json={"email": recased["email"]})
        assert taken.json()["errors"] == {"email": ["The email has already been taken."]}
    # ids_with_email always ignores case.
    assert sorted([recased["id"], other_id]) == [
        i for i in strict.ids_with_email(recased["email"]) if i in (recased["id"], other_id)
    ]
