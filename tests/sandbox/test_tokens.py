"""API tokens: /iam/v2/clients/{clientId}/tokens[/{tokenId}] and the deprecated v1 paths
(iam_api.yaml, "API Tokens"), and the tokens the sandbox seeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from gcore import BadRequestError, Gcore, NotFoundError
from gcore.types.iam import APIToken, APITokenCreated

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL, TOKEN, make_api

V2, V1 = "/iam/v2/clients", "/iam/clients"
TOKEN_KEYS = {
    "id",
    "name",
    "description",
    "exp_date",
    "client_user",
    "deleted",
    "expired",
    "created",
    "last_usage",
}
ISSUER_KEYS = {"deleted", "user_id", "user_name", "user_email", "client_id", "role"}
ROLES = {
    1: "Administrators",
    2: "Users",
    5: "Engineers",
    3009: "Purge and Prefetch only (API+Web)",
    3022: "Purge and Prefetch only (API)",
}
ENGINEERS = {"id": 5, "name": "Engineers"}
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def tokens(api: httpx.Client, client_id: int, prefix: str = V2, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"{prefix}/{client_id}/tokens", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def every_token(api: httpx.Client, client_id: int) -> list[dict[str, Any]]:
    """Deleted or not, by id."""
    both = tokens(api, client_id) + tokens(api, client_id, deleted="true")
    return sorted(both, key=lambda token: token["id"])


def with_tokens(sb: Sandbox, api: httpx.Client) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(client, all its tokens) for every client with a token."""
    for client_id in sb.client_ids():
        found = every_token(api, client_id)
        if found:
            yield sb.client_json(client_id), found


