"""The client list in Chromium: rows above the fold on a laptop, every filter reachable on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows_in_view(page, height: int) -> int:
    """How many result rows are wholly visible without scrolling."""
    boxes = page.locator("#client-results tbody tr").evaluate_all(
        "rows => rows.map(row => row.getBoundingClientRect().bottom)"
    )
    return sum(1 for bottom in boxes if bottom <= height)


@pytest.mark.parametrize("query", ["", "?cdn=active&is_test=false&page_size=50"])
def test_a_laptop_screen_shows_ten_rows_without_scrolling(page, manager, query):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, manager.username)
    page.goto(f"/clients/{query}")
    expect(page.locator("#client-results tbody tr").first).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    assert rows_in_view(page, 768) >= 10
    # Every filter is still there: the common ones in view, the advanced ones one click away.
    expect(page.get_by_label("CDN", exact=True)).to_be_in_viewport()
    page.get_by_text("Advanced filters").click()
    expect(page.get_by_label("Traffic from (GB)")).to_be_visible()


def test_a_phone_gets_the_whole_list_without_sideways_scrolling(page, manager):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, manager.username)
    page.goto("/clients/")
    expect(page.locator("#client-results tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    controls = (
        page.get_by_label("Quick search"),
        page.get_by_label("Sort by"),
        page.get_by_label("CDN", exact=True),
    )
    for control in controls:
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    # The table scrolls inside its own box; the page does not.
    table_box = page.locator("#client-results .table-wrap")
    assert table_box.evaluate("box => box.scrollWidth > box.clientWidth")
    page.get_by_text("Advanced filters").click()
    page.get_by_label("Traffic from (GB)").fill("2")
    expect(page).to_have_url(re.compile(r"min_traffic=2"))
    expect(page.locator("#client-results .chips")).to_contain_text("Traffic from (GB): 2")


def remembered(page, state: str) -> None:
    """Wait until app.js has written the advanced filters' state to its cookie."""
    page.wait_for_function(f"document.cookie.split('; ').includes('advanced_filters={state}')")


def test_the_advanced_filters_stay_open_or_closed_as_left(page, manager):
    log_in(page, manager.username)
    page.goto("/clients/")
    advanced = page.locator("details.advanced")
    expect(advanced).not_to_have_attribute("open", "")
    page.get_by_text("Advanced filters").click()
    remembered(page, "open")  # the toggle event comes after the click: reloading sooner would race it
    page.reload()
    expect(advanced).to_have_attribute("open", "")
    page.get_by_label("CDN", exact=True).select_option("active")  # the results swap; the form stays
    page.get_by_role("link", name="Clear all").first.click()  # the whole filter form swaps
    expect(page.locator("details.advanced")).to_have_attribute("open", "")
    page.get_by_text("Advanced filters").click()
    remembered(page, "closed")
    page.reload()
    expect(advanced).not_to_have_attribute("open", "")
