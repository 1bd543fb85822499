"""The sellers (/iam/admin/sellers[/{sellerId}]), and the new endpoints end to end over a loopback socket."""

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
            [56, 55],
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
    for method in ("PUT", "DELETE"):
        response = api.request(method, "/iam/admin/sellers")
        assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")
    response = api.request("PUT", "/iam/admin/sellers/51")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, PATCH, DELETE")
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


# -- filters and ordering -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"id": 53}, [53]),
        ({"id__in": "52,55,99"}, [52, 55]),
        ({"id__contains": "5"}, [51, 52, 53, 54, 55, 56]),
        ({"email": "MEI.CHEN"}, [53]),
        ({"full_name": "garcía"}, [52]),
        ({"activated": "false"}, [56]),
        ({"deleted": "true"}, []),
        ({"deleted": "maybe"}, [51, 52, 53, 54, 55, 56]),
        ({"reseller_name": "edge"}, [51, 52, 53, 54, 55, 56]),
        ({"ordering": "activated,-date_joined"}, [56, 55, 54, 53, 52, 51]),
        ({"ordering": "full_name"}, [55, 51, 54, 53, 52, 56]),
        ({"ordering": "nonsense,--id"}, [51, 52, 53, 54, 55, 56]),
    ],
)
def test_filters_and_ordering(schemas, api: httpx.Client, params: dict[str, object], ids: list[int]) -> None:
    sellers = api.get("/iam/admin/sellers", params=params).json()
    schemas.assert_valid(sellers, "GetSellersResponse")
    assert [s["id"] for s in sellers] == ids


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"id": "x"}, {"id": ["A valid integer is required."]}),
        ({"id__in": "1,,2"}, {"id__in": ["A valid integer is required."]}),
        ({"activated": "yes"}, {"activated": ["Must be a valid boolean."]}),
    ],
)
def test_bad_filters(api: httpx.Client, params: dict[str, object], errors: object) -> None:
    response = api.get("/iam/admin/sellers", params=params)
    assert (response.status_code, response.json()) == (400, {"errors": errors})


# -- one seller -----------------------------------------------------------------------------------


def test_create_read_change_and_delete(schemas, sb: Sandbox, api: httpx.Client, clock) -> None:
    created = api.post(
        "/iam/admin/sellers",
        json={"email": "ana.ruiz@edge-reseller.example", "full_name": " Ana Ruiz ", "phone": "+34 600 1"},
    )
    assert created.status_code == 200  # Gcore: 200, not 201
    seller = created.json()
    schemas.assert_valid(seller, "Seller")
    assert seller == {
        "id": 57,
        "email": "ana.ruiz@edge-reseller.example",
        "full_name": "Ana Ruiz",
        "phone": "+34 600 1",
        "reseller_name": "Edge Reseller Ltd",
        "company": "Edge Reseller Ltd",
        "date_joined": clock.now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "activated": False,
        "deleted": False,
    }
    assert api.get("/iam/admin/sellers/57").json() == seller
    assert [s["id"] for s in api.get("/iam/admin/sellers").json()][-1] == 57

    changed = api.patch("/iam/admin/sellers/57", json={"full_name": "Ana Ruiz-Soto", "phone": None, "id": 1})
    assert changed.status_code == 200
    schemas.assert_valid(changed.json(), "Seller")
    assert (changed.json()["id"], changed.json()["full_name"], changed.json()["phone"]) == (
        57,
        "Ana Ruiz-Soto",
        "",
    )

    # A new seller can be given a client, and a deleted one is taken off it.
    client_id = sb.client_ids()[0]
    assert api.patch(f"/iam/clients/{client_id}", json={"seller": 57}).json()["seller"] == 57
    deleted = api.delete("/iam/admin/sellers/57")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert sb.client_json(client_id)["seller"] is None
    assert api.get("/iam/admin/sellers/57").json()["deleted"] is True
    assert [s["id"] for s in api.get("/iam/admin/sellers", params={"deleted": "false"}).json()] == [
        51, 52, 53, 54, 55, 56,
    ]  # fmt: skip
    assert api.delete("/iam/admin/sellers/57").status_code == 404
    assert api.patch("/iam/admin/sellers/57", json={"full_name": "X"}).status_code == 404
    refused = api.patch(f"/iam/clients/{client_id}", json={"seller": 57})
    assert refused.json() == {"errors": {"seller": ['Invalid pk "57" - object does not exist.']}}


def test_deleting_a_seller_unassigns_every_client(sb: Sandbox, api: httpx.Client) -> None:
    theirs = [cid for cid in sb.client_ids() if sb.client_json(cid)["seller"] == 53]
    assert theirs
    assert api.delete("/iam/admin/sellers/53").status_code == 204
    assert all(sb.client_json(cid)["seller"] is None for cid in theirs)
    assert sb.matching_count(seller_id=53) == 0


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"email": ["This field is required."], "full_name": ["This field is required."]}),
        (
            {"email": "not-an-email", "full_name": "", "phone": "+1 (555) CALL"},
            {
                "email": ["Enter a valid email address."],
                "full_name": ["This field may not be blank."],
                "phone": ["Enter a valid value."],
            },
        ),
        (
            {"email": "a" * 140 + "@example.org", "full_name": "A"},
            {"email": ["Ensure this field has no more than 150 characters."]},
        ),
        (
            {"email": "MEI.CHEN@edge-reseller.example", "full_name": "Mei"},
            {"email": ["user with this email already exists."]},
        ),
        (
            {"email": "new@example.org", "full_name": "N", "phone": "1" * 31},
            {"phone": ["Ensure this field has no more than 30 characters."]},
        ),
    ],
)
def test_create_refuses_bad_input(sb: Sandbox, api: httpx.Client, body: dict, errors: dict) -> None:
    before = api.get("/iam/admin/sellers").json()
    response = api.post("/iam/admin/sellers", json=body)
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert api.get("/iam/admin/sellers").json() == before


def test_an_address_used_by_a_client_user_is_refused(sb: Sandbox, api: httpx.Client) -> None:
    email = sb.client_json(sb.client_ids()[0])["users"][0]["email"]
    response = api.post("/iam/admin/sellers", json={"email": email, "full_name": "Someone"})
    assert response.json() == {"errors": {"email": ["user with this email already exists."]}}
    # A seller keeps its own address when changed.
    same = api.patch("/iam/admin/sellers/51", json={"email": "greta.lindqvist@edge-reseller.example"})
    assert same.status_code == 200


def test_unknown_sellers_and_broken_bodies(api: httpx.Client) -> None:
    assert api.get("/iam/admin/sellers/999").json() == {"detail": "Not found."}
    assert api.patch("/iam/admin/sellers/999", json={}).status_code == 404
    assert api.delete("/iam/admin/sellers/999").status_code == 404
    broken = api.post("/iam/admin/sellers", content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["message"].startswith("JSON parse error - ")


def test_a_new_sellers_address_cannot_be_invited_into_a_client(sb: Sandbox, api: httpx.Client) -> None:
    api.post("/iam/admin/sellers", json={"email": "ana@edge-reseller.example", "full_name": "Ana"})
    invited = api.post(
        "/iam/clients/invite_user",
        json={
            "email": "ANA@edge-reseller.example",
            "client_id": sb.client_ids()[1],
            "user_role": {"id": 2, "name": "Users"},
        },
    )
    assert (invited.status_code, invited.json()) == (400, ["This user cannot be added to this client."])
