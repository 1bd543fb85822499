"""Products' availability: the reseller's defaults and each client's personal settings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL, listed_ids

SERVICES = ["CDN", "STORAGE", "STREAMING", "DNS", "DDOS", "CLOUD"]
DEFAULTS = {"CDN": True, "STORAGE": True, "STREAMING": False, "DNS": True, "DDOS": False, "CLOUD": True}
LOCKED = (
    "A product cannot be made unavailable while services of it are in trial, activating or active status."
)
DEFAULTS_URL = "/iam/products/availability/defaults"


def client_url(client_id: int) -> str:
    return f"/iam/products/availability/clients/{client_id}"


def as_dict(items: list[dict[str, Any]]) -> dict[str, bool]:
    assert [item["product_name"] for item in items] == SERVICES
    return {item["product_name"]: item["available"] for item in items}


def overrides(sb: Sandbox, client_id: int) -> dict[str, bool]:
    return dict(sb._store.clients[client_id].product_overrides)


def client_where(sb: Sandbox, test) -> int:
    return next(cid for cid in sb.client_ids() if test(sb.client_json(cid), overrides(sb, cid)))


def status(sb: Sandbox, client_id: int, product: str) -> str:
    return sb.client_json(client_id)["serviceStatuses"][product]["status"]


# -- reading ---------------------------------------------------------------------------------------


def test_defaults(schemas, api: httpx.Client) -> None:
    response = api.get(DEFAULTS_URL)
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "ProductAvailabilityArray")
    assert as_dict(response.json()) == DEFAULTS


def test_a_clients_availability_is_its_settings_over_the_defaults(
    schemas, shared_sb: Sandbox, shared_api: httpx.Client
) -> None:
    personalised = 0
    for client_id in shared_sb.client_ids()[:200]:
        body = shared_api.get(client_url(client_id)).json()
        schemas.assert_valid(body, "ProductAvailabilityArray")
        mine = overrides(shared_sb, client_id)
        assert as_dict(body) == {p: mine.get(p, DEFAULTS[p]) for p in SERVICES}
        personalised += bool(mine)
    assert 20 < personalised < 120


def test_seeded_settings_never_turn_off_a_product_in_use(shared_sb: Sandbox) -> None:
    for client_id in shared_sb.client_ids():
        for product, available in overrides(shared_sb, client_id).items():
            if not available and product in SERVICES:
                assert status(shared_sb, client_id, product) not in {"trial", "activating", "active"}


def test_unknown_client(api: httpx.Client) -> None:
    for method, body in (
        ("GET", None),
        ("PATCH", {"product_name": "CDN", "available": True}),
        ("DELETE", {"product_names": ["CDN"]}),
    ):
        response = api.request(method, client_url(1), json=body)
        assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


# -- a client's settings ---------------------------------------------------------------------------


def test_patch_personalises_one_product(schemas, sb: Sandbox, api: httpx.Client) -> None:
    client_id = client_where(sb, lambda c, o: not o and c["serviceStatuses"]["STREAMING"]["status"] == "new")
    assert client_id not in listed_ids(api, personal_product_availability="STREAMING")
    response = api.patch(client_url(client_id), json={"product_name": "STREAMING", "available": True})
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "ProductAvailability")
    assert response.json() == {"product_name": "STREAMING", "available": True}
    assert as_dict(api.get(client_url(client_id)).json()) == DEFAULTS | {"STREAMING": True}
    assert client_id in listed_ids(api, personal_product_availability="STREAMING")
    # Personalised even when it equals the default: the default no longer reaches it.
    api.patch(client_url(client_id), json={"product_name": "CDN", "available": "true"})
    api.patch(DEFAULTS_URL, json={"product_name": "CDN", "available": False})  # refused or not, CDN stays
    assert as_dict(api.get(client_url(client_id)).json())["CDN"] is True
    assert overrides(sb, client_id) == {"STREAMING": True, "CDN": True}


def test_patch_false_is_refused_while_the_service_is_in_use(schemas, sb: Sandbox, api: httpx.Client) -> None:
    for locking in ("trial", "activating", "active"):
        client_id = client_where(sb, lambda c, o, s=locking: c["serviceStatuses"]["DNS"]["status"] == s)
        before = overrides(sb, client_id)
        response = api.patch(client_url(client_id), json={"product_name": "DNS", "available": False})
        assert response.status_code == 403
        schemas.assert_valid(response.json(), "ProductAvailabilityEditingForbiddenSchema")
        expected = {"message": LOCKED, "trial": [], "activating": [], "active": []} | {locking: ["DNS"]}
        assert response.json() == expected
        assert overrides(sb, client_id) == before


def test_patch_false_is_allowed_once_the_service_is_paused(sb: Sandbox, api: httpx.Client) -> None:
    client_id = client_where(sb, lambda c, o: c["serviceStatuses"]["CDN"]["status"] == "active")
    service = next(s for s in api.get(f"/iam/clients/{client_id}/services").json() if s["name"] == "CDN")
    assert (
        api.patch(client_url(client_id), json={"product_name": "CDN", "available": False}).status_code == 403
    )
    api.put(f"/iam/clients/{client_id}/services/{service['id']}", json={"status": "paused"})
    assert (
        api.patch(client_url(client_id), json={"product_name": "CDN", "available": False}).status_code == 200
    )
    assert as_dict(api.get(client_url(client_id)).json())["CDN"] is False


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"product_name": ["This field is required."], "available": ["This field is required."]}),
        ({"product_name": "WAAP", "available": True}, {"product_name": ['"WAAP" is not a valid choice.']}),
        ({"product_name": "CDN", "available": None}, {"available": ["This field may not be null."]}),
        ({"product_name": "CDN", "available": "sometimes"}, {"available": ["Must be a valid boolean."]}),
        ({"product_name": "CDN"}, {"available": ["This field is required."]}),
    ],
)
def test_patch_errors(schemas, sb: Sandbox, api: httpx.Client, body: dict[str, Any], errors: Any) -> None:
    for url in (DEFAULTS_URL, client_url(sb.client_ids()[0])):
        response = api.patch(url, json=body)
        assert response.status_code == 400
        assert response.json() == {"errors": errors}
        schemas.assert_valid(response.json(), "iam_reseller_ValidationError")
    assert as_dict(api.get(DEFAULTS_URL).json()) == DEFAULTS


def test_patch_takes_one_object_not_a_list(sb: Sandbox, api: httpx.Client) -> None:
    body = [{"product_name": "CDN", "available": True}]
    for url in (DEFAULTS_URL, client_url(sb.client_ids()[0])):
        response = api.patch(url, json=body)
        assert response.status_code == 400
        assert response.json() == {
            "errors": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
        }
        assert api.patch(url, content=b"{").json()["message"].startswith("JSON parse error - ")


def test_delete_resets_the_named_products(sb: Sandbox, api: httpx.Client) -> None:
    idle = {"new", "trialend", "paused", "deleted"}
    client_id = client_where(
        sb, lambda c, o: {c["serviceStatuses"][p]["status"] for p in ("STREAMING", "DNS", "CLOUD")} <= idle
    )
    for product, available in (("STREAMING", True), ("DNS", False), ("CLOUD", False)):
        response = api.patch(client_url(client_id), json={"product_name": product, "available": available})
        assert response.status_code == 200
    response = api.request(
        "DELETE", client_url(client_id), json={"product_names": ["STREAMING", "DNS", "DDOS"]}
    )
    assert (response.status_code, response.content) == (204, b"")
    assert as_dict(api.get(client_url(client_id)).json()) == DEFAULTS | {"CLOUD": False}
    assert client_id not in listed_ids(api, personal_product_availability="STREAMING,DNS")
    assert client_id in listed_ids(api, personal_product_availability="CLOUD")
    assert api.request("DELETE", client_url(client_id), json={"product_names": []}).status_code == 204


def test_delete_is_refused_if_the_default_would_turn_off_a_product_in_use(
    sb: Sandbox, api: httpx.Client
) -> None:
    client_id = client_where(sb, lambda c, o: c["serviceStatuses"]["DDOS"]["status"] == "activating")
    api.patch(client_url(client_id), json={"product_name": "DDOS", "available": True})
    response = api.request("DELETE", client_url(client_id), json={"product_names": ["DDOS", "CDN"]})
    assert response.status_code == 403
    assert response.json() == {"message": LOCKED, "trial": [], "activating": ["DDOS"], "active": []}
    assert overrides(sb, client_id)["DDOS"] is True


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"product_names": ["This field is required."]}),
        ({"product_names": "CDN"}, {"product_names": ['Expected a list of items but got type "str".']}),
        ({"product_names": ["CDN", "WAAP"]}, {"product_names": ['"WAAP" is not a valid choice.']}),
        ({"product_names": None}, {"product_names": ["This field may not be null."]}),
    ],
)
def test_delete_errors(sb: Sandbox, api: httpx.Client, body: dict[str, Any], errors: Any) -> None:
    for url in (client_url(sb.client_ids()[0]), "/iam/products/availability/clients"):
        response = api.request("DELETE", url, json=body)
        assert (response.status_code, response.json()) == (400, {"errors": errors})


def test_delete_for_every_client(sb: Sandbox, api: httpx.Client) -> None:
    with_cdn = listed_ids(api, personal_product_availability="CDN")
    with_waap = listed_ids(api, personal_product_availability="WAAP")
    assert with_cdn and with_waap
    response = api.request("DELETE", "/iam/products/availability/clients", json={"product_names": ["CDN"]})
    assert response.status_code == 204
    assert listed_ids(api, personal_product_availability="CDN") == []
    assert listed_ids(api, personal_product_availability="WAAP") == with_waap
    assert all(as_dict(api.get(client_url(cid)).json())["CDN"] is True for cid in with_cdn)


def test_delete_for_every_client_is_refused_as_a_whole(sb: Sandbox, api: httpx.Client) -> None:
    # STREAMING is off by default: any client that has it on while its service is in use blocks the reset.
    on = [cid for cid in sb.client_ids() if overrides(sb, cid).get("STREAMING") is True]
    blocked = {status(sb, cid, "STREAMING") for cid in on} & {"trial", "activating", "active"}
    assert blocked
    before = {cid: overrides(sb, cid) for cid in on}
    response = api.request(
        "DELETE", "/iam/products/availability/clients", json={"product_names": ["STREAMING", "CDN"]}
    )
    assert response.status_code == 403
    body = response.json()
    assert [s for s in ("trial", "activating", "active") if body[s] == ["STREAMING"]] == sorted(
        blocked, key=["trial", "activating", "active"].index
    )
    assert {cid: overrides(sb, cid) for cid in on} == before


# -- the defaults ----------------------------------------------------------------------------------


def test_patch_defaults_reaches_the_clients_that_follow_them(schemas, sb: Sandbox, api: httpx.Client) -> None:
    follower = client_where(sb, lambda c, o: "STREAMING" not in o)
    personal = client_where(sb, lambda c, o: o.get("STREAMING") is False)
    response = api.patch(DEFAULTS_URL, json={"product_name": "STREAMING", "available": True})
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "ProductAvailability")
    assert as_dict(api.get(DEFAULTS_URL).json()) == DEFAULTS | {"STREAMING": True}
    assert as_dict(api.get(client_url(follower)).json())["STREAMING"] is True
    assert as_dict(api.get(client_url(personal)).json())["STREAMING"] is False


def test_patch_defaults_false_is_refused_for_products_in_use_by_followers(
    sb: Sandbox, api: httpx.Client
) -> None:
    response = api.patch(DEFAULTS_URL, json={"product_name": "CDN", "available": False})
    assert response.status_code == 403
    assert response.json() == {"message": LOCKED, "trial": ["CDN"], "activating": ["CDN"], "active": ["CDN"]}
    assert as_dict(api.get(DEFAULTS_URL).json()) == DEFAULTS


def test_patch_defaults_false_once_no_follower_uses_the_product(sb: Sandbox, api: httpx.Client) -> None:
    # CDN personalised as available for every client whose CDN is in use: the default no longer reaches them.
    for client_id in sb.client_ids():
        if status(sb, client_id, "CDN") in {"trial", "activating", "active"}:
            api.patch(client_url(client_id), json={"product_name": "CDN", "available": True})
    assert api.patch(DEFAULTS_URL, json={"product_name": "CDN", "available": False}).status_code == 200
    idle = client_where(sb, lambda c, o: "CDN" not in o)
    assert as_dict(api.get(client_url(idle)).json())["CDN"] is False


# -- methods and auth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", DEFAULTS_URL, "GET, PATCH"),
        ("DELETE", DEFAULTS_URL, "GET, PATCH"),
        ("PUT", "/iam/products/availability/clients/{cid}", "GET, PATCH, DELETE"),
        ("GET", "/iam/products/availability/clients", "DELETE"),
    ],
)
def test_other_methods_are_405(sb: Sandbox, api: httpx.Client, method: str, path: str, allow: str) -> None:
    response = api.request(method, path.format(cid=sb.client_ids()[0]))
    assert (response.status_code, response.headers["allow"]) == (405, allow)


def test_a_key_is_needed(sb: Sandbox) -> None:
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert anonymous.get(DEFAULTS_URL).status_code == 401
        assert (
            anonymous.patch(DEFAULTS_URL, json={"product_name": "DDOS", "available": True}).status_code == 401
        )
    assert sb._store.default_availability == DEFAULTS
