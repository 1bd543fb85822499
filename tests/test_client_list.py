"""The client list page, against the in-process sandbox, as the browser sees it."""

from __future__ import annotations

import html
from urllib.parse import parse_qs

import pytest

from tests.helpers import logged_in

pytestmark = pytest.mark.django_db


def api_calls(sandbox, path="/iam/clients"):
    return [entry for entry in sandbox.request_log if entry["path"] == path]


def test_the_first_page_shows_clients_from_one_upstream_request(manager_client, sandbox):
    response = manager_client.get("/clients/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "Sandbox data" in body
    calls = api_calls(sandbox)
    assert len(calls) == 1
    assert "limit=25" in calls[0]["query"] and "offset=0" in calls[0]["query"]
    visible = [c for c in (sandbox.client_json(i) for i in sandbox.client_ids()) if not c["deleted"]]
    for client in visible[:25]:
        assert f'<td class="num">{client["id"]}</td>' in body
    assert f'<td class="num">{visible[25]["id"]}</td>' not in body
    assert f"of {len(visible):,} clients" in body


def test_htmx_gets_only_the_results_fragment(manager_client):
    response = manager_client.get("/clients/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode().lstrip()
    assert body.startswith('<section id="client-results"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(manager_client):
    response = manager_client.get(
        "/clients/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_upstream_text_is_escaped(manager_client, sandbox):
    visible = [c for c in (sandbox.client_json(i) for i in sandbox.client_ids()) if not c["deleted"]]
    marked = [(n, c) for n, c in enumerate(visible) if "<" in c["companyName"]]
    assert marked, "the sandbox carries company names with markup"
    index, target = marked[0]
    response = manager_client.get(f"/clients/?page={index // 25 + 1}")
    body = response.content.decode()
    # Escaped quotes too: the name also goes into the row's title="" attribute.
    assert html.escape(target["companyName"]) in body
    assert target["companyName"] not in body


def test_a_staff_member_without_a_role_is_refused(nobody):
    assert logged_in(nobody).get("/clients/").status_code == 403


# -- filters (README, "Finding a client") -------------------------------------------------------------


def upstream_params(sandbox) -> dict[str, str]:
    """The query of the one GET /iam/clients this render made."""
    calls = api_calls(sandbox)
    assert len(calls) == 1, f"expected one upstream call, got {len(calls)}"
    return {key: values[0] for key, values in parse_qs(calls[0]["query"], keep_blank_values=True).items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("email=jane@example.com", {"email": "jane@example.com"}),
        ("companyName=Acme", {"companyName": "Acme"}),
        ("name=Jane", {"name": "Jane"}),
        ("custom_id=CRM-1", {"custom_id": "CRM-1"}),
        ("users_name=Elif", {"users_name": "Elif"}),
        ("users_email=elif@x.de", {"users_email": "elif@x.de"}),
        ("secondaryhostnames=cdn.example.com", {"secondaryhostnames": "cdn.example.com"}),
        ("promocode=SPRING", {"promocode": "SPRING"}),
        ("bill_type=prepaid", {"bill_type": "prepaid"}),
        ("activated=true", {"activated": "true"}),
        ("is_test=false", {"is_test": "false"}),
        ("client_type=reseller", {"client_type": "reseller"}),
        ("reseller_id=1001", {"reseller_id": "1001"}),
        ("seller_id=51", {"seller_id": "51"}),
        ("cdn=active", {"cdn": "active"}),
        ("storage=trial", {"storage": "trial"}),
        ("ddos=paused", {"ddos": "paused"}),
        ("dns=new", {"dns": "new"}),
        ("cloud=trialend", {"cloud": "trialend"}),
        ("infrastructure_protection=activating", {"infrastructure_protection": "activating"}),
        ("connect=deleted", {"connect": "deleted"}),
        ("min_traffic=10.50", {"min_traffic": "10.5"}),
        ("max_traffic=2000", {"max_traffic": "2000"}),
        ("id__in__exclude=1, 2,3", {"id__in__exclude": "1,2,3"}),
        ("feature_id_in=104,202", {"feature_id_in": "104,202"}),
        ("personal_product_availability=CDN,STORAGE", {"personal_product_availability": "CDN,STORAGE"}),
        ("created_at_gte=2025-01-31", {"created_at_gte": "2025-01-31T00:00:00+00:00"}),
        ("created_at_lte=2025-02-28", {"created_at_lte": "2025-02-28T23:59:59+00:00"}),
        ("country_code=de", {"country_code": "DE"}),
        ("country_code=null", {"country_code": "null"}),
        ("deleted=true", {"deleted": "true"}),
        ("ordering=-companyName,id", {"ordering": "-companyName,id"}),
        ("page_size=100&page=2", {"limit": "100", "offset": "100"}),
    ],
)
def test_each_filter_reaches_gcore_under_its_own_name(manager_client, sandbox, query, expected):
    response = manager_client.get(f"/clients/?{query}")
    assert response.status_code == 200
    params = upstream_params(sandbox)
    assert params | expected == params, params
    if "deleted" not in expected:
        assert params["deleted"] == "false"  # deleted clients are hidden unless asked for


def test_defaults_sent_upstream(manager_client, sandbox):
    manager_client.get("/clients/")
    assert upstream_params(sandbox) == {"limit": "25", "offset": "0", "ordering": "id", "deleted": "false"}


def test_showing_deleted_clients_sends_no_deleted_filter(manager_client, sandbox):
    manager_client.get("/clients/?deleted=any")
    assert "deleted" not in upstream_params(sandbox)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("reseller_id=abc", "reseller_id", "Enter a whole number."),
        ("seller_id=-4", "seller_id", "greater than or equal to 0"),
        ("min_traffic=lots", "min_traffic", "Enter a number."),
        ("cdn=sleeping", "cdn", "Select a valid choice."),
        ("client_type=vip", "client_type", "Select a valid choice."),
        ("is_test=maybe", "is_test", "Select a valid choice."),
        ("created_at_gte=31/02/2025", "created_at_gte", "Enter a valid date."),
        ("id__in__exclude=1,two", "id__in__exclude", "Enter client IDs separated by commas."),
        ("email=not-an-email", "email", "Enter a valid email address."),
        ("country_code=Germany", "country_code", "two-letter country code"),
        ("ordering=password", "ordering", "Unknown sort order."),
        ("q=jane@", "q", "type the whole address"),
        ("page_size=7", "page_size", "Select a valid choice."),
    ],
)
def test_a_bad_value_is_an_error_on_its_filter_and_never_reaches_gcore(
    manager_client, sandbox, query, field, message
):
    response = manager_client.get(
        f"/clients/?{query}&cdn=active" if not query.startswith("cdn") else f"/clients/?{query}&dns=active"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors and message in " ".join(form.errors[field])
    params = upstream_params(sandbox)
    bad_name, bad_value = query.split("=")
    assert bad_value not in params.values(), params  # under no name at all
    assert bad_name not in params or bad_name == "ordering"
    assert (params["ordering"], params["limit"]) == ("id", "25")  # a bad sort or page size: the defaults
    assert params.get("cdn", params.get("dns")) == "active"  # the other filters still apply
    body = response.content.decode()
    assert "Some filters were not applied" in body
    assert 'aria-invalid="true"' in body


def test_min_above_max_traffic_is_refused(manager_client, sandbox):
    response = manager_client.get("/clients/?min_traffic=50&max_traffic=10")
    assert response.context["form"].errors["max_traffic"] == ["Must not be less than the lower bound."]


@pytest.mark.parametrize(
    ("q", "param", "value"),
    [
        ("Acme", "companyName", "Acme"),
        ("jane@example.com", "email", "jane@example.com"),
        ("  Zürich  ", "companyName", "Zürich"),
        ("²", "companyName", "²"),  # a digit to Python's isdigit, no client ID
    ],
)
def test_quick_search_picks_the_filter(manager_client, sandbox, q, param, value):
    manager_client.get("/clients/", {"q": q})
    assert upstream_params(sandbox)[param] == value


def test_quick_search_with_an_id_opens_that_client(manager_client, sandbox):
    response = manager_client.get("/clients/?q=200007&cdn=active")
    assert response.status_code == 302
    assert response["Location"] == "/clients/200007/?back=%2Fclients%2F%3Fcdn%3Dactive"
    assert api_calls(sandbox) == []


def test_quick_search_with_an_id_redirects_an_htmx_request(manager_client):
    response = manager_client.get("/clients/?q=200007", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/clients/200007/?back=")


def test_active_filters_show_as_removable_chips(manager_client):
    response = manager_client.get("/clients/?cdn=active&is_test=true&page=3")
    chips = {chip.name: chip for chip in response.context["query"].chips}
    assert set(chips) == {"cdn", "is_test"}
    assert chips["cdn"].remove_query == "is_test=true"
    assert chips["is_test"].value == "Yes"
    assert 'aria-label="Remove filter CDN"' in response.content.decode()


def test_the_advanced_section_stays_as_the_person_left_it(manager_client):
    closed = '<details class="advanced" data-remember="advanced_filters">'
    opened = '<details class="advanced" data-remember="advanced_filters" open>'
    assert closed in manager_client.get("/clients/?users_email=a@b.co").content.decode()
    manager_client.cookies["advanced_filters"] = "open"  # what app.js writes when it is opened
    assert opened in manager_client.get("/clients/?cdn=active").content.decode()
    manager_client.cookies["advanced_filters"] = "closed"
    assert closed in manager_client.get("/clients/?cdn=active").content.decode()


def test_the_advanced_section_opens_to_show_an_error_in_it(manager_client):
    manager_client.cookies["advanced_filters"] = "closed"
    body = manager_client.get("/clients/?min_traffic=lots").content.decode()
    assert '<details class="advanced" data-remember="advanced_filters" open>' in body


# -- sorting and paging ----------------------------------------------------------------------------


def test_sort_headers_toggle_and_mark_the_current_order(manager_client):
    body = manager_client.get("/clients/?ordering=companyName&cdn=active&page=2").content.decode()
    assert '<th scope="col" aria-sort="ascending"><a href="?ordering=-companyName&amp;cdn=active"' in body
    assert '<a href="?ordering=email&amp;cdn=active"' in body
    body = manager_client.get("/clients/?ordering=-companyName").content.decode()
    assert 'aria-sort="descending"' in body and "Company ▼" in body


def test_paging_arithmetic(manager_client, sandbox):
    total = sum(1 for i in sandbox.client_ids() if not sandbox.client_json(i)["deleted"])
    last = -(-total // 50)
    response = manager_client.get("/clients/?page_size=50&page=2")
    listing = response.context["listing"]
    assert (listing.first_index, listing.last_index, listing.count, listing.num_pages) == (
        51,
        100,
        total,
        last,
    )
    assert f"Showing 51–100 of {total:,} clients" in response.content.decode()


def test_a_page_past_the_end_lands_on_the_last_page(manager_client, sandbox):
    response = manager_client.get("/clients/?page_size=100&page=99")
    listing = response.context["listing"]
    assert listing.page == listing.num_pages
    assert listing.last_index == listing.count
    assert len(api_calls(sandbox)) == 2  # the edge case costs one more call, never more


@pytest.mark.parametrize("page", ["0", "-3", "abc"])
def test_a_nonsense_page_is_page_one(manager_client, sandbox, page):
    response = manager_client.get(f"/clients/?page={page}")
    assert response.context["listing"].page == 1


def test_no_match_says_so(manager_client):
    response = manager_client.get("/clients/?companyName=zzzz-no-such-company")
    assert "No clients match these filters." in response.content.decode()


def test_links_that_change_filters_swap_the_form_too(manager_client):
    response = manager_client.get(
        "/clients/?cdn=active", headers={"HX-Request": "true", "HX-Target": "client-browser"}
    )
    body = response.content.decode().lstrip()
    assert body.startswith('<div id="client-browser">')
    assert "hx-swap-oob" not in body


def test_the_results_fragment_refreshes_filter_errors_out_of_band(manager_client):
    response = manager_client.get(
        "/clients/?min_traffic=x", headers={"HX-Request": "true", "HX-Target": "client-results"}
    )
    assert (
        '<small class="field-error" id="error-min_traffic" hx-swap-oob="true">Enter a number.</small>'
        in response.content.decode()
    )


def test_detail_links_carry_the_list_state(manager_client):
    body = manager_client.get("/clients/?cdn=active&page=2").content.decode()
    assert "?back=%2Fclients%2F%3Fcdn%3Dactive%26page%3D2" in body


def test_a_form_sent_without_javascript_gets_a_clean_address(manager_client, sandbox):
    response = manager_client.get("/clients/?q=&cdn=active&email=&ordering=id")
    assert response.status_code == 302
    assert response["Location"] == "/clients/?cdn=active&ordering=id"
    assert api_calls(sandbox) == []
