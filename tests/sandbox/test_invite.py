"""POST /iam/clients/invite_user: new users, existing users of other clients, and every error shape
of InviteUserError (iam_api.yaml)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from gcore import BadRequestError, Gcore
from gcore.types.iam import User, UserGetResponse, UserInvited

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL

ROLES = {
    1: "Administrators",
    2: "Users",
    5: "Engineers",
    3009: "Purge and Prefetch only (API+Web)",
    3022: "Purge and Prefetch only (API)",
}
ENGINEERS = {"id": 5, "name": "Engineers"}


def live_clients(sb: Sandbox, client_type: str = "common") -> list[dict[str, Any]]:
    return [
        client
        for cid in sb.client_ids()
        if not (client := sb.client_json(cid))["deleted"] and client["client_type"] == client_type
    ]


def listed(sb: Sandbox, client_id: int, user_id: int) -> dict[str, Any]:
    [user] = [u for u in sb.client_json(client_id)["users"] if u["id"] == user_id]
    return user


def invite(api: httpx.Client, client_id: int, email: str, **extra: Any) -> httpx.Response:
    return api.post(
        "/iam/clients/invite_user",
        json={
            "email": email,
            "user_role": extra.pop("user_role", ENGINEERS),
            "client_id": client_id,
            **extra,
        },
    )


@pytest.fixture
def client(sb: Sandbox) -> dict[str, Any]:
    """A live common client with an active administrator."""
    return next(c for c in live_clients(sb) if c["has_active_admin"])


@pytest.fixture
def colleague(sb: Sandbox, client: dict[str, Any]) -> dict[str, Any]:
    """A live, common user of another client than `client`, with that client's id as `home`."""
    for other in live_clients(sb):
        if other["id"] != client["id"]:
            for user in other["users"]:
                if not user["deleted"]:
                    return {**user, "home": other["id"]}
    raise AssertionError("no other live client")


# -- a new e-mail --------------------------------------------------------------------------------


def test_a_new_email_becomes_a_new_user_of_the_client(
    schemas, sdk, sb: Sandbox, api: httpx.Client, client: dict[str, Any]
) -> None:
    before = client["users"]
    response = invite(api, client["id"], "new.person@example.org", name="Zoë O'Brien")
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid(body, "InviteUserResponseSchema", schemas.IAM)
    invited = sdk.validate(UserInvited, body)
    assert (invited.status, set(body)) == ("sent", {"status", "user_id"})

    after = sb.client_json(client["id"])
    assert after["users"][: len(before)] == before
    [user] = after["users"][len(before) :]
    assert user == {
        "id": invited.user_id,
        "email": "new.person@example.org",
        "name": "Zoë O'Brien",
        "lang": "en",
        "phone": None,
        "company": client["companyName"],
        "reseller": client["resellers"],
        "client": client["id"],
        "deleted": False,
        "groups": [ENGINEERS],
        "activated": False,
        "sso_auth": False,
        "two_fa": False,
        "auth_types": ["password"],
    }
    schemas.assert_valid(after, "Client")
    # The rest of the client does not change.
    assert {k: v for k, v in after.items() if k != "users"} == {
        k: v for k, v in client.items() if k != "users"
    }

    details = api.get(f"/iam/users/{invited.user_id}")
    assert details.status_code == 200
    schemas.assert_valid(details.json(), "UserPublic", schemas.IAM)
    sdk.validate(UserGetResponse, details.json())
    assert details.json() == {**user, "user_type": "common", "is_active": True}
    assert api.get(f"/iam/clients/{client['id']}/client-users/{invited.user_id}").json() == {
        "user_role": ENGINEERS
    }


@pytest.mark.parametrize("role_id", sorted(ROLES))
def test_every_role_and_language(
    sb: Sandbox, api: httpx.Client, client: dict[str, Any], role_id: int
) -> None:
    role = {"id": role_id, "name": ROLES[role_id]}
    response = invite(api, client["id"], f"role{role_id}@example.org", user_role=role, lang="az")
    user = listed(sb, client["id"], response.json()["user_id"])
    assert (user["groups"], user["lang"], user["name"]) == ([role], "az", None)


def test_an_invited_administrator_is_not_an_active_admin(sb: Sandbox, api: httpx.Client) -> None:
    client = next(c for c in live_clients(sb) if not c["has_active_admin"])
    invite(api, client["id"], "boss@example.org", user_role={"id": 1, "name": "Administrators"})
    assert sb.client_json(client["id"])["has_active_admin"] is False


