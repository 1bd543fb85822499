"""GET /iam/clients: response shapes, limit/offset pagination and ordering."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox
from tests.helpers import TOKEN, all_clients, listed_ids, make_api


def page(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/iam/clients", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_without_limit_the_answer_is_a_plain_array_of_everything(
    shared_sb: Sandbox, shared_api: httpx.Client
) -> None:
    body = shared_api.get("/iam/clients").json()
    assert isinstance(body, list)
    assert body == all_clients(shared_sb)


def test_offset_without_limit_is_ignored(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    assert listed_ids(shared_api, offset=10) == shared_sb.client_ids()


def test_first_page(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    body = page(shared_api, limit=25, cdn="active")
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == shared_sb.matching_count(cdn="active")
    assert [c["id"] for c in body["results"]] == listed_ids(shared_api, cdn="active")[:25]
    assert body["previous"] is None
    # DRF rebuilds the query sorted, with limit and offset replaced.
    assert body["next"] == "https://api.gcore.com/iam/clients?cdn=active&limit=25&offset=25"


def test_middle_page_links(shared_api: httpx.Client) -> None:
    body = page(shared_api, limit=25, offset=60, ordering="-id")
    assert body["next"] == "https://api.gcore.com/iam/clients?limit=25&offset=85&ordering=-id"
    assert body["previous"] == "https://api.gcore.com/iam/clients?limit=25&offset=35&ordering=-id"


def test_previous_link_drops_offset_when_it_would_reach_zero(shared_api: httpx.Client) -> None:
    assert page(shared_api, limit=25, offset=10)["previous"] == "https://api.gcore.com/iam/clients?limit=25"


def test_last_page_has_no_next(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    body = page(shared_api, limit=25, offset=590)
    assert body["count"] == 600
    assert body["next"] is None
    assert [c["id"] for c in body["results"]] == shared_sb.client_ids()[590:]


def test_pages_cover_every_client_once(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    seen: list[int] = []
    url: str | None = "/iam/clients?limit=100&ordering=companyName"
    while url:
        body = shared_api.get(url).json()
        seen += [c["id"] for c in body["results"]]
        url = body["next"]
    assert sorted(seen) == shared_sb.client_ids()
    assert len(seen) == len(set(seen))


def test_offset_past_the_end_is_an_empty_page_with_the_count(shared_api: httpx.Client) -> None:
    body = page(shared_api, limit=10, offset=5000)
    assert body["count"] == 600
    assert body["results"] == []
    assert body["next"] is None
    assert body["previous"] == "https://api.gcore.com/iam/clients?limit=10&offset=4990"


def test_limit_is_capped_at_1000() -> None:
    with make_api(Sandbox(seed=1, clients=1200, token=TOKEN)) as api:
        body = page(api, limit=5000)
    assert body["count"] == 1200
    assert len(body["results"]) == 1000
    assert body["next"] == "https://api.gcore.com/iam/clients?limit=1000&offset=1000"


def test_empty_match_paginated(shared_api: httpx.Client) -> None:
    assert page(shared_api, limit=10, email="no-such-address") == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


# -- ordering --------------------------------------------------------------------------------


def ordered(client: httpx.Client, ordering: str) -> list[dict[str, Any]]:
    return client.get("/iam/clients", params={"ordering": ordering}).json()


def test_default_order_is_id_ascending(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    assert listed_ids(shared_api) == shared_sb.client_ids()
    assert listed_ids(shared_api, ordering="") == shared_sb.client_ids()


@pytest.mark.parametrize("field", ["email", "status", "companyName"])
def test_order_by_a_field_then_id(shared_api: httpx.Client, field: str) -> None:
    ascending = ordered(shared_api, field)
    assert [(c[field], c["id"]) for c in ascending] == sorted((c[field], c["id"]) for c in ascending)
    descending = ordered(shared_api, f"-{field}")
    keys = [c[field] for c in descending]
    assert keys == sorted(keys, reverse=True)
    # Ties keep id ascending in both directions.
    for first, second in pairwise(descending):
        if first[field] == second[field]:
            assert first["id"] < second["id"]


def test_order_by_id_descending(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    assert listed_ids(shared_api, ordering="-id") == shared_sb.client_ids()[::-1]


def test_null_names_sort_last_ascending_and_first_descending(shared_api: httpx.Client) -> None:
    ascending = [c["name"] for c in ordered(shared_api, "name")]
    nulls = ascending.count(None)
    assert nulls > 0
    assert ascending[-nulls:] == [None] * nulls
    assert ascending[:-nulls] == sorted(ascending[:-nulls])
    descending = [c["name"] for c in ordered(shared_api, "-name")]
    assert descending[:nulls] == [None] * nulls


def test_order_by_created_at(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    created = {r.id: r.created_at for r in shared_sb._store.clients.values()}
    ids = listed_ids(shared_api, ordering="-created_at")
    assert [created[i] for i in ids] == sorted(created.values(), reverse=True)


def test_multi_field_ordering(shared_api: httpx.Client) -> None:
    clients = ordered(shared_api, "status,-companyName")
    keys = [(c["status"], c["companyName"]) for c in clients]
    for (status_a, company_a), (status_b, company_b) in pairwise(keys):
        assert status_a <= status_b
        if status_a == status_b:
            assert company_a >= company_b


def test_unknown_ordering_fields_are_ignored(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    assert listed_ids(shared_api, ordering="created,--id,website") == shared_sb.client_ids()
    by_email = listed_ids(shared_api, ordering="email")
    assert listed_ids(shared_api, ordering="bogus,email") == by_email
