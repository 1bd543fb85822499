"""GET /iam/clients: every malformed parameter gets a 400 with the validation-error body."""

from __future__ import annotations

import httpx
import pytest

INTEGER = "A valid integer is required."
NUMBER = "Enter a number."
DATETIME = "Enter a valid date/time."
BOOLEAN = "Must be a valid boolean."


def choice(value: str) -> str:
    return f"Select a valid choice. {value} is not one of the available choices."


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("limit", "ten", INTEGER),
        ("limit", "2.5", INTEGER),
        ("limit", "-1", "Ensure this value is greater than or equal to 1."),
        ("limit", "0", "Ensure this value is greater than or equal to 1."),
        ("offset", "x", INTEGER),
        ("offset", "-5", "Ensure this value is greater than or equal to 0."),
        ("reseller_id", "abc", INTEGER),
        ("seller_id", "1e3", INTEGER),
        ("min_traffic", "lots", NUMBER),
        ("max_traffic", "nan", NUMBER),
        ("cdn", "enabled", choice("enabled")),
        ("storage", "ACTIVE", choice("ACTIVE")),
        ("ddos", "on", choice("on")),
        ("dns", "x", choice("x")),
        ("cloud", "suspended", choice("suspended")),
        ("infrastructure_protection", "yes", choice("yes")),
        ("connect", "1", choice("1")),
        ("client_type", "partner", choice("partner")),
        ("activated", "yes", BOOLEAN),
        ("activated", "TRUE", BOOLEAN),
        ("is_test", "maybe", BOOLEAN),
        ("created_at_gte", "yesterday", DATETIME),
        ("created_at_lte", "2024-13-01", DATETIME),
        ("created_at_gte", "2024-01-01T25:00:00Z", DATETIME),
        ("id__in__exclude", "1,two,3", INTEGER),
        ("id__in__exclude", "1,,3", INTEGER),
        ("feature_id_in", "101;102", INTEGER),
    ],
)
def test_malformed_value_is_a_400(shared_api: httpx.Client, param: str, value: str, message: str) -> None:
    response = shared_api.get(
        "/iam/clients", params={param: value, "limit": 10} if param != "limit" else {param: value}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"errors": {param: [message]}}


def test_all_bad_parameters_are_reported_at_once(shared_api: httpx.Client) -> None:
    response = shared_api.get(
        "/iam/clients", params={"limit": "x", "cdn": "bad", "is_test": "2", "email": "ok"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "limit": [INTEGER],
        "cdn": [choice("bad")],
        "is_test": [BOOLEAN],
    }


def test_a_bad_value_fails_even_without_limit(shared_api: httpx.Client) -> None:
    assert shared_api.get("/iam/clients", params={"offset": "x"}).status_code == 400


def test_markup_in_a_bad_value_is_echoed_as_plain_json_text(shared_api: httpx.Client) -> None:
    value = '<script>alert("x")</script>'
    response = shared_api.get("/iam/clients", params={"cdn": value})
    assert response.json() == {"errors": {"cdn": [choice(value)]}}