def test_ids_are_new_and_the_reset_forgets_them(
    sb: Sandbox, api: httpx.Client, client: dict[str, Any]
) -> None:
    seeded = sb.client_json(client["id"])
    first = invite(api, client["id"], "one@example.org").json()["user_id"]
    second = invite(api, client["id"], "two@example.org").json()["user_id"]
    assert second == first + 1
    assert first not in {u["id"] for c in live_clients(sb) for u in c["users"] if c["id"] != client["id"]}
    sb.reset()
    assert sb.client_json(client["id"]) == seeded
    assert api.get(f"/iam/users/{first}").status_code == 404


# -- an existing user of another client ------------------------------------------------------------


def test_a_user_of_another_client_is_added_to_this_one(
    schemas, sdk, sb: Sandbox, api: httpx.Client, client: dict[str, Any], colleague: dict[str, Any]
) -> None:
    home = sb.client_json(colleague["home"])
    own = {k: v for k, v in colleague.items() if k != "home"}
    # Upper case, a name and a language: the address names the same user, who keeps their own.
    response = invite(api, client["id"], colleague["email"].upper(), name="Someone Else", lang="zh")
    assert response.status_code == 200
    assert response.json() == {"status": "sent", "user_id": colleague["id"]}

    # In this client the user shows with this client's role; in their own, as before.
    assert listed(sb, client["id"], colleague["id"]) == {
        **own,
        "client": client["id"],
        "reseller": client["resellers"],
        "groups": [ENGINEERS],
    }
    assert sb.client_json(colleague["home"]) == home
    details = api.get(f"/iam/users/{colleague['id']}").json()
    assert details["client"] == colleague["home"] and details["groups"] == colleague["groups"]

    # The User (PATCH's answer) lists both clients.
    user = api.patch(f"/iam/users/{colleague['id']}", json={}).json()
    schemas.assert_valid(user, "User", schemas.IAM)
    sdk.validate(User, user)
    assert user["client_and_roles"] == [
        {
            "client_id": colleague["home"],
            "client_company_name": home["companyName"],
            "user_roles": [str(colleague["groups"][0]["id"])],
            "user_id": colleague["id"],
        },
        {
            "client_id": client["id"],
            "client_company_name": client["companyName"],
            "user_roles": ["5"],
            "user_id": colleague["id"],
        },
    ]
    # Roles stay apart: a change in one client leaves the other.
    url = f"/iam/clients/{client['id']}/client-users/{colleague['id']}"
    assert api.put(url, json={"user_role": {"id": 2, "name": "Users"}}).status_code == 204
    assert listed(sb, client["id"], colleague["id"])["groups"] == [{"id": 2, "name": "Users"}]
    assert sb.client_json(colleague["home"]) == home


def test_an_active_administrator_of_another_client_counts_here_too(
    sb: Sandbox, api: httpx.Client, client: dict[str, Any]
) -> None:
    target = next(c for c in live_clients(sb) if not c["has_active_admin"])
    admin = next(u for u in client["users"] if u["activated"] and not u["deleted"])
    invite(api, target["id"], admin["email"], user_role={"id": 1, "name": "Administrators"})
    assert sb.client_json(target["id"])["has_active_admin"] is True


# -- errors -------------------------------------------------------------------------------------------


def test_a_user_already_in_the_client(
    schemas, sb: Sandbox, api: httpx.Client, client: dict[str, Any]
) -> None:
    member = client["users"][-1]
    response = invite(api, client["id"], member["email"])
    assert response.status_code == 400
    assert response.json() == [f"User {member['id']} has already been invited to client {client['id']}"]
    # Gcore: the spec's enum holds the message's template, placeholders and all: the message fills
    # them in, so it is checked against the template, not the enum.
    shapes = schemas.schema("InviteUserError", schemas.IAM)["oneOf"]
    shape = next(s for s in shapes if s.get("title") == "User has already been invited")
    [template] = shape["items"]["enum"]
    pattern = re.escape(template).replace(r"\{user\ ID\}", "[0-9]+").replace(r"\{account\ ID\}", "[0-9]+")
    assert re.fullmatch(pattern, response.json()[0])
    # A fresh invitation, sent twice.
    new_id = invite(api, client["id"], "twice@example.org").json()["user_id"]
    again = invite(api, client["id"], "TWICE@example.org", user_role={"id": 2, "name": "Users"})
    assert again.json() == [f"User {new_id} has already been invited to client {client['id']}"]
    assert listed(sb, client["id"], new_id)["groups"] == [ENGINEERS]


