"""Sandboxes start from a store kept once per process, each with its own copy: none shares data."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from dashboard.sandbox import Sandbox, SandboxTransport
from dashboard.sandbox.data import generate, seeded_store

TOKEN = "copies-token_1234"
AUTH = {"Authorization": f"APIKey {TOKEN}"}
NOW = datetime(2025, 3, 1, tzinfo=UTC)
SEED, COUNT = 11, 40


def new_sandbox() -> Sandbox:
    return Sandbox(seed=SEED, clients=COUNT, token=TOKEN, now=NOW)


def everything(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every client, with its users, as the API shows them."""
    return [sandbox.client_json(client_id) for client_id in sandbox.client_ids()]


def test_a_change_in_one_sandbox_shows_in_no_other() -> None:
    first, second = new_sandbox(), new_sandbox()
    seeded = everything(second)
    client_id = first.client_ids()[0]
    user_id = seeded[0]["users"][0]["id"]
    assert "github" not in seeded[0]["users"][0]["auth_types"]

    with httpx.Client(
        transport=SandboxTransport(first), base_url="https://api.gcore.com", headers=AUTH
    ) as api:
        patched = api.patch(
            f"/iam/clients/{client_id}", json={"companyName": "Changed & Co", "is_test": True}
        )
        assert patched.status_code == 200, patched.text
    # No handler changes nested values in place today; a future one must not leak either.
    store = first._store
    store.users[user_id].fields["auth_types"].append("github")
    store.clients[client_id].fields["serviceStatuses"]["CDN"]["status"] = "changed"
    other_id = first.client_ids()[1]
    store.clients[other_id].user_ids.clear()

    changed = first.client_json(client_id)
    assert changed["companyName"] == "Changed & Co"
    assert "github" in changed["users"][0]["auth_types"]
    assert changed["serviceStatuses"]["CDN"]["status"] == "changed"
    assert first.client_json(other_id)["users"] == []

    third = new_sandbox()
    assert everything(second) == seeded
    assert everything(third) == seeded
    assert everything(third) == everything(Sandbox(seed=SEED, clients=COUNT, token=TOKEN, now=NOW))
    assert third.client_json(client_id)["companyName"] != "Changed & Co"
    assert "github" not in third.client_json(client_id)["users"][0]["auth_types"]


def test_reset_restores_the_seeded_data() -> None:
    sandbox = new_sandbox()
    seeded = everything(sandbox)
    client_id = sandbox.client_ids()[0]
    user_id = seeded[0]["users"][0]["id"]
    with httpx.Client(
        transport=SandboxTransport(sandbox), base_url="https://api.gcore.com", headers=AUTH
    ) as api:
        assert api.patch(f"/iam/clients/{client_id}", json={"companyName": "Before reset"}).status_code == 200
        assert api.patch(f"/iam/users/{user_id}", json={"auth_types": ["sso"]}).status_code == 200
    sandbox._store.users[user_id].fields["auth_types"].append("github")
    assert everything(sandbox) != seeded

    sandbox.reset()
    assert everything(sandbox) == seeded
    # And the reset copy is its own again: changing it leaves the next reset untouched.
    sandbox._store.users[user_id].fields["auth_types"].clear()
    sandbox.reset()
    assert everything(sandbox) == seeded


def test_seeded_store_is_what_generate_builds_in_fresh_objects() -> None:
    # Arguments no other test uses: the first two calls build the store (the second keeps it pickled),
    # the later ones unpickle copies.
    arguments = {"seed": 424_242, "count": 25, "now": NOW}
    built = generate(**arguments)
    stores = [seeded_store(**arguments) for _ in range(4)]
    assert stores == [built] * 4
    seen: set[int] = set()
    for store in stores:
        ids = set(_mutable_ids(store))
        assert not ids & seen
        seen |= ids
    # Changing any of them in place leaves the kept snapshot, and so every later copy, as seeded.
    for store in stores:
        next(iter(store.users.values())).fields["auth_types"].append("changed")
        next(iter(store.clients.values())).fields["serviceStatuses"]["CDN"]["status"] = "changed"
    stores[1].clients.clear()
    assert seeded_store(**arguments) == built


