"""A support agent finds a client whose SPP record has drifted and syncs it, in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import linkable_client, log_in

pytestmark = pytest.mark.browser


def test_support_syncs_a_drifted_phone_from_gcore_to_spp(page, support, sandbox, spp_sandbox):
    client, spp_id = linkable_client(sandbox, spp_sandbox, differing="phone")
    log_in(page, support.username)
    page.goto(f"/clients/{client['id']}/")
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    panel = page.locator("#billing-panel")
    # The panel arrives after the Gcore part, links by email, and marks the phone.
    expect(panel).to_contain_text(f"SPP client {spp_id} · Matched by email")
    phone_row = panel.locator("tr.differs", has_text="Phone")
    expect(phone_row).to_contain_text("differs")

    panel.get_by_role("button", name="Sync with Gcore").click()
    sync = page.locator("#billing-sync")
    expect(sync).to_contain_text(f"SPP client {spp_id}")
    sync.get_by_role("group", name="Phone").get_by_label("Gcore → SPP").check()
    sync.get_by_role("button", name="Copy the chosen values").click()

    expect(page.locator("#alerts")).to_contain_text("Synced: Gcore and SPP now hold the same values.")
    panel = page.locator("#billing-panel")
    expect(panel.locator("tr", has_text="Phone")).not_to_have_class("differs")
    expect(page.locator("#client-history")).to_contain_text("Gcore and SPP synced")
    assert spp_sandbox.client_json(spp_id)["phone"] == client["phone"]
    assert page.evaluate("window.__samePage") is True
    assert page.errors == []
