"""GET /iam/admin/sellers, and the new endpoints end to end over a loopback socket."""

from __future__ import annotations

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL


def test_plain_list(schemas, sb: Sandbox, api: httpx.Client) -> None:
    response = api.get("/iam/admin/sellers")
    assert response.status_code == 200
    sellers = response.json()
    schemas.assert_valid(sellers, "GetSellersResponse")
    schemas.assert_valid(sellers, "SellersArray")
    assert [s["id"] for s in sellers] == list(sb.seller_ids())
    required = schemas.required("Seller")
    assert all(required <= set(seller) for seller in sellers)
    assert {s["deleted"] for s in sellers} == {False}
    assert {s["activated"] for s in sellers} == {True, False}
    assert all(s["date_joined"] < sb.now.isoformat() for s in sellers)


def test_every_clients_seller_is_listed(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    listed = {s["id"] for s in shared_api.get("/iam/admin/sellers").json()}
    used = {shared_sb.client_json(cid)["seller"] for cid in shared_sb.client_ids()} - {None}
    assert used == listed


@pytest.mark.parametrize(
    ("params", "ids", "next_query", "previous_query"),
    [
        ({"limit": 2}, [51, 52], "limit=2&offset=2", None),
        ({"limit": 2, "offset": 2}, [53, 54], "limit=2&offset=4", "limit=2"),
        ({"limit": 4, "offset": 4}, [55, 56], None, "limit=4"),
        ({"limit": 5000}, [51, 52, 53, 54, 55, 56], None, None),
        ({"limit": 3, "offset": 10}, [], None, "limit=3&offset=7"),
        (
            {"limit": 2, "ordering": "-id", "email": "x"},
            [51, 52],
            "email=x&limit=2&offset=2&ordering=-id",
            None,
        ),
    ],
)
def test_pages(
    schemas,
    api: httpx.Client,
    params: dict[str, object],
    ids: list[int],
    next_query: str | None,
    previous_query: str | None,
) -> None:
    page = api.get("/iam/admin/sellers", params=params).json()
    schemas.assert_valid(page, "GetSellersResponse")
    schemas.assert_valid(page, "SellersPaginatedArray")
    assert page["count"] == 6
    assert [s["id"] for s in page["results"]] == ids
    url = f"{BASE_URL}/iam/admin/sellers?"
    assert page["next"] == (next_query and url + next_query)
    assert page["previous"] == (previous_query and url + previous_query)


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"limit": "x"}, {"limit": ["A valid integer is required."]}),
        ({"limit": 0}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
        (
            {"limit": 2, "offset": -1},
            {"offset": ["Ensure this value is greater than or equal to 0."]},
        ),
    ],
)
def test_bad_page_parameters(api: httpx.Client, params: dict[str, object], errors: object) -> None:
    response = api.get("/iam/admin/sellers", params=params)
    assert (response.status_code, response.json()) == (400, {"errors": errors})


def test_other_methods_and_auth(sb: Sandbox, api: httpx.Client) -> None:
    for method in ("POST", "DELETE"):
        response = api.request(method, "/iam/admin/sellers")
        assert (response.status_code, response.headers["allow"]) == (405, "GET")
    assert api.get("/iam/admin/sellers/51").status_code == 404  # not served by the sandbox
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert anonymous.get("/iam/admin/sellers").status_code == 401


# -- over loopback ------------------------------------------------------------------------------------


def test_the_new_endpoints_over_loopback(sb: Sandbox, loopback: httpx.Client) -> None:
    http = loopback
    host, port = http.base_url.host, http.base_url.port
    sellers = http.get("/iam/admin/sellers", params={"limit": 1}).json()
    assert sellers["next"] == f"http://{host}:{port}/iam/admin/sellers?limit=1&offset=1"

    created = http.post(
        "/iam/users",
        json={
            "email": "loop@example.org",
            "password": "Loopback-Pass-9",
            "company": "Loop & Co",
            "seller": 51,
        },
    )
    assert created.status_code == 201
    client_id = created.json()["client"]

    [cdn] = [s for s in http.get(f"/iam/clients/{client_id}/services").json() if s["name"] == "CDN"]
    put = http.put(
        f"/iam/clients/{client_id}/services/{cdn['id']}", json={"status": "trial", "enabled": True}
    )
    assert (put.status_code, put.json()["status"]) == (200, "trial")
    assert http.get(f"/iam/clients/{client_id}").json()["capabilities"] == ["CDN"]

    locked = http.patch(
        f"/iam/products/availability/clients/{client_id}", json={"product_name": "CDN", "available": False}
    )
    assert (locked.status_code, locked.json()["trial"]) == (403, ["CDN"])
    reset = http.request(
        "DELETE", f"/iam/products/availability/clients/{client_id}", json={"product_names": ["CDN"]}
    )
    assert (reset.status_code, reset.content) == (204, b"")

    activated = http.post("/iam/admin/paid_features", json={"client_id": client_id, "feature_id": 101})
    assert activated.status_code == 201
    assert http.delete(f"/iam/admin/paid_features/{activated.json()['id']}").status_code == 204
    assert http.request("TRACE", "/iam/admin/paid_features").headers["allow"] == "GET, POST"

    log = http.get("/__sandbox__/requests").json()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/iam/admin/sellers", 200),
        ("POST", "/iam/users", 201),
        ("GET", f"/iam/clients/{client_id}/services", 200),
        ("PUT", f"/iam/clients/{client_id}/services/{cdn['id']}", 200),
        ("GET", f"/iam/clients/{client_id}", 200),
        ("PATCH", f"/iam/products/availability/clients/{client_id}", 403),
        ("DELETE", f"/iam/products/availability/clients/{client_id}", 204),
        ("POST", "/iam/admin/paid_features", 201),
        ("DELETE", f"/iam/admin/paid_features/{activated.json()['id']}", 204),
        ("TRACE", "/iam/admin/paid_features", 405),
    ]
    assert "Loopback-Pass-9" not in str(log)
