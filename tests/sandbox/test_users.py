"""GET/PATCH /iam/users/{id} and the user's role in a client (GET/PUT client-users)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox

ROLES = {
    1: "Administrators",
    2: "Users",
    5: "Engineers",
    3009: "Purge and Prefetch only (API+Web)",
    3022: "Purge and Prefetch only (API)",
}


@pytest.fixture
def owner(sb: Sandbox) -> tuple[int, dict[str, Any]]:
    """A client with at least two users, and that client's JSON."""
    for client_id in sb.client_ids():
        client = sb.client_json(client_id)
        if len(client["users"]) >= 2:
            return client_id, client
    raise AssertionError("no client with two users")


def listed_user(sb: Sandbox, client_id: int, user_id: int) -> dict[str, Any]:
    [user] = [u for u in sb.client_json(client_id)["users"] if u["id"] == user_id]
    return user


def test_get_user(sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]]) -> None:
    _, client = owner
    listed = client["users"][1]
    response = api.get(f"/iam/users/{listed['id']}")
    assert response.status_code == 200
    body = response.json()
    assert "client_and_roles" not in body
    assert {k: v for k, v in body.items() if k not in {"user_type", "is_active"}} == listed
    assert body["is_active"] is not listed["deleted"]


def test_patch_user_changes_only_given_fields_and_shows_in_the_client(
    sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]]
) -> None:
    client_id, client = owner
    before = client["users"][1]
    changes = {"name": "Zoë O'Brien", "lang": "zh", "auth_types": ["sso", "password"], "phone": None}
    response = api.patch(f"/iam/users/{before['id']}", json=changes)
    assert response.status_code == 200
    body = response.json()
    assert body["client_and_roles"] == [
        {
            "client_id": client_id,
            "client_company_name": client["companyName"],
            "user_roles": [str(before["groups"][0]["id"])],
            "user_id": before["id"],
        }
    ]
    assert listed_user(sb, client_id, before["id"]) == {**before, **changes}
    other = client["users"][0]
    assert listed_user(sb, client_id, other["id"]) == other


def test_patch_user_email_and_company(
    sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]]
) -> None:
    client_id, client = owner
    user_id = client["users"][0]["id"]
    body = api.patch(f"/iam/users/{user_id}", json={"email": "new@example.com", "company": "Other"}).json()
    assert (body["email"], body["company"]) == ("new@example.com", "Other")
    # The user's company is its own field: the client's companyName does not change.
    assert sb.client_json(client_id)["companyName"] == client["companyName"]


def test_groups_in_the_user_body_are_ignored(
    sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]]
) -> None:
    client_id, client = owner
    user = client["users"][1]
    api.patch(f"/iam/users/{user['id']}", json={"groups": [{"id": 3022, "name": ROLES[3022]}]})
    assert listed_user(sb, client_id, user["id"])["groups"] == user["groups"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"email": "nope"}, {"email": ["Enter a valid email address."]}),
        ({"lang": "fr"}, {"lang": ['"fr" is not a valid choice.']}),
        ({"lang": None}, {"lang": ["This field may not be null."]}),
        ({"auth_types": "password"}, {"auth_types": ['Expected a list of items but got type "str".']}),
        ({"auth_types": ["password", "ldap"]}, {"auth_types": ['"ldap" is not a valid choice.']}),
        ({"auth_types": ["sso", "sso"]}, {"auth_types": ["Duplicate values are not allowed."]}),
        ({"auth_types": []}, {"auth_types": ["This list may not be empty."]}),
        ({"company": ""}, {"company": ["This field may not be blank."]}),
        ({"phone": "9" * 31}, {"phone": ["Ensure this field has no more than 30 characters."]}),
        (
            {"email": "", "lang": "xx"},
            {"email": ["This field may not be blank."], "lang": ['"xx" is not a valid choice.']},
        ),
    ],
)
def test_patch_user_errors(
    sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]], body: dict[str, Any], errors: Any
) -> None:
    client_id, client = owner
    response = api.patch(f"/iam/users/{client['users'][0]['id']}", json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert sb.client_json(client_id) == client


def test_patch_user_bad_json_and_non_object(api: httpx.Client, owner: tuple[int, dict[str, Any]]) -> None:
    user_id = owner[1]["users"][0]["id"]
    assert (
        api.patch(f"/iam/users/{user_id}", content=b"{oops")
        .json()["message"]
        .startswith("JSON parse error - ")
    )
    assert api.patch(f"/iam/users/{user_id}", json=[]).json() == {
        "errors": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    }


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_unknown_user(api: httpx.Client, method: str) -> None:
    response = api.request(method, "/iam/users/1", json={})
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found."}


# -- roles -------------------------------------------------------------------------------------


def test_get_role(api: httpx.Client, owner: tuple[int, dict[str, Any]]) -> None:
    client_id, client = owner
    response = api.get(f"/iam/clients/{client_id}/client-users/{client['users'][0]['id']}")
    assert response.status_code == 200
    assert response.json() == {"user_role": {"id": 1, "name": "Administrators"}}


@pytest.mark.parametrize("role_id", sorted(ROLES))
def test_put_role_changes_the_users_group(
    sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]], role_id: int
) -> None:
    client_id, client = owner
    user_id = client["users"][1]["id"]
    url = f"/iam/clients/{client_id}/client-users/{user_id}"
    response = api.put(url, json={"user_role": {"id": role_id, "name": ROLES[role_id]}})
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(url).json() == {"user_role": {"id": role_id, "name": ROLES[role_id]}}
    assert listed_user(sb, client_id, user_id)["groups"] == [{"id": role_id, "name": ROLES[role_id]}]
    assert api.get(f"/iam/users/{user_id}").json()["groups"] == [{"id": role_id, "name": ROLES[role_id]}]


