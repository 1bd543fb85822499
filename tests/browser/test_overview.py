"""A manager reads the overview, follows a bar to the list, saves it as a shared view and downloads it."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = pytest.mark.browser


def test_overview_bar_to_list_to_shared_view_to_csv(page, chromium, live_server, manager, support, sandbox):
    log_in(page, manager.username)
    expect(page).to_have_url(re.compile(r"/clients/$"))
    page.get_by_role("link", name="Overview", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_text(re.compile(r"As of \d+ \w+ \d{4}"))).to_be_visible()

    # The bar for CDN "active" is a link named by its title; its number is on the page as text.
    bar = page.get_by_role("link", name=re.compile(r"^CDN, active: [\d,]+ clients$"))
    title = page.locator('svg a[href="/clients/?cdn=active"] title').text_content()
    count = int(re.search(r": ([\d,]+) clients", title).group(1).replace(",", ""))
    live = [c for c in (sandbox.client_json(i) for i in sandbox.client_ids()) if not c["deleted"]]
    assert count == sum(c["serviceStatuses"]["CDN"]["status"] == "active" for c in live) > 25
    bar.click()

    expect(page).to_have_url(re.compile(r"/clients/\?cdn=active$"))
    expect(page.get_by_label("CDN", exact=True)).to_have_value("active")
    expect(page.locator("#client-results .summary")).to_contain_text(f"of {count:,} clients")

    # Sort by company (htmx, the address changes): the sidebar's save form and export link follow.
    page.get_by_role("link", name="Company").click()
    expect(page).to_have_url(re.compile(r"cdn=active&ordering=companyName"))
    export_link = page.get_by_role("button", name="Download CSV")
    expect(export_link).to_have_attribute("href", "/clients/export.csv?cdn=active&ordering=companyName")

    page.get_by_label("Save these filters as").fill("CDN active by company")
    page.get_by_label("Share with the team").check()
    page.get_by_role("button", name="Save view").click()
    expect(page.locator("#alerts")).to_contain_text(
        "Saved the view “CDN active by company” for the whole team."
    )
    entry = page.locator("#saved-view-items li", has_text="CDN active by company")
    expect(entry.locator(".view-count")).to_have_text(f"{count:,}")
    expect(entry.get_by_role("link", name="CDN active by company")).to_have_attribute("aria-current", "true")
    expect(entry.locator(".badge-shared")).to_be_visible()

    with page.expect_download() as download_info:
        export_link.click()
    download = download_info.value
    assert re.fullmatch(r"gcore-clients-\d{8}-\d{6}\.csv", download.suggested_filename)
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == count  # every page, not the 25 on screen
    active = sorted(
        (c for c in live if c["serviceStatuses"]["CDN"]["status"] == "active"), key=lambda c: c["id"]
    )
    active.sort(key=lambda c: c["companyName"])
    assert [int(row["id"]) for row in rows] == [c["id"] for c in active]
    assert {row["CDN status"] for row in rows} == {"active"}
    assert page.errors == []

    # A colleague sees the shared view, with its live count, and opens it in one click.
    context = chromium.new_context(base_url=live_server.url)
    try:
        colleague = context.new_page()
        log_in(colleague, support.username)
        shared = colleague.locator("#saved-view-items li", has_text="CDN active by company")
        expect(shared.locator(".view-count")).to_have_text(f"{count:,}")
        expect(shared).to_contain_text("by mia.manager")
        shared.get_by_role("link", name="CDN active by company").click()
        expect(colleague).to_have_url(re.compile(r"/clients/\?cdn=active&ordering=companyName$"))
        expect(colleague.locator("#client-results .summary")).to_contain_text(f"of {count:,} clients")
    finally:
        context.close()