def cannot_be_added(sb: Sandbox) -> list[tuple[str, str, int]]:
    """(what, e-mail, client id) for each refusal the sandbox chose."""
    target = live_clients(sb)[0]["id"]
    seller_user = next(u for c in live_clients(sb, "sales") for u in c["users"] if not u["deleted"])
    reseller_user = next(u for c in live_clients(sb, "reseller") for u in c["users"] if not u["deleted"])
    deleted_user = next(u for c in live_clients(sb)[1:] for u in c["users"] if u["deleted"])
    deleted_client = next(cid for cid in sb.client_ids() if sb.client_json(cid)["deleted"])
    return [
        ("one of the reseller's sellers", "greta.lindqvist@edge-reseller.example", target),
        ("a seller's user", seller_user["email"], target),
        ("a reseller's user", reseller_user["email"], target),
        ("a deleted user", deleted_user["email"], target),
        ("a deleted client", "nobody.yet@example.org", deleted_client),
    ]


def test_users_that_cannot_be_added(schemas, sb: Sandbox, api: httpx.Client) -> None:
    for what, email, client_id in cannot_be_added(sb):
        before = sb.client_json(client_id)
        response = invite(api, client_id, email)
        assert (response.status_code, response.json()) == (
            400,
            ["This user cannot be added to this client."],
        ), what
        schemas.assert_valid(response.json(), "InviteUserError", schemas.IAM)
        assert sb.client_json(client_id) == before, what


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "email": ["This field is required."],
                "user_role": ["This field is required."],
                "client_id": ["This field is required."],
            },
        ),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"email": ""}, {"email": ["This field may not be blank."]}),
        ({"email": None}, {"email": ["This field may not be null."]}),
        ({"client_id": 1}, {"client_id": ['Invalid pk "1" - object does not exist.']}),
        ({"client_id": "x"}, {"client_id": ["Incorrect type. Expected pk value, received str."]}),
        ({"user_role": {"id": 4, "name": "Owners"}}, {"user_role": ["Invalid role: Owners"]}),
        ({"user_role": {"id": 1, "name": "Users"}}, {"user_role": ["Invalid role: Users"]}),
        ({"user_role": "Administrators"}, {"user_role": ["Invalid role: Administrators"]}),
        ({"lang": "fr"}, {"lang": ['"fr" is not a valid choice.']}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        ({"name": "x" * 256}, {"name": ["Ensure this field has no more than 255 characters."]}),
        (
            {"email": "nope", "user_role": None, "client_id": 1},
            {
                "email": ["Enter a valid email address."],
                "user_role": ["Invalid role: None"],
                "client_id": ['Invalid pk "1" - object does not exist.'],
            },
        ),
    ],
)
def test_validation_errors(
    schemas, sb: Sandbox, api: httpx.Client, client: dict[str, Any], body: dict[str, Any], errors: Any
) -> None:
    valid = {"email": "valid@example.org", "user_role": ENGINEERS, "client_id": client["id"]}
    sent = {**valid, **body} if body else {}
    response = api.post("/iam/clients/invite_user", json=sent)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    schemas.assert_valid(response.json(), "InviteUserError", schemas.IAM)
    assert sb.client_json(client["id"]) == client


def test_bad_json(schemas, api: httpx.Client) -> None:
    response = api.post("/iam/clients/invite_user", content=b'{"email": ')
    assert response.status_code == 400
    assert response.json()["message"].startswith("JSON parse error - ")
    schemas.assert_valid(response.json(), "JSONParseError", schemas.IAM)
    assert api.post("/iam/clients/invite_user", json=["x"]).json() == {
        "errors": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    }


def test_needs_a_key(sb: Sandbox, client: dict[str, Any]) -> None:
    body = {"email": "a@example.org", "user_role": ENGINEERS, "client_id": client["id"]}
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert anonymous.post("/iam/clients/invite_user", json=body).status_code == 401
    assert sb.client_json(client["id"]) == client


# -- through Gcore's SDK ------------------------------------------------------------------------------


def test_the_sdk_invites_and_reads_the_user(gcore_sdk: Gcore, client: dict[str, Any]) -> None:
    invited = gcore_sdk.iam.users.invite(
        client_id=client["id"], email="sdk.person@example.org", user_role=ENGINEERS, lang="de", name="SDK"
    )
    assert isinstance(invited, UserInvited) and invited.status == "sent"
    user = gcore_sdk.iam.users.get(invited.user_id)
    assert isinstance(user, UserGetResponse)
    assert (user.email, user.lang, user.name, user.activated, user.client) == (
        "sdk.person@example.org",
        "de",
        "SDK",
        False,
        client["id"],
    )
    with pytest.raises(BadRequestError) as refused:
        gcore_sdk.iam.users.invite(
            client_id=client["id"], email="sdk.person@example.org", user_role=ENGINEERS
        )
    assert refused.value.body == [f"User {invited.user_id} has already been invited to client {client['id']}"]


def test_over_loopback(sb: Sandbox, loopback: httpx.Client, client: dict[str, Any]) -> None:
    response = invite(loopback, client["id"], "socket@example.org")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert listed(sb, client["id"], response.json()["user_id"])["email"] == "socket@example.org"