def _mutable_ids(value: Any) -> Iterator[int]:
    """The ids of every record, dict, list and set reachable from `value`."""
    if dataclasses.is_dataclass(value):
        yield id(value)
        for field in dataclasses.fields(value):
            yield from _mutable_ids(getattr(value, field.name))
    elif isinstance(value, dict):
        yield id(value)
        for item in value.values():
            yield from _mutable_ids(item)
    elif isinstance(value, list | set):
        yield id(value)
        for item in value:
            yield from _mutable_ids(item)
    elif isinstance(value, tuple | frozenset):
        for item in value:
            yield from _mutable_ids(item)


def test_reset_undoes_the_writes_of_every_endpoint() -> None:
    sandbox = new_sandbox()
    seeded = everything(sandbox)
    client_id = sandbox.client_ids()[0]
    with httpx.Client(
        transport=SandboxTransport(sandbox), base_url="https://api.gcore.com", headers=AUTH
    ) as api:
        seeded_services = api.get(f"/iam/clients/{client_id}/services").json()
        seeded_defaults = api.get("/iam/products/availability/defaults").json()
        seeded_free = api.get("/iam/admin/free_features").json()
        new = api.post(
            "/iam/users", json={"email": "reset@example.org", "password": "Reset-Me-Later-1", "company": "R"}
        ).json()
        api.put(f"/iam/clients/{client_id}/services/{seeded_services[0]['id']}", json={"status": "deleted"})
        api.patch("/iam/products/availability/defaults", json={"product_name": "DDOS", "available": True})
        api.post("/iam/admin/free_features", json={"client_id": new["client"], "feature_id": 104})
        # A changed store still pickles, as `seeded_store` and a deep copy need.
        assert pickle.loads(pickle.dumps(sandbox._store)) == sandbox._store  # noqa: S301 - our own bytes
        assert everything(sandbox) != seeded

        sandbox.reset()
        assert everything(sandbox) == seeded
        assert api.get(f"/iam/clients/{client_id}/services").json() == seeded_services
        assert api.get("/iam/products/availability/defaults").json() == seeded_defaults
        assert api.get("/iam/admin/free_features").json() == seeded_free


def test_people_and_tokens_are_each_sandboxs_own() -> None:
    first, second = new_sandbox(), new_sandbox()
    seeded = everything(second)
    with (
        httpx.Client(
            transport=SandboxTransport(first), base_url="https://api.gcore.com", headers=AUTH
        ) as api,
        httpx.Client(
            transport=SandboxTransport(second), base_url="https://api.gcore.com", headers=AUTH
        ) as other,
    ):
        holder = next(cid for cid in first.client_ids() if api.get(f"/iam/v2/clients/{cid}/tokens").json())
        seeded_tokens = other.get(f"/iam/v2/clients/{holder}/tokens").json()
        target = next(
            c
            for c in seeded
            if not c["deleted"] and c["id"] != holder and any(not u["deleted"] for u in c["users"])
        )
        colleague = next(u for u in first.client_json(holder)["users"] if not u["deleted"])
        role = {"id": 2, "name": "Users"}
        token = {"name": "t", "exp_date": None, "client_user": {"role": role}}
        assert api.post(f"/iam/v2/clients/{target['id']}/tokens", json=token).status_code == 200
        invited = []
        for email in ("copies@example.org", colleague["email"]):
            body = {"email": email, "user_role": role, "client_id": target["id"]}
            response = api.post("/iam/clients/invite_user", json=body)
            assert response.status_code == 200
            invited.append(response.json()["user_id"])
        for token in api.get(f"/iam/v2/clients/{holder}/tokens").json():
            assert api.delete(f"/iam/v2/clients/{holder}/tokens/{token['id']}").status_code == 204
        # The new user leaves (and is deleted with their only client).
        assert api.delete(f"/iam/clients/{target['id']}/client-users/{invited[0]}").status_code == 200
        # A changed store, removed users and tokens included, still pickles.
        assert pickle.loads(pickle.dumps(first._store)) == first._store  # noqa: S301 - our own bytes
        assert everything(first) != seeded

        assert everything(second) == everything(new_sandbox()) == seeded
        assert other.get(f"/iam/v2/clients/{holder}/tokens").json() == seeded_tokens
        first.reset()
        assert everything(first) == seeded
        assert api.get(f"/iam/v2/clients/{holder}/tokens").json() == seeded_tokens
        assert (
            api.get(f"/iam/v2/clients/{target['id']}/tokens").json()
            == other.get(f"/iam/v2/clients/{target['id']}/tokens").json()
        )
