"""POST /iam/auth/renew_invitation and POST /iam/auth/reset_password (iam_reseller_api.yaml): they
answer, and change nothing the API shows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL, all_clients, first_live_client

RENEW = "/iam/auth/renew_invitation"
RESET = "/iam/auth/reset_password"
NOT_FOUND = {"detail": "User with given email not found."}


def users(sb: Sandbox, **wanted: bool) -> list[dict[str, Any]]:
    """Every listed user whose flags are as `wanted` (activated, deleted)."""
    return [
        user
        for client in all_clients(sb)
        for user in client["users"]
        if all(user[flag] is value for flag, value in wanted.items())
    ]


@pytest.fixture
def waiting(sb: Sandbox) -> dict[str, Any]:
    """A seeded user who never activated."""
    return users(sb, activated=False, deleted=False)[0]


@pytest.fixture
def active(sb: Sandbox) -> dict[str, Any]:
    return users(sb, activated=True, deleted=False)[0]


def test_renewing_an_invitation(sb: Sandbox, api: httpx.Client, waiting: dict[str, Any]) -> None:
    before = all_clients(sb)
    response = api.post(RENEW, json={"email": waiting["email"]})
    assert (response.status_code, response.content) == (200, b"")
    assert api.post(RENEW, json={"email": waiting["email"].upper()}).status_code == 200
    assert all_clients(sb) == before


def test_renewing_the_invitation_of_an_invited_user(sb: Sandbox, api: httpx.Client) -> None:
    client_id = first_live_client(sb)
    body = {
        "email": "Invited.Later@example.org",
        "user_role": {"id": 2, "name": "Users"},
        "client_id": client_id,
    }
    assert api.post("/iam/clients/invite_user", json=body).status_code == 200
    assert api.post(RENEW, json={"email": "invited.later@example.org"}).status_code == 200


def test_an_activated_user_needs_no_invitation(
    schemas, sb: Sandbox, api: httpx.Client, active: dict[str, Any]
) -> None:
    response = api.post(RENEW, json={"email": active["email"]})
    assert (response.status_code, response.json()) == (400, {"message": "This user already activated."})
    # Gcore: RenewInvitationError is a oneOf of two open objects, which any body matches both of (and
    # so fails); the answer is checked against the branch it belongs to.
    schemas.assert_valid(response.json(), "RenewInvitationError/oneOf/1")


@pytest.mark.parametrize("path", [RENEW, RESET])
def test_unknown_and_deleted_users_are_not_found(sb: Sandbox, api: httpx.Client, path: str) -> None:
    deleted = users(sb, deleted=True)[0]["email"]
    # A seller of the reseller has an e-mail but is not a user (GET /iam/admin/sellers).
    for email in ("nobody@example.org", deleted, "greta.lindqvist@edge-reseller.example"):
        response = api.post(path, json={"email": email})
        assert (response.status_code, response.json()) == (404, NOT_FOUND), email


@pytest.mark.parametrize("activated", [True, False])
def test_resetting_a_password(sb: Sandbox, api: httpx.Client, activated: bool) -> None:
    user = users(sb, activated=activated, deleted=False)[0]
    before = all_clients(sb)
    details = api.get(f"/iam/users/{user['id']}").json()
    response = api.post(RESET, json={"email": user["email"]})
    assert (response.status_code, response.content) == (200, b"")
    assert all_clients(sb) == before
    assert api.get(f"/iam/users/{user['id']}").json() == details


@pytest.mark.parametrize("path", [RENEW, RESET])
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["This field is required."]}),
        ({"email": "nope"}, {"email": ["Enter a valid email address."]}),
        ({"email": ""}, {"email": ["This field may not be blank."]}),
        ({"email": None}, {"email": ["This field may not be null."]}),
        ({"email": ["a@example.org"]}, {"email": ["Not a valid string."]}),
    ],
)
def test_validation_errors(schemas, api: httpx.Client, path: str, body: dict[str, Any], errors: Any) -> None:
    response = api.post(path, json=body)
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    schemas.assert_valid(response.json(), "iam_reseller_ValidationError")


@pytest.mark.parametrize("path", [RENEW, RESET])
def test_bad_json_and_an_empty_body(schemas, api: httpx.Client, path: str) -> None:
    broken = api.post(path, content=b'{"email"')
    assert broken.status_code == 400 and broken.json()["message"].startswith("JSON parse error - ")
    schemas.assert_valid(broken.json(), "JSONParseError")
    assert api.post(path).json() == {"errors": {"email": ["This field is required."]}}


@pytest.mark.parametrize("path", [RENEW, RESET])
def test_methods_and_keys(sb: Sandbox, api: httpx.Client, path: str, waiting: dict[str, Any]) -> None:
    response = api.get(path)
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert anonymous.post(path, json={"email": waiting["email"]}).status_code == 401


def test_over_loopback(loopback: httpx.Client, waiting: dict[str, Any], active: dict[str, Any]) -> None:
    assert loopback.post(RENEW, json={"email": waiting["email"]}).status_code == 200
    assert loopback.post(RENEW, json={"email": active["email"]}).status_code == 400
    assert loopback.post(RESET, json={"email": active["email"]}).status_code == 200
