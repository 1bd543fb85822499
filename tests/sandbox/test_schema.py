"""Every sandbox response validates against Gcore's published OpenAPI schemas (tests/sandbox/seeds/)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from dashboard.sandbox import Sandbox

# Copies kept in the repository (a clone stands alone); the project's seeds, when beside the checkout.
SEEDS = Path(__file__).resolve().parent / "seeds"
PROJECT_SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
YAML_BLOCK = re.compile(r"^````yaml[^\n]*\n(.*?)^````", re.MULTILINE | re.DOTALL)


@cache
def openapi(seed_name: str) -> dict[str, Any]:
    """The OpenAPI document embedded in a seed page."""
    path = SEEDS / seed_name
    match = YAML_BLOCK.search(path.read_text(encoding="utf-8"))
    assert match, f"no yaml block in {seed_name}"
    return yaml.safe_load(match.group(1))


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` becomes "or null"; everything else is already JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def validator(seed_name: str, schema_name: str) -> jsonschema.Draft202012Validator:
    components = to_json_schema(openapi(seed_name)["components"])
    schemas = components["schemas"]
    if "PaginatedItemsArray" in schemas:
        # docs/gcore-api-notes.md §6: the published schema types next/previous as strings,
        # but DRF sends null at the ends.
        for link in ("next", "previous"):
            schemas["PaginatedItemsArray"]["properties"][link] = {"type": ["string", "null"]}
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    return jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def assert_valid(instance: Any, seed_name: str, schema_name: str) -> None:
    errors = sorted(validator(seed_name, schema_name).iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


GET_CLIENTS = "gcore-iam-get-clients.openapi.md"
PATCH_CLIENT = "gcore-iam-patch-client.openapi.md"


@pytest.mark.parametrize("seed_name", [GET_CLIENTS, PATCH_CLIENT])
def test_the_copied_seeds_match_the_projects_seeds(seed_name):
    original = PROJECT_SEEDS / seed_name
    if not original.is_file():
        pytest.skip(f"the project's seeds are not beside this checkout ({PROJECT_SEEDS})")
    assert (SEEDS / seed_name).read_bytes() == original.read_bytes()


def client_properties(seed_name: str) -> set[str]:
    schemas = openapi(seed_name)["components"]["schemas"]
    return set(schemas["iam_reseller_ClientBase"]["properties"]) | set(
        schemas["Client"]["allOf"][1]["properties"]
    )


def test_plain_list_validates(shared_api: httpx.Client) -> None:
    assert_valid(shared_api.get("/iam/clients").json(), GET_CLIENTS, "GetClientsResponse")


@pytest.mark.parametrize("params", [{"limit": 50}, {"limit": 50, "offset": 50}, {"limit": 20, "offset": 590}])
def test_paginated_list_validates(shared_api: httpx.Client, params: dict[str, int]) -> None:
    assert_valid(shared_api.get("/iam/clients", params=params).json(), GET_CLIENTS, "GetClientsResponse")


def test_clients_carry_no_property_outside_the_schema(shared_api: httpx.Client) -> None:
    allowed = client_properties(GET_CLIENTS)
    base_user = set(openapi(GET_CLIENTS)["components"]["schemas"]["iam_reseller_BaseUser"]["properties"])
    for client in shared_api.get("/iam/clients").json():
        assert set(client) <= allowed, set(client) - allowed
        assert "created_at" not in client
        for user in client["users"]:
            assert set(user) <= base_user


def test_client_detail_validates(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    for client_id in shared_sb.client_ids()[:40]:
        assert_valid(shared_api.get(f"/iam/clients/{client_id}").json(), PATCH_CLIENT, "Client")


def test_patch_client_response_validates(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[3]
    body = {"name": None, "phone": "", "custom_id": None, "seller": None, "is_test": "true"}
    response = api.patch(f"/iam/clients/{client_id}", json=body)
    assert response.status_code == 200
    assert_valid(response.json(), PATCH_CLIENT, "Client")
    assert set(response.json()) <= client_properties(PATCH_CLIENT)


@pytest.mark.parametrize(
    ("content", "schema_name"),
    [(b'{"email": "nope"}', "iam_reseller_ValidationError"), (b'{"email": ', "JSONParseError")],
)
def test_patch_client_errors_validate(
    sb: Sandbox, api: httpx.Client, content: bytes, schema_name: str
) -> None:
    response = api.patch(f"/iam/clients/{sb.client_ids()[0]}", content=content)
    assert response.status_code == 400
    assert_valid(response.json(), PATCH_CLIENT, schema_name)


def test_patch_user_response_has_the_documented_fields(sb: Sandbox, api: httpx.Client) -> None:
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
    assert_valid(
        {k: v for k, v in body.items() if k not in {"user_type", "is_active", "client_and_roles"}},
        PATCH_CLIENT,
        "iam_reseller_BaseUser",
    )
