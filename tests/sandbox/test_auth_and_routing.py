"""Authentication (401), unknown paths and ids (404), wrong methods (405)."""

from __future__ import annotations

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL, TOKEN

NOT_PROVIDED = {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}
INVALID = {"detail": "Token is invalid or expired", "code": "token_not_valid"}


def call(sandbox: Sandbox, headers: dict[str, str], path: str = "/iam/clients") -> httpx.Response:
    with httpx.Client(transport=SandboxTransport(sandbox), base_url=BASE_URL, headers=headers) as client:
        return client.get(path, params={"limit": 1})


def test_missing_header(sb: Sandbox) -> None:
    response = call(sb, {})
    assert response.status_code == 401
    assert response.json() == NOT_PROVIDED
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "header",
    [
        "APIKey wrong-token",
        f"Bearer {TOKEN}",
        f"Token {TOKEN}",
        TOKEN,
        "APIKey",
        "APIKey ",
        f"APIKey {TOKEN}x",
    ],
)
def test_invalid_credentials(sb: Sandbox, header: str) -> None:
    response = call(sb, {"Authorization": header})
    assert response.status_code == 401
    assert response.json() == INVALID
    assert TOKEN not in response.text


@pytest.mark.parametrize("scheme", ["APIKey", "apikey", "ApiKey", "APIKEY"])
def test_scheme_word_is_case_insensitive(sb: Sandbox, scheme: str) -> None:
    assert call(sb, {"Authorization": f"{scheme} {TOKEN}"}).status_code == 200


def test_token_none_accepts_any_non_empty_key() -> None:
    open_sb = Sandbox(seed=3, clients=5, token=None)
    assert call(open_sb, {"Authorization": "APIKey anything$at-all"}).status_code == 200
    assert call(open_sb, {"Authorization": "APIKey"}).json() == INVALID
    assert call(open_sb, {"Authorization": "Bearer anything"}).json() == INVALID
    assert call(open_sb, {}).json() == NOT_PROVIDED


@pytest.mark.parametrize(
    "path",
    [
        "/iam/clients/1/users",
        "/iam/clients/",
        "/iam/client",
        "/",
        "/iam/users/",
        "/iam/clients/abc",
        "/iam/clients/1/services/abc",
        "/iam/admin/features",
        "/iam/products/availability",
        "/iam/users/1.5",
    ],
)
def test_unknown_paths(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unknown_client_id(api: httpx.Client) -> None:
    response = api.get("/iam/clients/1")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_client_detail(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    response = api.get(f"/iam/clients/{client_id}")
    assert response.status_code == 200
    assert response.json() == sb.client_json(client_id)
    assert response.json()["users"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/iam/clients/{cid}", "GET, PATCH"),
        ("POST", "/iam/clients", "GET"),
        ("PUT", "/iam/clients/{cid}", "GET, PATCH"),
        ("DELETE", "/iam/users/{uid}", "GET, PATCH"),
        ("PATCH", "/iam/clients/{cid}/client-users/{uid}", "GET, PUT, DELETE"),
        ("GET", "/iam/users", "POST"),  # Gcore's GET /iam/users (the caller's own users) is not served
        ("GET", "/iam/clients/invite_user", "POST"),
        ("GET", "/iam/auth/renew_invitation", "POST"),
        ("PUT", "/iam/auth/reset_password", "POST"),
        ("PUT", "/iam/v2/clients/{cid}/tokens", "GET, POST"),
        ("PATCH", "/iam/v2/clients/{cid}/tokens/1", "GET, DELETE"),
        ("DELETE", "/iam/clients/{cid}/tokens", "GET, POST"),
        ("POST", "/iam/clients/{cid}/tokens/1", "GET, DELETE"),
    ],
)
def test_method_not_allowed(sb: Sandbox, api: httpx.Client, method: str, path: str, allow: str) -> None:
    client = sb.client_json(sb.client_ids()[0])
    response = api.request(method, path.format(cid=client["id"], uid=client["users"][0]["id"]))
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert response.headers["allow"] == allow


def test_authentication_comes_before_the_method_check(sb: Sandbox) -> None:
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as client:
        assert client.delete(f"/iam/clients/{sb.client_ids()[0]}").status_code == 401


def test_handle_directly(sb: Sandbox) -> None:
    response = sb.handle(
        method="GET",
        path="/iam/clients",
        query="limit=2&offset=0&cdn=active",
        headers={"Authorization": f"APIKey {TOKEN}", "Host": "sandbox.test"},
        body=b"",
    )
    assert response.status == 200
    assert response.headers == {"Content-Type": "application/json"}
    assert response.json()["next"] == "http://sandbox.test/iam/clients?cdn=active&limit=2&offset=2"
