"""The client list's query, read from a query string with no request, form or Gcore involved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.http import QueryDict

from dashboard.services.client_query import (
    DEFAULT_ORDERING,
    DEFAULT_PAGE_SIZE,
    ClientQuery,
)


def test_an_empty_query_hides_deleted_clients_and_sorts_by_id():
    query = ClientQuery.from_data("")
    assert query.is_valid
    assert query.filters == {"deleted": "false"}
    assert (query.ordering, query.page, query.page_size) == (DEFAULT_ORDERING, 1, DEFAULT_PAGE_SIZE)
    assert query.chips == []


@pytest.mark.parametrize(
    ("deleted", "sent"),
    [("", "false"), ("true", "true"), ("any", None)],
)
def test_deleted_is_hidden_unless_asked(deleted, sent):
    filters = ClientQuery.from_data({"deleted": deleted} if deleted else {}).filters
    assert filters.get("deleted") == sent


@pytest.mark.parametrize(
    ("raw", "param", "value"),
    [
        ("cdn=active", "cdn", "active"),
        ("is_test=false", "is_test", "false"),
        ("country_code=de", "country_code", "DE"),
        ("country_code=null", "country_code", "null"),
        ("reseller_id=%2012%20", "reseller_id", 12),
        ("min_traffic=1.50", "min_traffic", "1.5"),
        ("max_traffic=1E3", "max_traffic", "1000"),
        ("id__in__exclude=1%2C%202%20%2C3", "id__in__exclude", "1,2,3"),
        ("companyName=%20Acme%20", "companyName", "Acme"),
        ("email=a%40example.com", "email", "a@example.com"),
    ],
)
def test_valid_values_become_wire_values(raw, param, value):
    query = ClientQuery.from_data(raw)
    assert query.errors == {}
    assert query.filters[param] == value


def test_days_cover_whole_utc_days():
    filters = ClientQuery.from_data("created_at_gte=2025-03-01&created_at_lte=2025-03-31").filters
    assert filters["created_at_gte"] == datetime(2025, 3, 1, 0, 0, 0, tzinfo=UTC)
    assert filters["created_at_lte"] == datetime(2025, 3, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "param", "message"),
    [
        ("reseller_id=abc", "reseller_id", "Enter a whole number."),
        ("seller_id=-4", "seller_id", "Ensure this value is greater than or equal to 0."),
        ("min_traffic=lots", "min_traffic", "Enter a number."),
        ("min_traffic=NaN", "min_traffic", "Enter a number."),
        (
            "min_traffic=1234567890123456",
            "min_traffic",
            "Ensure that there are no more than 15 digits in total.",
        ),
        ("cdn=sleeping", "cdn", "Select a valid choice. sleeping is not one of the available choices."),
        ("created_at_gte=31/02/2025", "created_at_gte", "Enter a valid date."),
        ("country_code=Germany", "country_code", "Enter a two-letter country code (DE, US), or null."),
        ("email=nobody", "email", "Enter a valid email address."),
        ("feature_id_in=1,x", "feature_id_in", "Enter feature IDs separated by commas."),
        ("ordering=-password", "ordering", "Unknown sort order."),
        ("page_size=7", "page_size", "Select a valid choice. 7 is not one of the available choices."),
        ("q=ann%40", "q", "To search by email, type the whole address (name@example.com)."),
        (
            "companyName=" + "x" * 256,
            "companyName",
            "Ensure this value has at most 255 characters (it has 256).",
        ),
    ],
)
def test_a_bad_value_is_a_message_on_its_parameter_and_is_left_out(raw, param, message):
    query = ClientQuery.from_data(f"{raw}&cdn=trial" if param != "cdn" else raw)
    assert query.errors == {param: message}
    assert param not in query.filters
    assert not query.is_valid
    if param != "cdn":
        assert query.filters["cdn"] == "trial"  # the other filters still apply


def test_crossed_bounds_are_refused_on_the_upper_one():
    query = ClientQuery.from_data(
        "min_traffic=10&max_traffic=9.5&created_at_gte=2025-02-01&created_at_lte=2025-01-01"
    )
    assert query.errors == {
        "max_traffic": "Must not be less than the lower bound.",
        "created_at_lte": "Must not be before the start date.",
    }
    assert query.filters["min_traffic"] == "10" and "max_traffic" not in query.filters
    assert "created_at_lte" not in query.filters


@pytest.mark.parametrize(
    ("q", "target", "client_id"),
    [
        ("4242", None, 4242),
        ("ann@example.com", "email", None),
        ("Acme", "companyName", None),
        ("", None, None),
    ],
)
def test_quick_search_goes_where_it_belongs(q, target, client_id):
    query = ClientQuery.from_data({"q": q})
    assert query.search_field == target
    assert query.quick_client_id == client_id
    if target:
        assert query.filters[target] == q
    assert "q" not in query.filters


@pytest.mark.parametrize(("page", "number"), [("3", 3), ("0", 1), ("-2", 1), ("x", 1), ("", 1)])
def test_a_nonsense_page_is_page_one(page, number):
    assert ClientQuery.from_data({"page": page}).page == number


def test_chips_name_each_set_filter_and_the_query_without_it():
    query = ClientQuery.from_data("cdn=active&is_test=true&min_traffic=lots&ordering=-id&page=3")
    chips = {chip.name: chip for chip in query.chips}
    assert set(chips) == {"cdn", "is_test", "min_traffic"}  # sorting is not a filter; a bad value still shows
    assert chips["is_test"].label == "Test clients" and chips["is_test"].value == "Yes"
    assert chips["cdn"].remove_query == "is_test=true&min_traffic=lots&ordering=-id"  # and back to page 1
    assert query.messages == [("Traffic from (GB)", "Enter a number.")]


def test_a_repeated_parameter_keeps_its_last_value_like_django():
    query = ClientQuery.from_data(QueryDict("cdn=trial&cdn=active"))
    assert query.filters["cdn"] == "active"


def test_tidy_keeps_known_non_empty_parameters_without_the_page():
    query = ClientQuery.from_data("cdn=active&utm_source=mail&page=4&name=%20Ann%20&q=")
    assert query.tidy() == "cdn=active&name=Ann"
    # A view keeps the quick search and the sorting too, not only the filters.
    kept = ClientQuery.from_data("page_size=50&ordering=-id&q=Acme&page=2").tidy()
    assert kept == "q=Acme&ordering=-id&page_size=50"