def test_has_active_admin_follows_role_changes(sb: Sandbox, api: httpx.Client) -> None:
    client_id = next(
        cid
        for cid in sb.client_ids()
        if (c := sb.client_json(cid))["has_active_admin"]
        and sum(u["groups"][0]["id"] == 1 for u in c["users"]) == 1
    )
    admin = next(u for u in sb.client_json(client_id)["users"] if u["groups"][0]["id"] == 1)
    url = f"/iam/clients/{client_id}/client-users/{admin['id']}"
    api.put(url, json={"user_role": {"id": 2, "name": "Users"}})
    assert sb.client_json(client_id)["has_active_admin"] is False
    api.put(url, json={"user_role": {"id": 1, "name": "Administrators"}})
    assert sb.client_json(client_id)["has_active_admin"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"user_role": {"id": 4, "name": "Owners"}}, "Invalid role: Owners"),
        ({"user_role": {"id": 1, "name": "Users"}}, "Invalid role: Users"),
        ({"user_role": {"id": 2}}, "Invalid role: 2"),
        ({"user_role": {"id": "1", "name": "Administrators"}}, "Invalid role: Administrators"),
        ({"user_role": "Administrators"}, "Invalid role: Administrators"),
        ({"user_role": None}, "Invalid role: None"),
    ],
)
def test_put_invalid_role(
    sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]], body: Any, message: str
) -> None:
    client_id, client = owner
    response = api.put(f"/iam/clients/{client_id}/client-users/{client['users'][1]['id']}", json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": {"user_role": [message]}}
    assert sb.client_json(client_id) == client


def test_put_role_without_user_role(api: httpx.Client, owner: tuple[int, dict[str, Any]]) -> None:
    client_id, client = owner
    url = f"/iam/clients/{client_id}/client-users/{client['users'][1]['id']}"
    assert api.put(url, json={}).json() == {"errors": {"user_role": ["This field is required."]}}
    assert api.put(url, content=b"[").json()["message"].startswith("JSON parse error - ")


def test_role_of_a_user_in_another_client_is_not_found(
    sb: Sandbox, api: httpx.Client, owner: tuple[int, dict[str, Any]]
) -> None:
    client_id, _ = owner
    stranger = next(
        u["id"] for cid in sb.client_ids() if cid != client_id for u in sb.client_json(cid)["users"]
    )
    for method, body in (("GET", None), ("PUT", {"user_role": {"id": 2, "name": "Users"}})):
        response = api.request(method, f"/iam/clients/{client_id}/client-users/{stranger}", json=body)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert api.get(f"/iam/clients/1/client-users/{stranger}").status_code == 404