@pytest.fixture
def holder(sb: Sandbox, api: httpx.Client) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A client with live and deleted tokens, and all of them."""
    return next((c, t) for c, t in with_tokens(sb, api) if {x["deleted"] for x in t} == {True, False})


@pytest.fixture
def live(sb: Sandbox) -> dict[str, Any]:
    """A live client whose current user is an administrator, not deleted."""
    for client_id in sb.client_ids():
        client = sb.client_json(client_id)
        current = next(u for u in client["users"] if u["id"] == client["currentUser"])
        if not client["deleted"] and not current["deleted"] and current["groups"][0]["id"] == 1:
            return client
    raise AssertionError("no such client")


def new_token(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Deploy bot",
        "description": "Made by a test",
        "exp_date": "2030-01-01T12:00:00.000000Z",
        "client_user": {"role": ENGINEERS},
        **overrides,
    }


# -- listing and reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [V2, V1])
def test_the_list_shows_the_tokens_not_deleted(
    schemas, sdk, sb: Sandbox, api: httpx.Client, prefix: str
) -> None:
    seen = 0
    for client, _ in with_tokens(sb, api):
        listed = tokens(api, client["id"], prefix)
        schemas.assert_valid(listed, "TokenResponseArray", schemas.IAM)
        assert [t["id"] for t in listed] == sorted(t["id"] for t in listed)
        users = {u["id"]: u for u in client["users"]}
        for token in listed:
            sdk.validate(APIToken, token)
            assert set(token) == TOKEN_KEYS and set(token["client_user"]) == ISSUER_KEYS
            assert token["deleted"] is False
            issuer = token["client_user"]
            user = users[issuer["user_id"]]
            assert (issuer["client_id"], issuer["user_email"], issuer["user_name"], issuer["deleted"]) == (
                client["id"],
                user["email"],
                user["name"] or "",
                False,
            )
            assert issuer["role"]["name"] == ROLES[issuer["role"]["id"]]
            seen += 1
    assert seen > 20


def test_v1_and_v2_read_the_same(
    api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    client, found = holder
    for params in ({}, {"deleted": "true"}, {"role": "Engineers"}):
        assert tokens(api, client["id"], V1, **params) == tokens(api, client["id"], V2, **params)
    for token in found:
        path = f"/{client['id']}/tokens/{token['id']}"
        assert api.get(V1 + path).json() == api.get(V2 + path).json() == token


def test_one_token(
    schemas, sdk, api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    client, found = holder
    for token in found:
        response = api.get(f"{V2}/{client['id']}/tokens/{token['id']}")
        assert response.status_code == 200
        schemas.assert_valid(response.json(), "TokenResponse", schemas.IAM)
        sdk.validate(APIToken, response.json())
        assert response.json() == token


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_deleted_true_lists_the_deleted_ones(
    api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]], value: str
) -> None:
    client, found = holder
    assert tokens(api, client["id"], deleted=value) == [t for t in found if t["deleted"]]


@pytest.mark.parametrize("value", ["false", "False", "0", ""])
def test_deleted_false_is_the_default(
    api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]], value: str
) -> None:
    client, found = holder
    assert (
        tokens(api, client["id"], deleted=value)
        == tokens(api, client["id"])
        == [t for t in found if not t["deleted"]]
    )


def test_role_filter_by_id_or_name(sb: Sandbox, api: httpx.Client) -> None:
    matched = 0
    for client, found in with_tokens(sb, api):
        for role_id, name in ROLES.items():
            expected = [t for t in found if not t["deleted"] and t["client_user"]["role"]["id"] == role_id]
            assert (
                tokens(api, client["id"], role=str(role_id))
                == tokens(api, client["id"], role=name)
                == expected
            )
            matched += len(expected)
            deleted = [t for t in found if t["deleted"] and t["client_user"]["role"]["id"] == role_id]
            assert tokens(api, client["id"], role=name, deleted="true") == deleted
    assert matched


def test_issued_by_and_not_issued_by(
    api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    client, found = holder
    live = [t for t in found if not t["deleted"]]
    for user_id in {t["client_user"]["user_id"] for t in found} | {1}:
        mine = [t for t in live if t["client_user"]["user_id"] == user_id]
        others = [t for t in live if t["client_user"]["user_id"] != user_id]
        assert tokens(api, client["id"], issued_by=user_id) == mine
        assert tokens(api, client["id"], not_issued_by=user_id) == others
        assert tokens(api, client["id"], issued_by=user_id, not_issued_by=user_id) == []


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"deleted": "maybe"}, {"deleted": ["Must be a valid boolean."]}),
        (
            {"role": "Owners"},
            {"role": ["Select a valid choice. Owners is not one of the available choices."]},
        ),
        ({"role": "4"}, {"role": ["Select a valid choice. 4 is not one of the available choices."]}),
        ({"issued_by": "me"}, {"issued_by": ["A valid integer is required."]}),
        (
            {"not_issued_by": "1.5", "deleted": "yes"},
            {"not_issued_by": ["A valid integer is required."], "deleted": ["Must be a valid boolean."]},
        ),
    ],
)
def test_bad_filters(
    schemas, api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]], params: Any, errors: Any
) -> None:
    client, _ = holder
    response = api.get(f"{V2}/{client['id']}/tokens", params=params)
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    schemas.assert_valid(response.json(), "ValidationError", schemas.IAM)


def test_unknown_clients_and_tokens(
    sb: Sandbox, api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    client, found = holder
    other = next(cid for cid in sb.client_ids() if cid != client["id"])
    not_found = {"detail": "Not found."}
    for prefix in (V2, V1):
        for method, path in (
            ("GET", f"{prefix}/1/tokens"),
            ("POST", f"{prefix}/1/tokens"),
            ("GET", f"{prefix}/1/tokens/{found[0]['id']}"),
            ("GET", f"{prefix}/{other}/tokens/{found[0]['id']}"),  # another client's token
            ("DELETE", f"{prefix}/{other}/tokens/{found[0]['id']}"),
            ("GET", f"{prefix}/{client['id']}/tokens/1"),
            ("DELETE", f"{prefix}/{client['id']}/tokens/1"),
        ):
            response = api.request(method, path, json=new_token())
            assert (response.status_code, response.json()) == (404, not_found), (method, path)
    assert every_token(api, client["id"]) == found


# -- deleting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [V2, V1])
def test_deleting_a_token(
    api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]], prefix: str
) -> None:
    client, found = holder
    token = next(t for t in found if not t["deleted"])
    url = f"{prefix}/{client['id']}/tokens/{token['id']}"
    response = api.delete(url)
    assert (response.status_code, response.content) == (204, b"")
    assert token["id"] not in {t["id"] for t in tokens(api, client["id"])}
    assert api.get(url).json() == {**token, "deleted": True}
    assert {**token, "deleted": True} in tokens(api, client["id"], deleted="true")
    again = api.delete(url)
    assert (again.status_code, again.json()) == (404, {"detail": "Not found."})
    # An already deleted token cannot be deleted again either.
    seeded_deleted = next(t for t in found if t["deleted"])
    assert api.delete(f"{prefix}/{client['id']}/tokens/{seeded_deleted['id']}").status_code == 404


# -- creating ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "separator"), [(V2, "_"), (V1, "$")])
def test_creating_a_token(
    schemas, sdk, sb: Sandbox, api: httpx.Client, clock, live: dict[str, Any], prefix: str, separator: str
) -> None:
    response = api.post(f"{prefix}/{live['id']}/tokens", json=new_token())
    assert response.status_code == 200, response.text
    body = response.json()
    schemas.assert_valid(
        body, "CreateTokenResponseV2" if prefix == V2 else "CreateTokenResponse", schemas.IAM
    )
    sdk.validate(APITokenCreated, body)
    assert set(body) == TOKEN_KEYS | {"token"}
    token_id, sep, secret = body["token"].partition(separator)
    assert (token_id, sep) == (str(body["id"]), separator) and len(secret) >= 32 and secret.isalnum()
    current = next(u for u in live["users"] if u["id"] == live["currentUser"])
    assert {k: v for k, v in body.items() if k != "token"} == {
        "id": body["id"],
        "name": "Deploy bot",
        "description": "Made by a test",
        "exp_date": "2030-01-01T12:00:00.000000Z",
        "client_user": {
            "deleted": False,
            "user_id": current["id"],
            "user_name": current["name"] or "",
            "user_email": current["email"],
            "client_id": live["id"],
            "role": ENGINEERS,
        },
        "deleted": False,
        "expired": False,
        "created": clock.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "last_usage": None,
    }
    shown = {k: v for k, v in body.items() if k != "token"}
    assert api.get(f"{V2}/{live['id']}/tokens/{body['id']}").json() == shown
    assert shown in tokens(api, live["id"], issued_by=current["id"])
    assert secret not in api.get(f"{V2}/{live['id']}/tokens").text
    # Nothing else of the client changes.
    assert sb.client_json(live["id"]) == live


def test_every_role_and_new_ids(sb: Sandbox, api: httpx.Client, live: dict[str, Any]) -> None:
    seeded = max((t["id"] for cid in sb.client_ids() for t in every_token(api, cid)), default=0)
    ids = []
    for role_id, name in ROLES.items():
        body = new_token(client_user={"role": {"id": role_id, "name": name}})
        created = api.post(f"{V2}/{live['id']}/tokens", json=body).json()
        assert created["client_user"]["role"] == {"id": role_id, "name": name}
        ids.append(created["id"])
    assert ids == sorted(ids) and len(set(ids)) == 5 and ids[0] > seeded


@pytest.mark.parametrize(
    ("exp_date", "shown", "expired"),
    [
        (None, None, False),
        ("2031-02-03T04:05:06", "2031-02-03T04:05:06.000000Z", False),
        ("2031-02-03T04:05+02:00", "2031-02-03T02:05:00.000000Z", False),
        ("2031-02-03 04:05:06.5Z", "2031-02-03T04:05:06.500000Z", False),
        ("2001-01-01T00:00:00Z", "2001-01-01T00:00:00.000000Z", True),  # accepted, expired at once
    ],
)
def test_expiry_dates(
    api: httpx.Client, live: dict[str, Any], exp_date: Any, shown: Any, expired: bool
) -> None:
    body = api.post(f"{V2}/{live['id']}/tokens", json=new_token(exp_date=exp_date)).json()
    assert (body["exp_date"], body["expired"]) == (shown, expired)


def test_a_token_expires_on_the_sandbox_clock(api: httpx.Client, clock, live: dict[str, Any]) -> None:
    soon = (clock.now + timedelta(hours=1)).isoformat()
    created = api.post(f"{V2}/{live['id']}/tokens", json=new_token(exp_date=soon)).json()
    url = f"{V2}/{live['id']}/tokens/{created['id']}"
    assert api.get(url).json()["expired"] is False
    clock.advance(hours=2)
    assert api.get(url).json()["expired"] is True
    assert created["id"] in {t["id"] for t in tokens(api, live["id"])}  # expired, not deleted


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "name": ["This field is required."],
                "exp_date": ["This field is required."],
                "client_user": ["This field is required."],
            },
        ),
        (
            new_token(client_user={"role": {"id": 4, "name": "RoleName"}}),
            {"client_user": {"role": ["Invalid role: RoleName"]}},
        ),
        (
            new_token(client_user={"role": {"id": 1, "name": "Users"}}),
            {"client_user": {"role": ["Invalid role: Users"]}},
        ),
        (new_token(client_user={}), {"client_user": {"role": ["This field is required."]}}),
        (
            new_token(client_user="Engineers"),
            {"client_user": {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}},
        ),
        (new_token(client_user=None), {"client_user": ["This field may not be null."]}),
        (new_token(name=""), {"name": ["This field may not be blank."]}),
        (new_token(name="x" * 256), {"name": ["Ensure this field has no more than 255 characters."]}),
        (new_token(description=None), {"description": ["This field may not be null."]}),
        *(
            (
                new_token(exp_date=value),
                {
                    "exp_date": [
                        "Datetime has wrong format. Use one of these formats instead: "
                        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                    ]
                },
            )
            for value in ("tomorrow", "2030-01-01", "2030-13-01T00:00", 20300101, "")
        ),
        (
            {"name": None, "exp_date": "soon", "client_user": {"role": None}},
            {
                "name": ["This field may not be null."],
                "exp_date": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ],
                "client_user": {"role": ["Invalid role: None"]},
            },
        ),
    ],
)
def test_creation_errors(
    schemas, api: httpx.Client, live: dict[str, Any], body: dict[str, Any], errors: Any
) -> None:
    before = every_token(api, live["id"])
    response = api.post(f"{V2}/{live['id']}/tokens", json=body)
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    schemas.assert_valid(response.json(), "CreateTokenError/oneOf/0", schemas.IAM)
    assert every_token(api, live["id"]) == before


def test_creation_bad_json(schemas, api: httpx.Client, live: dict[str, Any]) -> None:
    response = api.post(f"{V2}/{live['id']}/tokens", content=b'{"name": ')
    assert response.status_code == 400 and response.json()["message"].startswith("JSON parse error - ")
    schemas.assert_valid(response.json(), "JSONParseError", schemas.IAM)


def test_only_an_administrator_issues_an_administrators_token(
    schemas, api: httpx.Client, live: dict[str, Any]
) -> None:
    url = f"/iam/clients/{live['id']}/client-users/{live['currentUser']}"
    assert api.put(url, json={"user_role": {"id": 2, "name": "Users"}}).status_code == 204
    admin = new_token(client_user={"role": {"id": 1, "name": "Administrators"}})
    response = api.post(f"{V2}/{live['id']}/tokens", json=admin)
    assert (response.status_code, response.json()) == (
        400,
        {"errors": {"client_user": {"role": ["Can't create token with role Administrators"]}}},
    )
    schemas.assert_valid(response.json(), "CreateTokenError/oneOf/1", schemas.IAM)
    assert api.post(f"{V2}/{live['id']}/tokens", json=new_token()).status_code == 200


def test_a_client_with_no_live_user_cannot_have_a_token(sb: Sandbox, api: httpx.Client) -> None:
    deleted = next(cid for cid in sb.client_ids() if sb.client_json(cid)["deleted"])
    response = api.post(f"{V2}/{deleted}/tokens", json=new_token())
    assert (response.status_code, response.json()) == (
        403,
        {"message": "You do not have permission to perform this action."},
    )
    assert every_token(api, deleted) == []


# -- the seeded tokens ------------------------------------------------------------------------------------


def test_seeded_tokens_are_deterministic_and_leave_the_clients_as_they_were() -> None:
    first, second = (Sandbox(seed=9, clients=60, token=TOKEN, now=NOW) for _ in range(2))
    seeded = [first.client_json(cid) for cid in first.client_ids()]
    with make_api(first) as one, make_api(second) as other:
        # Read in opposite orders: a client's tokens do not depend on which was built first.
        mine = {cid: every_token(one, cid) for cid in first.client_ids()}
        theirs = {cid: every_token(other, cid) for cid in reversed(second.client_ids())}
    assert mine == theirs and any(mine.values())
    assert [first.client_json(cid) for cid in first.client_ids()] == seeded


def test_seeded_tokens_are_varied(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    found = list(with_tokens(shared_sb, shared_api))
    every = [t for _, ts in found for t in ts]
    assert 0.2 < len(found) / len(shared_sb.client_ids()) < 0.5
    assert all(1 <= len(ts) <= 4 for _, ts in found)
    assert {t["deleted"] for t in every} == {True, False}
    assert any(t["expired"] and not t["deleted"] for t in every)
    assert any(t["exp_date"] is None for t in every) and any(t["exp_date"] for t in every)
    assert any(t["last_usage"] is None for t in every) and any(t["last_usage"] for t in every)
    assert {t["client_user"]["role"]["id"] for t in every} == set(ROLES)
    assert any("<b>" in t["name"] for t in every)  # names are untrusted text too
    sole_holders = 0
    for client, ts in found:
        assert not client["deleted"]
        users = {u["id"]: u for u in client["users"]}
        for token in ts:
            issuer = users[token["client_user"]["user_id"]]
            assert issuer["activated"] and not issuer["deleted"]
            assert token["created"] <= (token["last_usage"] or token["created"]) <= shared_sb.now.isoformat()
            if issuer["groups"][0]["id"] != 1:  # only an administrator gives another role than their own
                assert token["client_user"]["role"] == issuer["groups"][0]
        sole_holders += len(users) == 1 and not all(t["deleted"] for t in ts)
    assert sole_holders >= 10


def test_a_new_client_has_no_tokens(api: httpx.Client) -> None:
    body = {"email": "fresh@example.org", "password": "A-long-passphrase-9", "company": "Fresh"}
    client_id = api.post("/iam/users", json=body).json()["client"]
    assert every_token(api, client_id) == []
    assert api.post(f"{V2}/{client_id}/tokens", json=new_token()).status_code == 200
    assert len(every_token(api, client_id)) == 1


def test_reset_forgets_created_and_deleted_tokens(
    sb: Sandbox, api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    client, found = holder
    api.post(f"{V2}/{client['id']}/tokens", json=new_token())
    api.delete(f"{V2}/{client['id']}/tokens/{next(t for t in found if not t['deleted'])['id']}")
    assert every_token(api, client["id"]) != found
    sb.reset()
    assert every_token(api, client["id"]) == found


# -- through Gcore's SDK, over loopback, without a key -------------------------------------------------------


def test_the_sdk_lists_creates_reads_and_deletes(
    gcore_sdk: Gcore, api: httpx.Client, live: dict[str, Any]
) -> None:
    created = gcore_sdk.iam.api_tokens.create(
        live["id"], client_user={"role": ENGINEERS}, exp_date=None, name="SDK token", description="via gcore"
    )
    assert (
        isinstance(created, APITokenCreated) and created.token and created.token.startswith(f"{created.id}_")
    )
    listed = gcore_sdk.iam.api_tokens.list(live["id"])
    assert created.id in {token.id for token in listed}
    assert all(isinstance(token, APIToken) for token in listed)
    assert [
        t.id
        for t in gcore_sdk.iam.api_tokens.list(live["id"], role="Engineers", issued_by=live["currentUser"])
    ]
    one = gcore_sdk.iam.api_tokens.get(created.id, client_id=live["id"])
    assert (one.name, one.description, one.exp_date, one.deleted) == ("SDK token", "via gcore", None, False)
    assert gcore_sdk.iam.api_tokens.delete(created.id, client_id=live["id"]) is None
    assert created.id in {t.id for t in gcore_sdk.iam.api_tokens.list(live["id"], deleted=True)}
    with pytest.raises(NotFoundError):
        gcore_sdk.iam.api_tokens.delete(created.id, client_id=live["id"])
    with pytest.raises(BadRequestError) as refused:
        gcore_sdk.iam.api_tokens.create(
            live["id"], client_user={"role": {"id": 7, "name": "Users"}}, exp_date=None, name="x"
        )
    assert refused.value.body == {"errors": {"client_user": {"role": ["Invalid role: Users"]}}}


def test_over_loopback(loopback: httpx.Client, live: dict[str, Any]) -> None:
    created = loopback.post(f"{V2}/{live['id']}/tokens", json=new_token())
    assert created.status_code == 200 and created.headers["content-type"] == "application/json"
    token_id = created.json()["id"]
    assert token_id in {t["id"] for t in tokens(loopback, live["id"])}
    deleted = loopback.delete(f"{V1}/{live['id']}/tokens/{token_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert loopback.get(f"{V2}/{live['id']}/tokens/{token_id}").json()["deleted"] is True


def test_needs_a_key(
    sb: Sandbox, api: httpx.Client, holder: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    client, found = holder
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        for method, path in (
            ("GET", f"{V2}/{client['id']}/tokens"),
            ("POST", f"{V2}/{client['id']}/tokens"),
            ("GET", f"{V1}/{client['id']}/tokens/{found[0]['id']}"),
            ("DELETE", f"{V2}/{client['id']}/tokens/{found[0]['id']}"),
        ):
            assert anonymous.request(method, path, json=new_token()).status_code == 401
    assert every_token(api, client["id"]) == found


def test_faults_on_the_new_writes(sb: Sandbox, api: httpx.Client, live: dict[str, Any]) -> None:
    """A status fault or a disconnect applies nothing; a timeout applies the write it hides."""
    url = f"{V2}/{live['id']}/tokens"
    before = every_token(api, live["id"])
    sb.add_fault("status", method="POST", path=url, status=503, times=1)
    assert api.post(url, json=new_token()).status_code == 503
    sb.add_fault("disconnect", method="POST", path=url, times=1)
    with pytest.raises(httpx.ConnectError):
        api.post(url, json=new_token())
    assert every_token(api, live["id"]) == before

    sb.add_fault("timeout", method="POST", path="/iam/clients/invite_user", times=1, seconds=0)
    body = {"email": "late@example.org", "user_role": ENGINEERS, "client_id": live["id"]}
    with pytest.raises(httpx.ReadTimeout):
        api.post("/iam/clients/invite_user", json=body)
    assert "late@example.org" in {u["email"] for u in sb.client_json(live["id"])["users"]}
    sb.add_fault("malformed", method="GET", path=url, times=1)
    with pytest.raises(ValueError):
        api.get(url).json()
    assert sb.request_log[-1]["fault"] == "malformed"
