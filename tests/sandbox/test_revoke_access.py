"""DELETE /iam/clients/{clientId}/client-users/{userId}: a user loses a client, and is deleted with
their last one; refused while they hold API tokens there (iam_api.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from gcore import Gcore, NotFoundError, PermissionDeniedError

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL

ACTIVE_TOKENS = {"message": "You can't remove the user as they have active tokens"}
USERS = {"id": 2, "name": "Users"}


def clients(sb: Sandbox) -> Iterator[dict[str, Any]]:
    """The live common clients, as GET /iam/clients/{id} shows them."""
    for cid in sb.client_ids():
        client = sb.client_json(cid)
        if not client["deleted"] and client["client_type"] == "common":
            yield client


def live_tokens(api: httpx.Client, client_id: int) -> list[dict[str, Any]]:
    """The client's tokens not deleted (the list's default)."""
    response = api.get(f"/iam/v2/clients/{client_id}/tokens")
    assert response.status_code == 200
    return response.json()


def holders(api: httpx.Client, client_id: int) -> set[int]:
    return {token["client_user"]["user_id"] for token in live_tokens(api, client_id)}


def revoke(api: httpx.Client, client_id: int, user_id: int) -> httpx.Response:
    return api.delete(f"/iam/clients/{client_id}/client-users/{user_id}")


def free_user(api: httpx.Client, client: dict[str, Any]) -> dict[str, Any] | None:
    """A user of the client other than its current user, with no live token in it."""
    held = holders(api, client["id"])
    return next(
        (u for u in client["users"] if u["id"] != client["currentUser"] and u["id"] not in held), None
    )


@pytest.fixture
def team(sb: Sandbox, api: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """A client with several users, and one of them who can be removed at once."""
    for client in clients(sb):
        user = free_user(api, client)
        if user is not None:
            return client, user
    raise AssertionError("no client with a removable colleague")


@pytest.fixture
def outsider(sb: Sandbox, team: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    """A live user of another client, invited into the team's client (home: their own client)."""
    client, _ = team
    for other in clients(sb):
        if other["id"] != client["id"]:
            user = next((u for u in other["users"] if not u["deleted"]), None)
            if user is not None:
                return {**user, "home": other["id"]}
    raise AssertionError("no other client")


