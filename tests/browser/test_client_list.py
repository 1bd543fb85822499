"""A person finding a client in the list, with htmx doing the updates."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = pytest.mark.browser


def test_filter_sort_page_open_and_come_back(page, support, sandbox):
    log_in(page, support.username)
    expect(page).to_have_url(re.compile(r"/clients/$"))

    page.get_by_label("CDN", exact=True).select_option("active")
    expect(page).to_have_url(re.compile(r"cdn=active"))
    expect(page.locator(".chips")).to_contain_text("CDN: active")

    page.get_by_role("link", name="Company").click()
    expect(page).to_have_url(re.compile(r"ordering=companyName"))
    expect(page.locator("th[aria-sort=ascending]")).to_have_text(re.compile("Company"))

    page.get_by_role("link", name="Next ›").first.click()  # noqa: RUF001 - the pager's own arrow, U+203A
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#client-results .summary")).to_contain_text("Showing 26–50")
    list_url = page.url
    first_row = page.locator("#client-results tbody tr").first
    company = first_row.locator("td").nth(1).locator("a").inner_text()

    # Every row on this page really is CDN-active, ordered by company, as the sandbox has them.
    expected = sorted(
        (
            c
            for c in (sandbox.client_json(i) for i in sandbox.client_ids())
            if not c["deleted"] and c["serviceStatuses"]["CDN"]["status"] == "active"
        ),
        key=lambda c: (c["companyName"], c["id"]),
    )
    assert first_row.locator("td").first.inner_text() == str(expected[25]["id"])

    first_row.locator("td").nth(1).locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(company)

    page.go_back()
    expect(page).to_have_url(list_url)
    expect(page.get_by_label("CDN", exact=True)).to_have_value("active")
    expect(page.locator("#client-results .summary")).to_contain_text("Showing 26–50")
    expect(page.locator("th[aria-sort=ascending]")).to_have_text(re.compile("Company"))
    assert page.errors == []


def test_typing_a_bad_filter_value_shows_the_error_and_keeps_the_text(page, manager):
    log_in(page, manager.username)
    page.get_by_text("Advanced filters").click()
    box = page.get_by_role("textbox", name="Traffic from (GB)")
    box.fill("lots")
    expect(page.locator("#error-min_traffic")).to_have_text("Enter a number.")
    # The address holds exactly the controls that have a value (the sort controls come first in the bar).
    expect(page).to_have_url(re.compile(r"/clients/\?ordering=id&page_size=25&min_traffic=lots$"))
    expect(box).to_have_value("lots")
    expect(page.locator("#client-results")).to_contain_text("Some filters were not applied")


def test_quick_search_by_id_opens_the_client(page, manager, sandbox):
    log_in(page, manager.username)
    client_id = sandbox.client_ids()[3]
    page.get_by_label("Quick search").fill(str(client_id))
    page.get_by_label("Quick search").press("Enter")
    expect(page).to_have_url(re.compile(rf"/clients/{client_id}/"))
    expect(page.get_by_text(f"Client {client_id}")).to_be_visible()
