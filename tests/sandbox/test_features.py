"""Features: the catalogue, and free and paid feature activations across clients."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from dashboard.sandbox.catalog import FEATURES
from dashboard.sandbox.store import api_datetime
from tests.helpers import BASE_URL, all_clients, listed_ids

FREE = [f for f in FEATURES if f.is_free]
PAID = [f for f in FEATURES if not f.is_free]


def path(free: bool) -> str:
    return "/iam/admin/free_features" if free else "/iam/admin/paid_features"


def activations_in_clients(sb: Sandbox, *, free: bool) -> list[dict[str, Any]]:
    """What the Client JSON says, as ActivatedFeature-like rows."""
    key, id_key = ("freeFeatures", "free_feature_id") if free else ("paidFeatures", "paid_feature_id")
    rows = [
        {
            "id": item[id_key],
            "client_id": client["id"],
            "feature_id": item["feature_id"],
            "created_date": item["create_date"],
        }
        for client in all_clients(sb)
        for items in client[key].values()
        for item in items
    ]
    return sorted(rows, key=lambda row: row["id"])


def client_without(sb: Sandbox, feature_id: int) -> int:
    return next(cid for cid in sb.client_ids() if feature_id not in sb._store.clients[cid].feature_ids)


# -- the catalogue ---------------------------------------------------------------------------------


def test_catalogue(schemas, api: httpx.Client) -> None:
    response = api.get("/iam/admin/feature")
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "FeatureArray")
    assert response.json() == [
        {"id": f.feature_id, "name": f.name, "service": f.service, "is_free": f.is_free} for f in FEATURES
    ]
    one = api.get(f"/iam/admin/feature/{FEATURES[3].feature_id}")
    assert one.status_code == 200
    schemas.assert_valid(one.json(), "Feature")
    assert one.json() == response.json()[3]
    assert api.get("/iam/admin/feature/999").json() == {"detail": "Not found."}
    assert api.get("/iam/admin/feature/999").status_code == 404


# -- listing and reading activations ---------------------------------------------------------------


@pytest.mark.parametrize("free", [True, False])
def test_lists_match_the_clients(schemas, shared_sb: Sandbox, shared_api: httpx.Client, free: bool) -> None:
    response = shared_api.get(path(free))
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid(body, "ActivatedFeatureArray")
    assert body and all(item["feature"]["is_free"] is free for item in body)
    assert [
        {k: item[k] for k in ("id", "client_id", "feature_id", "created_date")} for item in body
    ] == activations_in_clients(shared_sb, free=free)
    assert all(item["feature"]["id"] == item["feature_id"] for item in body)


@pytest.mark.parametrize("free", [True, False])
def test_get_one_and_not_the_other_kind(schemas, shared_api: httpx.Client, free: bool) -> None:
    mine = shared_api.get(path(free)).json()[0]
    other = shared_api.get(path(not free)).json()[0]
    response = shared_api.get(f"{path(free)}/{mine['id']}")
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "ActivatedFeature")
    assert response.json() == mine
    for missing in (other["id"], 1):
        response = shared_api.get(f"{path(free)}/{missing}")
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


# -- activating ------------------------------------------------------------------------------------


@pytest.mark.parametrize("free", [True, False])
def test_activate_shows_everywhere(schemas, sb: Sandbox, api: httpx.Client, clock, free: bool) -> None:
    feature = (FREE if free else PAID)[0]
    client_id = client_without(sb, feature.feature_id)
    assert client_id not in listed_ids(api, feature_id_in=feature.feature_id)
    response = api.post(path(free), json={"client_id": client_id, "feature_id": feature.feature_id})
    assert response.status_code == 201
    activation = response.json()
    schemas.assert_valid(activation, "ActivatedFeature")
    assert schemas.required("ActivatedFeature") <= set(activation)
    assert activation == {
        "id": activation["id"],
        "client_id": client_id,
        "feature_id": feature.feature_id,
        "feature": {
            "id": feature.feature_id,
            "name": feature.name,
            "service": feature.service,
            "is_free": free,
        },
        "created_date": api_datetime(clock.now),
    }
    seeded = activations_in_clients(sb, free=True) + activations_in_clients(sb, free=False)
    assert activation["id"] == max(a["id"] for a in seeded)  # a new id, after every seeded one
    key, id_key = ("freeFeatures", "free_feature_id") if free else ("paidFeatures", "paid_feature_id")
    listed = api.get(f"/iam/clients/{client_id}").json()[key][feature.service]
    assert {
        "feature_id": feature.feature_id,
        "service": feature.service,
        "name": feature.name,
        "create_date": activation["created_date"],
        id_key: activation["id"],
    } in listed
    assert client_id in listed_ids(api, feature_id_in=feature.feature_id)
    assert api.get(f"{path(free)}/{activation['id']}").json() == activation
    assert api.get(path(free)).json()[-1] == activation


def test_activate_accepts_string_ids(sb: Sandbox, api: httpx.Client) -> None:
    feature = PAID[1]
    client_id = client_without(sb, feature.feature_id)
    response = api.post(
        path(False), json={"client_id": str(client_id), "feature_id": str(feature.feature_id)}
    )
    assert response.status_code == 201
    assert (response.json()["client_id"], response.json()["feature_id"]) == (client_id, feature.feature_id)


def test_activating_twice_is_refused(sb: Sandbox, api: httpx.Client) -> None:
    seeded = api.get(path(True)).json()[0]
    response = api.post(
        path(True), json={"client_id": seeded["client_id"], "feature_id": seeded["feature_id"]}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"non_field_errors": ["The fields client_id, feature_id must make a unique set."]}
    }


@pytest.mark.parametrize(
    ("free", "body", "errors"),
    [
        (True, {}, {"client_id": ["This field is required."], "feature_id": ["This field is required."]}),
        (
            True,
            {"client_id": 1, "feature_id": 104},
            {"client_id": ['Invalid pk "1" - object does not exist.']},
        ),
        (
            True,
            {"client_id": "{cid}", "feature_id": 999},
            {"feature_id": ['Invalid pk "999" - object does not exist.']},
        ),
        (True, {"client_id": None, "feature_id": 104}, {"client_id": ["This field may not be null."]}),
        (
            True,
            {"client_id": "{cid}", "feature_id": 1.5},
            {"feature_id": ["Incorrect type. Expected pk value, received float."]},
        ),
        (
            True,
            {"client_id": "{cid}", "feature_id": 101},
            {"feature_id": ["Feature 101 is not a free feature; enable it through paid_features."]},
        ),
        (
            False,
            {"client_id": "{cid}", "feature_id": 104},
            {"feature_id": ["Feature 104 is not a paid feature; enable it through free_features."]},
        ),
    ],
)
def test_activate_errors(
    schemas, sb: Sandbox, api: httpx.Client, free: bool, body: dict[str, Any], errors: Any
) -> None:
    client_id = sb.client_ids()[0]
    body = {k: client_id if v == "{cid}" else v for k, v in body.items()}
    before = api.get(path(free)).json()
    response = api.post(path(free), json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    schemas.assert_valid(response.json(), "iam_reseller_ValidationError")
    assert api.get(path(free)).json() == before


def test_activate_bad_bodies(api: httpx.Client) -> None:
    assert api.post(path(True), content=b"{").json()["message"].startswith("JSON parse error - ")
    assert api.post(path(True), json=[1, 104]).json() == {
        "errors": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    }


# -- deactivating ----------------------------------------------------------------------------------


@pytest.mark.parametrize("free", [True, False])
def test_delete_removes_it_everywhere(sb: Sandbox, api: httpx.Client, free: bool) -> None:
    activation = api.get(path(free)).json()[0]
    client_id, feature = activation["client_id"], activation["feature"]
    assert client_id in listed_ids(api, feature_id_in=feature["id"])
    key = "freeFeatures" if free else "paidFeatures"
    others = [
        i
        for i in api.get(f"/iam/clients/{client_id}").json()[key].get(feature["service"], [])
        if i["feature_id"] != feature["id"]
    ]

    response = api.delete(f"{path(free)}/{activation['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert api.get(f"{path(free)}/{activation['id']}").status_code == 404
    assert api.delete(f"{path(free)}/{activation['id']}").status_code == 404
    assert activation["id"] not in [a["id"] for a in api.get(path(free)).json()]
    client = api.get(f"/iam/clients/{client_id}").json()
    assert client[key].get(feature["service"], []) == others
    if not others:
        assert feature["service"] not in client[key]  # as seeded: no key without activations
    assert client_id not in listed_ids(api, feature_id_in=feature["id"])
    # It can be activated again, with a new id.
    again = api.post(path(free), json={"client_id": client_id, "feature_id": feature["id"]}).json()
    assert again["id"] > activation["id"]


def test_delete_of_the_other_kind_is_not_found(sb: Sandbox, api: httpx.Client) -> None:
    paid = api.get(path(False)).json()[0]
    assert api.delete(f"{path(True)}/{paid['id']}").status_code == 404
    assert api.get(f"{path(False)}/{paid['id']}").status_code == 200


# -- methods and auth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("POST", "/iam/admin/feature", "GET"),
        ("DELETE", "/iam/admin/feature/101", "GET"),
        ("PUT", "/iam/admin/free_features", "GET, POST"),
        ("PATCH", "/iam/admin/paid_features/1", "GET, DELETE"),
        ("POST", "/iam/admin/free_features/1", "GET, DELETE"),
    ],
)
def test_other_methods_are_405(api: httpx.Client, method: str, url: str, allow: str) -> None:
    response = api.request(method, url)
    assert (response.status_code, response.headers["allow"]) == (405, allow)


def test_a_key_is_needed(sb: Sandbox) -> None:
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        for method, url in (
            ("GET", "/iam/admin/feature"),
            ("GET", path(True)),
            ("POST", path(False)),
            ("DELETE", f"{path(True)}/90001"),
        ):
            assert anonymous.request(method, url).status_code == 401
