"""GET /iam/clients: every filter narrows the list as documented."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox
from dashboard.sandbox.store import ClientRecord
from tests.helpers import all_clients, listed_ids

Client = dict[str, Any]


def expected_ids(sandbox: Sandbox, test: Callable[[Client], bool]) -> list[int]:
    return [client["id"] for client in all_clients(sandbox) if test(client)]


def expected_internal(sandbox: Sandbox, test: Callable[[ClientRecord], bool]) -> list[int]:
    """For filters on state the API never shows (traffic, creation date, hostnames...)."""
    return [record.id for record in sandbox._store.clients.values() if test(record)]


def icontains(value: str | None, needle: str) -> bool:
    return value is not None and needle.lower() in value.lower()


def assert_narrows(client: httpx.Client, params: dict[str, Any], expected: list[int]) -> None:
    ids = listed_ids(client, **params)
    assert ids == expected
    assert 0 < len(ids) < 600, "the sample value should select some but not all clients"


@pytest.mark.parametrize(
    ("param", "value", "field"),
    [
        ("email", "SCHMIDT", "email"),
        ("companyName", "media", "companyName"),
        ("companyName", "&", "companyName"),
        ("name", "anna", "name"),
        ("custom_id", "crm-001", "custom_id"),
        ("bill_type", "PRE", "bill_type"),
    ],
)
def test_text_filters_are_case_insensitive_substrings(
    shared_sb: Sandbox, shared_api: httpx.Client, param: str, value: str, field: str
) -> None:
    expected = expected_ids(shared_sb, lambda c: icontains(c[field], value))
    assert_narrows(shared_api, {param: value}, expected)


@pytest.mark.parametrize(("param", "field"), [("users_name", "name"), ("users_email", "email")])
def test_user_filters_match_any_user_of_the_client(
    shared_sb: Sandbox, shared_api: httpx.Client, param: str, field: str
) -> None:
    expected = expected_ids(shared_sb, lambda c: any(icontains(u[field], "ko") for u in c["users"]))
    assert_narrows(shared_api, {param: "KO"}, expected)


def test_name_filter_never_matches_a_null_name(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    nameless = {c["id"] for c in all_clients(shared_sb) if c["name"] is None}
    assert nameless
    assert not nameless & set(listed_ids(shared_api, name=" "))


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_deleted_true_and_false(
    shared_sb: Sandbox, shared_api: httpx.Client, value: str, expected: bool
) -> None:
    assert_narrows(
        shared_api, {"deleted": value}, expected_ids(shared_sb, lambda c: c["deleted"] is expected)
    )


@pytest.mark.parametrize("value", ["True", "1", "yes", "all", "anything"])
def test_deleted_any_other_value_returns_all(
    shared_sb: Sandbox, shared_api: httpx.Client, value: str
) -> None:
    assert listed_ids(shared_api, deleted=value) == shared_sb.client_ids()


def test_no_deleted_param_returns_deleted_clients_too(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    assert listed_ids(shared_api) == shared_sb.client_ids()


@pytest.mark.parametrize(
    ("param", "value", "field"), [("reseller_id", 1002, "resellers"), ("seller_id", 53, "seller")]
)
def test_id_filters(shared_sb: Sandbox, shared_api: httpx.Client, param: str, value: int, field: str) -> None:
    assert_narrows(shared_api, {param: value}, expected_ids(shared_sb, lambda c: c[field] == value))


@pytest.mark.parametrize(
    ("param", "service"),
    [("cdn", "CDN"), ("storage", "STORAGE"), ("ddos", "DDOS"), ("dns", "DNS"), ("cloud", "CLOUD")],
)
@pytest.mark.parametrize("status", ["active", "paused", "deleted"])
def test_service_status_filters(
    shared_sb: Sandbox, shared_api: httpx.Client, param: str, service: str, status: str
) -> None:
    expected = expected_ids(shared_sb, lambda c: c["serviceStatuses"][service]["status"] == status)
    assert_narrows(shared_api, {param: status}, expected)


@pytest.mark.parametrize("param", ["infrastructure_protection", "connect"])
def test_hidden_service_filters_partition_the_clients(
    shared_sb: Sandbox, shared_api: httpx.Client, param: str
) -> None:
    statuses = ["new", "trial", "trialend", "active", "paused", "activating", "deleted"]
    seen: list[int] = []
    for status in statuses:
        expected = expected_internal(shared_sb, lambda r, s=status: r.hidden_service_statuses[param] == s)
        assert listed_ids(shared_api, **{param: status}) == expected
        seen += expected
    assert sorted(seen) == shared_sb.client_ids()


def test_traffic_range(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    assert_narrows(
        shared_api, {"min_traffic": 50}, expected_internal(shared_sb, lambda r: r.traffic_gb >= 50)
    )
    assert_narrows(
        shared_api, {"max_traffic": "12.5"}, expected_internal(shared_sb, lambda r: r.traffic_gb <= 12.5)
    )
    both = expected_internal(shared_sb, lambda r: 10 <= r.traffic_gb <= 1000)
    assert_narrows(shared_api, {"min_traffic": 10, "max_traffic": 1000}, both)


def test_secondary_hostnames(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    expected = expected_internal(shared_sb, lambda r: any("media." in h for h in r.secondary_hostnames))
    assert_narrows(shared_api, {"secondaryhostnames": "MEDIA."}, expected)


def test_promocode(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    expected = expected_internal(
        shared_sb, lambda r: r.promocode is not None and "partner" in r.promocode.lower()
    )
    assert_narrows(shared_api, {"promocode": "partner"}, expected)


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_activated_true_means_an_activated_live_user(
    shared_sb: Sandbox, shared_api: httpx.Client, value: str
) -> None:
    expected = expected_ids(shared_sb, lambda c: any(u["activated"] and not u["deleted"] for u in c["users"]))
    assert_narrows(shared_api, {"activated": value}, expected)


@pytest.mark.parametrize("value", ["false", "False", "0"])
def test_activated_false(shared_sb: Sandbox, shared_api: httpx.Client, value: str) -> None:
    expected = expected_ids(
        shared_sb, lambda c: not any(u["activated"] and not u["deleted"] for u in c["users"])
    )
    assert_narrows(shared_api, {"activated": value}, expected)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("False", False), ("0", False)])
def test_is_test(shared_sb: Sandbox, shared_api: httpx.Client, value: str, expected: bool) -> None:
    assert_narrows(
        shared_api, {"is_test": value}, expected_ids(shared_sb, lambda c: c["is_test"] is expected)
    )


def test_id_in_exclude(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    excluded = [*shared_sb.client_ids()[:3], 1]
    remaining = listed_ids(shared_api, id__in__exclude=",".join(map(str, excluded)))
    assert remaining == shared_sb.client_ids()[3:]


def test_feature_id_in(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    def has_feature(client: Client) -> bool:
        features = [
            f for group in ("paidFeatures", "freeFeatures") for fs in client[group].values() for f in fs
        ]
        return any(f["feature_id"] in (101, 301) for f in features)

    assert_narrows(shared_api, {"feature_id_in": "101, 301"}, expected_ids(shared_sb, has_feature))


@pytest.mark.parametrize("client_type", ["common", "reseller", "sales"])
def test_client_type(shared_sb: Sandbox, shared_api: httpx.Client, client_type: str) -> None:
    assert_narrows(
        shared_api,
        {"client_type": client_type},
        expected_ids(shared_sb, lambda c: c["client_type"] == client_type),
    )


def test_personal_product_availability_matches_any_listed_product(
    shared_sb: Sandbox, shared_api: httpx.Client
) -> None:
    expected = expected_internal(shared_sb, lambda r: bool(r.personal_products & {"WAAP", "DNS"}))
    assert_narrows(shared_api, {"personal_product_availability": "WAAP,DNS"}, expected)


@pytest.mark.parametrize("value", ["de", "DE"])
def test_country_code_is_case_insensitive_exact(
    shared_sb: Sandbox, shared_api: httpx.Client, value: str
) -> None:
    assert_narrows(
        shared_api, {"country_code": value}, expected_ids(shared_sb, lambda c: c["country_code"] == "DE")
    )
    assert listed_ids(shared_api, country_code="D") == []


def test_country_code_null_selects_clients_without_country(
    shared_sb: Sandbox, shared_api: httpx.Client
) -> None:
    assert_narrows(
        shared_api, {"country_code": "null"}, expected_ids(shared_sb, lambda c: c["country_code"] == "")
    )


def test_created_at_range(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    week_ago = shared_sb.now - timedelta(days=7)
    recent = expected_internal(shared_sb, lambda r: r.created_at >= week_ago)
    assert_narrows(shared_api, {"created_at_gte": week_ago.isoformat()}, recent)
    older = expected_internal(shared_sb, lambda r: r.created_at <= week_ago)
    assert_narrows(shared_api, {"created_at_lte": week_ago.isoformat().replace("+00:00", "Z")}, older)
    assert sorted(recent + older) == shared_sb.client_ids()


def test_created_at_accepts_a_plain_date_and_a_naive_time_as_utc(
    shared_sb: Sandbox, shared_api: httpx.Client
) -> None:
    day = (shared_sb.now - timedelta(days=400)).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    expected = expected_internal(shared_sb, lambda r: r.created_at >= midnight)
    assert_narrows(shared_api, {"created_at_gte": day.isoformat()}, expected)
    assert_narrows(shared_api, {"created_at_gte": f"{day.isoformat()}T00:00:00"}, expected)


def test_there_are_clients_from_the_last_week_and_month(shared_sb: Sandbox) -> None:
    week = shared_sb.matching_count(created_at_gte=shared_sb.now - timedelta(days=7))
    month = shared_sb.matching_count(created_at_gte=shared_sb.now - timedelta(days=30))
    assert 0 < week < month < 200


def test_filters_combine_with_and(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    expected = expected_ids(
        shared_sb,
        lambda c: c["serviceStatuses"]["CDN"]["status"] == "active" and not c["deleted"] and not c["is_test"],
    )
    assert_narrows(shared_api, {"cdn": "active", "deleted": "false", "is_test": "false"}, expected)


def test_empty_values_are_ignored(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    params = {"cdn": "", "limit": "", "created_at_gte": "", "is_test": "", "email": ""}
    assert listed_ids(shared_api, **params) == shared_sb.client_ids()


def test_matching_count_agrees_with_the_api(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    body = shared_api.get("/iam/clients", params={"limit": 1, "cdn": "trial", "is_test": "false"}).json()
    assert shared_sb.matching_count(cdn="trial", is_test=False) == body["count"]
    with pytest.raises(ValueError):
        shared_sb.matching_count(cdn="nope")
