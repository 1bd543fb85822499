"""GET /api/clients: limit, page, sort, filters, their 400s and Laravel's envelope, exactly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dashboard.spp_sandbox import SandboxTransport, SppSandbox

LIST_URL = "https://billing.example/api/clients"
# 600 Gcore clients: 72 without an SPP client, 15 with two, 513 with one, plus 40 SPP-only.
TOTAL = 583


def listing(api: httpx.Client, params: Any = None) -> dict[str, Any]:
    response = api.get("/api/clients", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(api: httpx.Client, params: Any = None) -> list[int]:
    return [item["id"] for item in listing(api, params)["data"]]


def every_id(api: httpx.Client, params: list[tuple[str, Any]]) -> list[int]:
    """All pages of 100 for these parameters, in order."""
    found: list[int] = []
    page = 1
    while True:
        body = listing(api, [*params, ("limit", 100), ("page", page)])
        found += [item["id"] for item in body["data"]]
        if body["links"]["next"] is None:
            return found
        page += 1


def everyone(sandbox: SppSandbox) -> list[dict[str, Any]]:
    return [sandbox.client_json(client_id) for client_id in sandbox.client_ids()]


def newest_first(clients: list[dict[str, Any]]) -> list[int]:
    # created_at is always `YYYY-MM-DDTHH:MM:SS+00:00`, so the strings sort as the dates do.
    return [c["id"] for c in sorted(clients, key=lambda c: (c["created_at"], c["id"]), reverse=True)]


def bad_request(api: httpx.Client, params: Any) -> dict[str, Any]:
    response = api.get("/api/clients", params=params)
    assert response.status_code == 400, response.text
    return response.json()


# -- limit and page ------------------------------------------------------------------------------


def test_defaults_are_twenty_newest_first(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    body = listing(shared_api)
    assert [item["id"] for item in body["data"]] == newest_first(everyone(shared_sb))[:20]
    assert body["meta"]["per_page"] == 20
    assert body["meta"]["total"] == TOTAL == len(shared_sb.client_ids())


def test_date_ties_are_broken_by_id_newest_first(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    dates = [c["created_at"] for c in everyone(shared_sb)]
    tied = max(set(dates), key=dates.count)
    assert dates.count(tied) >= 3, "the demo data has imported clients sharing a date"
    found = ids(shared_api, {"filters[created_at][$eq]": tied, "limit": 100})
    assert len(found) == dates.count(tied)
    assert found == sorted(found, reverse=True)


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_limit(shared_sb: SppSandbox, shared_api: httpx.Client, limit: int) -> None:
    body = listing(shared_api, {"limit": limit})
    assert [item["id"] for item in body["data"]] == newest_first(everyone(shared_sb))[:limit]
    assert body["meta"]["per_page"] == limit


def test_pages_cover_every_client_once(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    assert every_id(shared_api, []) == newest_first(everyone(shared_sb))


def test_a_page_past_the_end_is_empty(shared_api: httpx.Client) -> None:
    body = listing(shared_api, {"limit": 100, "page": 7})
    assert body["data"] == []
    assert body["meta"]["total"] == TOTAL
    assert body["meta"]["last_page"] == 6


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"limit": 0}, {"limit": ["The limit field must be at least 1."]}),
        ({"limit": -3}, {"limit": ["The limit field must be at least 1."]}),
        ({"limit": 101}, {"limit": ["The limit field must not be greater than 100."]}),
        ({"limit": "ten"}, {"limit": ["The limit field must be an integer."]}),
        ({"limit": "2.5"}, {"limit": ["The limit field must be an integer."]}),
        ({"limit": ""}, {"limit": ["The limit field must be an integer."]}),
        ({"limit[]": 5}, {"limit": ["The limit field must be an integer."]}),
        ({"page": 0}, {"page": ["The page field must be at least 1."]}),
        ({"page": "last"}, {"page": ["The page field must be an integer."]}),
    ],
)
def test_bad_limit_or_page(shared_api: httpx.Client, params: dict[str, Any], errors: dict) -> None:
    message = next(iter(errors.values()))[0]
    assert bad_request(shared_api, params) == {"message": message, "errors": errors}


# -- sort ----------------------------------------------------------------------------------------


def expected_order(clients: list[dict[str, Any]], field: str, descending: bool) -> list[int]:
    """Text without case (the `_ci` reading), numbers as numbers, NULL lowest, ties by id."""

    def key(client: dict[str, Any]) -> tuple[bool, Any, int]:
        value = client[field]
        if field == "spent" and value is not None:
            value = float(value)
        elif isinstance(value, str) and field != "created_at":
            value = value.lower()
        return (value is not None, 0 if value is None else value, client["id"])

    return [c["id"] for c in sorted(clients, key=key, reverse=descending)]


@pytest.mark.parametrize("direction", ["asc", "desc"])
@pytest.mark.parametrize(
    "field", ["id", "created_at", "email", "name", "company", "phone", "balance", "spent", "status"]
)
def test_sort(shared_sb: SppSandbox, shared_api: httpx.Client, field: str, direction: str) -> None:
    found = every_id(shared_api, [("sort", f"{field}:{direction}")])
    assert found == expected_order(everyone(shared_sb), field, direction == "desc")


def test_sort_compares_spent_as_numbers(shared_api: httpx.Client) -> None:
    params = {"sort": "spent:asc", "filters[spent][$gt]": "0", "limit": 100}
    spent = [item["spent"] for item in listing(shared_api, params)["data"]]
    assert [float(value) for value in spent] == sorted(float(value) for value in spent)
    assert spent != sorted(spent), "as strings the order would differ"


@pytest.mark.parametrize(
    "sort", ["foo:asc", "id", "id:", ":asc", "id:up", "id:DESC", "ID:asc", "id:asc,email:desc", "address:asc"]
)
def test_bad_sort(shared_api: httpx.Client, sort: str) -> None:
    assert bad_request(shared_api, {"sort": sort}) == {
        "message": "The selected sort is invalid.",
        "errors": {"sort": ["The selected sort is invalid."]},
    }


# -- filters -------------------------------------------------------------------------------------


def test_eq_on_email_ignores_case(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    recased = next(c for c in everyone(shared_sb) if c["email"] != c["email"].lower())
    for spelling in (recased["email"], recased["email"].lower(), recased["email"].upper()):
        found = ids(shared_api, {"filters[email][$eq]": spelling})
        assert recased["id"] in found
        assert found == shared_sb.ids_with_email(spelling)[::-1]


def test_eq_finds_both_duplicates(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    emails = [c["email"].lower() for c in everyone(shared_sb)]
    duplicated = next(email for email in emails if emails.count(email) == 2)
    found = ids(shared_api, {"filters[email][$eq]": duplicated})
    assert sorted(found) == shared_sb.ids_with_email(duplicated)
    assert len(found) == 2


def test_eq_with_no_match(shared_api: httpx.Client) -> None:
    body = listing(shared_api, {"filters[email][$eq]": "nobody@nowhere.example"})
    assert body["data"] == []
    assert body["meta"]["total"] == 0


def test_eq_on_id_and_integers(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    client_id = shared_sb.client_ids()[10]
    assert ids(shared_api, {"filters[id][$eq]": client_id}) == [client_id]
    assert ids(shared_api, {"filters[id][$eq]": f"+{client_id}"}) == [client_id]


@pytest.mark.parametrize(
    ("operator", "value", "test"),
    [
        ("$lt", "300", lambda c: c["id"] < 300),
        ("$gt", "500", lambda c: c["id"] > 500),
    ],
)
def test_lt_and_gt_on_id(shared_sb: SppSandbox, shared_api: httpx.Client, operator, value, test) -> None:
    found = every_id(shared_api, [(f"filters[id][{operator}]", value)])
    assert found == [i for i in newest_first(everyone(shared_sb)) if test(shared_sb.client_json(i))]
    assert found


def test_numbers_compare_as_numbers(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    clients = everyone(shared_sb)
    rich = every_id(shared_api, [("filters[balance][$gt]", "99.5")])
    assert sorted(rich) == sorted(c["id"] for c in clients if c["balance"] > 99.5)
    owing = every_id(shared_api, [("filters[balance][$lt]", "-50")])
    assert sorted(owing) == sorted(c["id"] for c in clients if c["balance"] < -50)
    assert rich and owing
    big = every_id(shared_api, [("filters[spent][$gt]", "9000")])
    assert sorted(big) == sorted(
        c["id"] for c in clients if c["spent"] is not None and float(c["spent"]) > 9000
    )
    # As text, "12000.00" < "9000" and those clients would be missing.
    assert any(c["id"] in big and float(c["spent"]) >= 10_000 for c in clients if c["spent"] is not None)


def test_null_matches_no_filter(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    clients = everyone(shared_sb)
    assert any(c["spent"] is None for c in clients)
    found = every_id(shared_api, [("filters[spent][$lt]", "1e12")])
    assert sorted(found) == sorted(c["id"] for c in clients if c["spent"] is not None)


@pytest.mark.parametrize("boundary", ["2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00+01:00"])
def test_dates_compare_as_dates(shared_sb: SppSandbox, shared_api: httpx.Client, boundary: str) -> None:
    clients = everyone(shared_sb)
    before = every_id(shared_api, [("filters[created_at][$lt]", boundary)])
    after = every_id(shared_api, [("filters[created_at][$gt]", boundary)])
    assert sorted(before) == sorted(c["id"] for c in clients if c["created_at"] < "2024-01-01T00:00:00+00:00")
    assert sorted(after) == sorted(c["id"] for c in clients if c["created_at"] > "2024-01-01T00:00:00+00:00")
    assert before and after


def test_text_lt_and_gt_ignore_case(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    found = every_id(shared_api, [("filters[name_l][$lt]", "m")])
    assert sorted(found) == sorted(c["id"] for c in everyone(shared_sb) if c["name_l"].lower() < "m")
    assert found == every_id(shared_api, [("filters[name_l][$lt]", "M")])


def test_in_on_ids(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    wanted = shared_sb.client_ids()[3:6]
    found = ids(shared_api, [("filters[id][$in][]", i) for i in [*wanted, 99_999]])
    assert sorted(found) == wanted


def test_in_on_status_and_on_email(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    clients = everyone(shared_sb)
    found = every_id(shared_api, [("filters[status][$in][]", 1), ("filters[status][$in][]", 2)])
    assert sorted(found) == sorted(c["id"] for c in clients if c["status"] in (1, 2))
    emails = [clients[0]["email"].upper(), clients[1]["email"]]
    by_email = ids(shared_api, [("filters[email][$in][]", email) for email in emails])
    assert sorted(by_email) == sorted(
        {*shared_sb.ids_with_email(emails[0]), *shared_sb.ids_with_email(emails[1])}
    )


def test_in_with_explicit_indices(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    wanted = shared_sb.client_ids()[:2]
    query = f"filters[id][$in][0]={wanted[0]}&filters[id][$in][1]={wanted[1]}"
    assert sorted(ids(shared_api, httpx.QueryParams(query))) == wanted


def test_filters_combine_with_and(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    params = [
        ("filters[status][$eq]", 3),
        ("filters[balance][$gt]", 0),
        ("filters[created_at][$gt]", "2023-01-01"),
        ("filters[id][$lt]", 600),
    ]
    found = every_id(shared_api, params)
    expected = [
        c["id"]
        for c in everyone(shared_sb)
        if c["status"] == 3 and c["balance"] > 0 and c["created_at"] > "2023-01-01" and c["id"] < 600
    ]
    assert sorted(found) == sorted(expected)
    assert found
    two_operators = every_id(shared_api, [("filters[id][$gt]", 300), ("filters[id][$lt]", 320)])
    assert sorted(two_operators) == [i for i in shared_sb.client_ids() if 300 < i < 320]


def test_filters_and_sort_together(shared_sb: SppSandbox, shared_api: httpx.Client) -> None:
    found = every_id(shared_api, [("filters[optin][$eq]", "yes"), ("sort", "email:asc")])
    clients = [c for c in everyone(shared_sb) if c["optin"] == "Yes"]
    assert found == expected_order(clients, "email", descending=False)


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("filters[foo][$eq]=1", {"filters.foo": ["The selected filters.foo is invalid."]}),
        ("filters[address][$eq]=x", {"filters.address": ["The selected filters.address is invalid."]}),
        ("filters[managers][$eq]=x", {"filters.managers": ["The selected filters.managers is invalid."]}),
        (
            "filters[email][$like]=x",
            {"filters.email.$like": ["The selected filters.email.$like is invalid."]},
        ),
        ("filters[id][$eq]=abc", {"filters.id.$eq": ["The filters.id.$eq field must be an integer."]}),
        (
            "filters[status][$gt]=1.5",
            {"filters.status.$gt": ["The filters.status.$gt field must be an integer."]},
        ),
        (
            "filters[balance][$gt]=lots",
            {"filters.balance.$gt": ["The filters.balance.$gt field must be a number."]},
        ),
        (
            "filters[created_at][$lt]=yesterday",
            {"filters.created_at.$lt": ["The filters.created_at.$lt field must be a valid date."]},
        ),
        ("filters[email]=x", {"filters.email": ["The filters.email field must be an array."]}),
        ("filters=x", {"filters": ["The filters field must be an array."]}),
        ("filters[id][$in]=5", {"filters.id.$in": ["The filters.id.$in field must be an array."]}),
        (
            "filters[id][$in][]=1&filters[id][$in][]=x",
            {"filters.id.$in.1": ["The filters.id.$in.1 field must be an integer."]},
        ),
        ("filters[email][$eq][]=x", {"filters.email.$eq": ["The filters.email.$eq field must be a string."]}),
    ],
)
def test_bad_filters(shared_api: httpx.Client, query: str, errors: dict[str, list[str]]) -> None:
    message = next(iter(errors.values()))[0]
    assert bad_request(shared_api, httpx.QueryParams(query)) == {"message": message, "errors": errors}


def test_every_bad_parameter_is_reported_at_once(shared_api: httpx.Client) -> None:
    body = bad_request(
        shared_api,
        {"limit": 500, "page": "x", "sort": "nope:asc", "filters[foo][$eq]": 1, "filters[id][$gt]": "y"},
    )
    assert body == {
        "message": "The limit field must not be greater than 100. (and 4 more errors)",
        "errors": {
            "limit": ["The limit field must not be greater than 100."],
            "page": ["The page field must be an integer."],
            "sort": ["The selected sort is invalid."],
            "filters.foo": ["The selected filters.foo is invalid."],
            "filters.id.$gt": ["The filters.id.$gt field must be an integer."],
        },
    }
    two = bad_request(shared_api, {"limit": 0, "page": 0})
    assert two["message"] == "The limit field must be at least 1. (and 1 more error)"


def test_unknown_parameters_are_ignored(shared_api: httpx.Client) -> None:
    plain = ids(shared_api, {"limit": 5})
    assert ids(shared_api, {"limit": 5, "expand[]": "managers", "search": "x", "per_page": 2}) == plain


# -- the envelope --------------------------------------------------------------------------------


def page_url(page: int, query: str = "limit=20") -> str:
    return f"{LIST_URL}?{query}&page={page}"


def expected_links(labels: list[str], current: int, last: int, query: str = "limit=20") -> list[dict]:
    """meta.links for these labels: "..." has no URL, numbers link to their page."""
    links = [
        {
            "url": page_url(current - 1, query) if current > 1 else None,
            "label": "&laquo; Previous",
            "active": False,
        }
    ]
    for label in labels:
        if label == "...":
            links.append({"url": None, "label": "...", "active": False})
        else:
            links.append(
                {"url": page_url(int(label), query), "label": label, "active": int(label) == current}
            )
    links.append(
        {
            "url": page_url(current + 1, query) if current < last else None,
            "label": "Next &raquo;",
            "active": False,
        }
    )
    return links


def numbers(first: int, last: int) -> list[str]:
    return [str(n) for n in range(first, last + 1)]


@pytest.mark.parametrize(
    ("page", "labels", "first_item", "to"),
    [
        (1, [*numbers(1, 10), "...", "29", "30"], 1, 20),
        (7, [*numbers(1, 10), "...", "29", "30"], 121, 140),
        (8, ["1", "2", "...", *numbers(5, 11), "...", "29", "30"], 141, 160),
        (15, ["1", "2", "...", *numbers(12, 18), "...", "29", "30"], 281, 300),
        (23, ["1", "2", "...", *numbers(20, 26), "...", "29", "30"], 441, 460),
        (24, ["1", "2", "...", *numbers(21, 30)], 461, 480),
        (30, ["1", "2", "...", *numbers(21, 30)], 581, 583),
        (31, ["1", "2", "...", *numbers(21, 30)], None, None),
    ],
)
def test_envelope_of_thirty_pages(
    shared_api: httpx.Client, page: int, labels: list[str], first_item: int | None, to: int | None
) -> None:
    body = listing(shared_api, {"limit": 20, "page": page})
    assert body["links"] == {
        "first": page_url(1),
        "last": page_url(30),
        "prev": page_url(page - 1) if page > 1 else None,
        "next": page_url(page + 1) if page < 30 else None,
    }
    assert body["meta"] == {
        "current_page": page,
        "from": first_item,
        "last_page": 30,
        "links": expected_links(labels, page, 30),
        "path": LIST_URL,
        "per_page": 20,
        "to": to,
        "total": TOTAL,
    }
    assert len(body["data"]) == (0 if to is None else to - first_item + 1)
    assert list(body) == ["data", "links", "meta"]


@pytest.mark.parametrize("page", [1, 3, 6])
def test_envelope_of_few_pages_lists_them_all(shared_api: httpx.Client, page: int) -> None:
    meta = listing(shared_api, {"limit": 100, "page": page})["meta"]
    assert meta["links"] == expected_links(numbers(1, 6), page, 6, "limit=100")
    assert (meta["from"], meta["to"]) == ((page - 1) * 100 + 1, min(page * 100, TOTAL))


def test_envelope_of_no_match(shared_api: httpx.Client) -> None:
    query = "filters%5Bemail%5D%5B%24eq%5D=nobody%40nowhere.example"
    body = listing(shared_api, {"filters[email][$eq]": "nobody@nowhere.example"})
    assert body == {
        "data": [],
        "links": {
            "first": f"{LIST_URL}?{query}&page=1",
            "last": f"{LIST_URL}?{query}&page=1",
            "prev": None,
            "next": None,
        },
        "meta": {
            "current_page": 1,
            "from": None,
            "last_page": 1,
            "links": [
                {"url": None, "label": "&laquo; Previous", "active": False},
                {"url": f"{LIST_URL}?{query}&page=1", "label": "1", "active": True},
                {"url": None, "label": "Next &raquo;", "active": False},
            ],
            "path": LIST_URL,
            "per_page": 20,
            "to": None,
            "total": 0,
        },
    }


def test_links_keep_the_query_php_encoded_with_page_last(shared_api: httpx.Client) -> None:
    query = (
        "page=2&limit=5&filters[status][$in][]=3&filters[status][$in][]=2&sort=id:asc"
        "&filters[name_f][$gt]=A b&expand[]=managers"
    )
    body = listing(shared_api, httpx.QueryParams(query))
    kept = (
        "limit=5&filters%5Bstatus%5D%5B%24in%5D%5B0%5D=3&filters%5Bstatus%5D%5B%24in%5D%5B1%5D=2"
        "&filters%5Bname_f%5D%5B%24gt%5D=A%20b&sort=id%3Aasc&expand%5B0%5D=managers"
    )
    assert body["links"]["prev"] == f"{LIST_URL}?{kept}&page=1"
    assert body["links"]["next"] == f"{LIST_URL}?{kept}&page=3"
    assert body["meta"]["path"] == LIST_URL


def test_urls_use_the_request_scheme_and_host(shared_sb: SppSandbox, token: str) -> None:
    with httpx.Client(
        transport=SandboxTransport(shared_sb),
        base_url="http://spp.local:8080",
        headers={"Authorization": f"Bearer {token}"},
    ) as other:
        body = listing(other, {"limit": 100})
    assert body["links"]["next"] == "http://spp.local:8080/api/clients?limit=100&page=2"
    assert body["meta"]["path"] == "http://spp.local:8080/api/clients"


def test_head_answers_like_get(shared_api: httpx.Client) -> None:
    response = shared_api.head("/api/clients")
    assert response.status_code == 200
    assert response.headers["x-api-version"] == "20231214"


def test_list_items_stop_at_spent(shared_api: httpx.Client) -> None:
    item = listing(shared_api, {"limit": 1})["data"][0]
    assert list(item) == [
        "id",
        "aff_id",
        "aff_link",
        "created_at",
        "name_f",
        "name_l",
        "email",
        "company",
        "tax_id",
        "phone",
        "address",
        "note",
        "balance",
        "optin",
        "stripe_id",
        "custom_fields",
        "status",
        "role_id",
        "role",
        "name",
        "spent",
    ]
