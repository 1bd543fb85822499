"""Every sandbox response validates against Gcore's published OpenAPI schemas (tests/sandbox/seeds/).

The endpoints beyond the seed pages are checked against the spec in their own test modules, through
the same `schemas` fixture.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from dashboard.sandbox import Sandbox

SEEDS = Path(__file__).resolve().parent / "seeds"
# The project's seeds and specs, when beside the checkout.
PROJECT = Path(__file__).resolve().parents[2].parent / "shared"
GET_CLIENTS = "gcore-iam-get-clients.openapi.md"
PATCH_CLIENT = "gcore-iam-patch-client.openapi.md"


@pytest.mark.parametrize(
    "original",
    [f"seeds/{GET_CLIENTS}", f"seeds/{PATCH_CLIENT}", "specs/iam_reseller_api.yaml", "specs/iam_api.yaml"],
)
def test_the_copies_match_the_projects_originals(original: str) -> None:
    path = PROJECT / original
    if not path.is_file():
        pytest.skip(f"the project's {original} is not beside this checkout ({PROJECT})")
    assert (SEEDS / path.name).read_bytes() == path.read_bytes()


def client_properties(schemas, seed_name: str) -> set[str]:
    return set(schemas.schema("iam_reseller_ClientBase", seed_name)["properties"]) | set(
        schemas.schema("Client", seed_name)["allOf"][1]["properties"]
    )


def test_plain_list_validates(schemas, shared_api: httpx.Client) -> None:
    schemas.assert_valid(shared_api.get("/iam/clients").json(), "GetClientsResponse", GET_CLIENTS)


@pytest.mark.parametrize("params", [{"limit": 50}, {"limit": 50, "offset": 50}, {"limit": 20, "offset": 590}])
def test_paginated_list_validates(schemas, shared_api: httpx.Client, params: dict[str, int]) -> None:
    page = shared_api.get("/iam/clients", params=params).json()
    schemas.assert_valid(page, "GetClientsResponse", GET_CLIENTS)


def test_clients_carry_no_property_outside_the_schema(schemas, shared_api: httpx.Client) -> None:
    allowed = client_properties(schemas, GET_CLIENTS)
    base_user = set(schemas.schema("iam_reseller_BaseUser", GET_CLIENTS)["properties"])
    for client in shared_api.get("/iam/clients").json():
        assert set(client) <= allowed, set(client) - allowed
        assert "created_at" not in client
        for user in client["users"]:
            assert set(user) <= base_user


def test_client_detail_validates(schemas, shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    for client_id in shared_sb.client_ids()[:40]:
        schemas.assert_valid(shared_api.get(f"/iam/clients/{client_id}").json(), "Client", PATCH_CLIENT)


def test_patch_client_response_validates(schemas, sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[3]
    body = {"name": None, "phone": "", "custom_id": None, "seller": None, "is_test": "true"}
    response = api.patch(f"/iam/clients/{client_id}", json=body)
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "Client", PATCH_CLIENT)
    assert set(response.json()) <= client_properties(schemas, PATCH_CLIENT)


@pytest.mark.parametrize(
    ("content", "schema_name"),
    [(b'{"email": "nope"}', "iam_reseller_ValidationError"), (b'{"email": ', "JSONParseError")],
)
def test_patch_client_errors_validate(
    schemas, sb: Sandbox, api: httpx.Client, content: bytes, schema_name: str
) -> None:
    response = api.patch(f"/iam/clients/{sb.client_ids()[0]}", content=content)
    assert response.status_code == 400
    schemas.assert_valid(response.json(), schema_name, PATCH_CLIENT)


def test_patch_user_response_has_the_documented_fields(schemas, sb: Sandbox, api: httpx.Client) -> None:
    """The PATCH user page is a rendered reference, not YAML: check its fields and types by hand."""
    user_id = sb.client_json(sb.client_ids()[0])["users"][0]["id"]
    body = api.patch(f"/iam/users/{user_id}", json={"lang": "az"}).json()
    assert list(body) == [
        "id",
        "email",
        "name",
        "lang",
        "phone",
        "company",
        "reseller",
        "client",
        "deleted",
        "groups",
        "activated",
        "sso_auth",
        "two_fa",
        "auth_types",
        "user_type",
        "is_active",
        "client_and_roles",
    ]
    assert isinstance(body["id"], int) and isinstance(body["email"], str) and "@" in body["email"]
    assert body["name"] is None or isinstance(body["name"], str)
    assert body["lang"] in {"de", "en", "ru", "zh", "az"}
    assert body["phone"] is None or isinstance(body["phone"], str)
    assert isinstance(body["company"], str)
    assert isinstance(body["reseller"], int) and isinstance(body["client"], int)
    for flag in ("deleted", "activated", "sso_auth", "two_fa", "is_active"):
        assert isinstance(body[flag], bool)
    assert all(set(group) == {"id", "name"} for group in body["groups"])
    assert set(body["auth_types"]) <= {"password", "sso", "github", "google-oauth2"}
    assert body["user_type"] in {"common", "reseller", "seller"}
    [role] = body["client_and_roles"]
    assert set(role) == {"client_id", "client_company_name", "user_roles", "user_id"}
    assert all(isinstance(r, str) for r in role["user_roles"])
    # The same user, as the client's users[] shows it, validates against the seed's BaseUser.
    schemas.assert_valid(
        {k: v for k, v in body.items() if k not in {"user_type", "is_active", "client_and_roles"}},
        "iam_reseller_BaseUser",
        PATCH_CLIENT,
    )
    # And the whole body against the reseller spec's User.
    schemas.assert_valid(body, "iam_reseller_User")