def test_removing_a_users_only_account_deletes_the_user(
    sb: Sandbox, api: httpx.Client, team: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    client, user = team
    response = revoke(api, client["id"], user["id"])
    assert (response.status_code, response.content) == (200, b"")

    after = sb.client_json(client["id"])
    assert after["users"] == [u for u in client["users"] if u["id"] != user["id"]]
    assert {k: v for k, v in after.items() if k != "users"} == {
        k: v for k, v in client.items() if k != "users"
    }
    gone = api.get(f"/iam/users/{user['id']}")
    assert (gone.status_code, gone.json()) == (404, {"detail": "User not found."})
    assert api.get(f"/iam/clients/{client['id']}/client-users/{user['id']}").status_code == 404
    again = revoke(api, client["id"], user["id"])
    assert (again.status_code, again.json()) == (404, {"detail": "Not found."})


def test_unknown_clients_and_users_of_other_clients(
    sb: Sandbox, api: httpx.Client, team: tuple[dict[str, Any], dict[str, Any]], outsider: dict[str, Any]
) -> None:
    client, user = team
    home = sb.client_json(outsider["home"])
    for client_id, user_id in ((client["id"], outsider["id"]), (1, user["id"]), (client["id"], 1)):
        response = revoke(api, client_id, user_id)
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    assert sb.client_json(client["id"]) == client
    assert sb.client_json(outsider["home"]) == home
    assert api.get(f"/iam/users/{outsider['id']}").status_code == 200


def test_a_user_of_several_clients_loses_only_this_one(
    schemas,
    sb: Sandbox,
    api: httpx.Client,
    team: tuple[dict[str, Any], dict[str, Any]],
    outsider: dict[str, Any],
) -> None:
    client, _ = team
    home = sb.client_json(outsider["home"])
    body = {"email": outsider["email"], "user_role": USERS, "client_id": client["id"]}
    assert api.post("/iam/clients/invite_user", json=body).status_code == 200

    assert revoke(api, client["id"], outsider["id"]).status_code == 200
    assert sb.client_json(client["id"]) == client
    assert sb.client_json(outsider["home"]) == home
    user = api.patch(f"/iam/users/{outsider['id']}", json={}).json()
    schemas.assert_valid(user, "User", schemas.IAM)
    assert [entry["client_id"] for entry in user["client_and_roles"]] == [outsider["home"]]


def test_leaving_ones_own_account_makes_the_next_one_ones_own(
    sb: Sandbox, api: httpx.Client, team: tuple[dict[str, Any], dict[str, Any]], outsider: dict[str, Any]
) -> None:
    client, _ = team
    if outsider["id"] in holders(api, outsider["home"]):
        pytest.skip("the outsider holds tokens in their own client")
    body = {"email": outsider["email"], "user_role": USERS, "client_id": client["id"]}
    api.post("/iam/clients/invite_user", json=body)

    assert revoke(api, outsider["home"], outsider["id"]).status_code == 200
    user = api.get(f"/iam/users/{outsider['id']}").json()
    assert (user["client"], user["reseller"], user["groups"]) == (client["id"], client["resellers"], [USERS])
    roles = api.patch(f"/iam/users/{outsider['id']}", json={}).json()["client_and_roles"]
    assert [(r["client_id"], r["user_roles"]) for r in roles] == [(client["id"], ["2"])]
    assert outsider["id"] not in {u["id"] for u in sb.client_json(outsider["home"])["users"]}


# -- tokens keep a user in -------------------------------------------------------------------------------


def token_client(sb: Sandbox, api: httpx.Client, *, sole: bool) -> tuple[dict[str, Any], int]:
    """A client whose user holds a live token: its only user (`sole`), or one of several."""
    for client in clients(sb):
        held = holders(api, client["id"])
        if held and (len(client["users"]) == 1) is sole:
            return client, min(held)
    raise AssertionError("no such client")


@pytest.mark.parametrize("sole", [True, False], ids=["sole-user", "one-of-several"])
def test_a_holder_of_tokens_stays_until_they_are_deleted(
    schemas, sb: Sandbox, api: httpx.Client, sole: bool
) -> None:
    client, user_id = token_client(sb, api, sole=sole)
    user = api.get(f"/iam/users/{user_id}").json()
    response = revoke(api, client["id"], user_id)
    assert (response.status_code, response.json()) == (403, ACTIVE_TOKENS)
    # Gcore: RevokeUserAccessForbiddenError is a oneOf of two open objects, so any body matches both
    # and fails it; the answer is checked against its TokenConstrainsDeletion branch.
    schemas.assert_valid(response.json(), "TokenConstrainsDeletion", schemas.IAM)
    assert sb.client_json(client["id"]) == client

    mine = [t for t in live_tokens(api, client["id"]) if t["client_user"]["user_id"] == user_id]
    for token in mine:
        assert api.delete(f"/iam/v2/clients/{client['id']}/tokens/{token['id']}").status_code == 204
    assert revoke(api, client["id"], user_id).status_code == 200
    assert api.get(f"/iam/users/{user_id}").status_code == 404

    # The deleted tokens still name who issued them, now gone from the client.
    deleted = api.get(
        f"/iam/v2/clients/{client['id']}/tokens", params={"issued_by": user_id, "deleted": "true"}
    )
    assert {t["id"] for t in deleted.json()} >= {t["id"] for t in mine}
    for token in deleted.json():
        issuer = token["client_user"]
        assert (issuer["deleted"], issuer["user_email"], issuer["user_name"]) == (
            True,
            user["email"],
            user["name"] or "",
        )
    if sole:
        after = sb.client_json(client["id"])
        assert (after["users"], after["currentUser"], after["owner"], after["has_active_admin"]) == (
            [],
            0,
            client["owner"],
            False,
        )
        schemas.assert_valid(after, "Client")


def test_an_expired_token_still_counts(sb: Sandbox, api: httpx.Client) -> None:
    for client in clients(sb):
        expired = [t for t in live_tokens(api, client["id"]) if t["expired"]]
        if expired:
            response = revoke(api, client["id"], expired[0]["client_user"]["user_id"])
            assert (response.status_code, response.json()) == (403, ACTIVE_TOKENS)
            return
    raise AssertionError("no expired token that is not deleted")


def test_deleted_tokens_do_not_count(sb: Sandbox, api: httpx.Client) -> None:
    for client in clients(sb):
        held = holders(api, client["id"])
        deleted = api.get(f"/iam/v2/clients/{client['id']}/tokens", params={"deleted": "true"}).json()
        only_deleted = {t["client_user"]["user_id"] for t in deleted} - held
        if only_deleted:
            assert revoke(api, client["id"], min(only_deleted)).status_code == 200
            return
    raise AssertionError("no user whose tokens are all deleted")


# -- the client's currentUser, owner and has_active_admin -------------------------------------------------


def test_the_current_user_passes_on_and_the_owner_stays(sb: Sandbox, api: httpx.Client) -> None:
    for client in clients(sb):
        current = client["currentUser"]
        if len(client["users"]) >= 3 and current not in holders(api, client["id"]):
            break
    else:
        raise AssertionError("no client with three users whose current user holds no token")
    rest = [u for u in client["users"] if u["id"] != current]
    live = [u for u in rest if not u["deleted"]]
    admins = [u for u in live if u["activated"] and u["groups"] == [{"id": 1, "name": "Administrators"}]]
    expected = (admins or live or rest)[0]["id"]

    assert revoke(api, client["id"], current).status_code == 200
    after = sb.client_json(client["id"])
    assert (after["currentUser"], after["owner"]) == (expected, client["owner"])
    assert after["has_active_admin"] is bool(admins)


def test_the_last_user_leaves_and_a_new_one_becomes_current(schemas, sb: Sandbox, api: httpx.Client) -> None:
    client = next(c for c in clients(sb) if len(c["users"]) == 1 and not holders(api, c["id"]))
    assert revoke(api, client["id"], client["currentUser"]).status_code == 200
    emptied = sb.client_json(client["id"])
    assert (emptied["users"], emptied["currentUser"], emptied["has_active_admin"]) == ([], 0, False)
    schemas.assert_valid(emptied, "Client")

    body = {"email": "next.one@example.org", "user_role": {"id": 1, "name": "Administrators"}}
    user_id = api.post("/iam/clients/invite_user", json={**body, "client_id": client["id"]}).json()["user_id"]
    refilled = sb.client_json(client["id"])
    assert (refilled["currentUser"], refilled["owner"]) == (user_id, client["owner"])
    assert refilled["has_active_admin"] is False  # not activated yet


# -- through Gcore's SDK, over loopback, without a key -------------------------------------------------------


def test_the_sdk_removes_a_user(
    sb: Sandbox, api: httpx.Client, gcore_sdk: Gcore, team: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    client, user = team
    assert gcore_sdk.iam.users.delete(user["id"], client_id=client["id"]) is None
    with pytest.raises(NotFoundError):
        gcore_sdk.iam.users.get(user["id"])
    holder_client, holder = token_client(sb, api, sole=False)
    with pytest.raises(PermissionDeniedError) as refused:
        gcore_sdk.iam.users.delete(holder, client_id=holder_client["id"])
    assert refused.value.body == ACTIVE_TOKENS


def test_over_loopback(loopback: httpx.Client, team: tuple[dict[str, Any], dict[str, Any]]) -> None:
    client, user = team
    first = revoke(loopback, client["id"], user["id"])
    assert (first.status_code, first.content) == (200, b"")
    assert revoke(loopback, client["id"], user["id"]).status_code == 404


def test_needs_a_key(sb: Sandbox, team: tuple[dict[str, Any], dict[str, Any]]) -> None:
    client, user = team
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert revoke(anonymous, client["id"], user["id"]).status_code == 401
    assert sb.client_json(client["id"]) == client
