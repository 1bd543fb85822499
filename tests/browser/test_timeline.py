"""A client's timeline in the browser: a change a customer made through Gcore's API, found as made
outside the dashboard."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.helpers import client_with_service, first_live_client, log_in

pytestmark = pytest.mark.browser


def as_customer(sandbox, method, path, body):
    """Call the sandbox's API with the customer's own API token, as their application would."""
    token = sandbox.token
    sandbox.token = None  # the sandbox then takes any key, as Gcore takes each customer's own
    try:
        response = sandbox.handle(
            method, path, "",
            headers={"Authorization": "APIKey 7005$customer-app", "Content-Type": "application/json"},
            body=json.dumps(body).encode(),
        )  # fmt: skip
    finally:
        sandbox.token = token
    assert response.status == 200, response.body


def test_a_customers_own_change_shows_on_the_timeline_as_outside_the_dashboard(page, support, sandbox):
    client_id, cdn = client_with_service(sandbox, "active")
    as_customer(
        sandbox,
        "PUT",
        f"/iam/clients/{client_id}/services/{cdn['id']}",
        {"status": "paused", "enabled": True},
    )
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/timeline/")
    expect(page.get_by_text("has not been read through yet")).to_be_visible()
    page.get_by_role("button", name="Refresh").click()  # Gcore's log indexed now

    expect(page.get_by_text("activity log as of")).to_be_visible()
    page.get_by_label("Made").select_option("outside")
    row = page.locator("#timeline-results tr", has_text="PUT service CDN: status paused")
    expect(row.first).to_be_visible()
    expect(row.first).to_contain_text("outside the dashboard")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?origin=outside")

    page.goto(f"/clients/{client_id}/")  # the client page's own section, loaded by itself
    expect(page.locator("#client-timeline")).to_contain_text("PUT service CDN: status paused")
    assert page.errors == []


def test_support_reverts_a_dashboard_edit_from_the_timeline(page, support, sandbox):
    client_id = first_live_client(sandbox)
    before = sandbox.client_json(client_id)["phone"]
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.get_by_role("button", name="Edit client").click()
    page.get_by_label("Phone").fill("+49 30 555 0177")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#alerts")).to_contain_text("Client saved: Phone.")

    page.goto(f"/clients/{client_id}/timeline/?source=dashboard")
    entry = page.locator("#timeline-results tr", has_text="Client edited: phone").first
    entry.get_by_role("button", name="Revert entry").click()  # a link styled as a button
    expect(page.get_by_text("Reverting entry")).to_be_visible()
    expect(page.get_by_label("Phone")).to_have_value(before or "")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator("main")).to_contain_text("Client saved: Phone.")
    assert sandbox.client_json(client_id)["phone"] == before
    page.goto(f"/clients/{client_id}/timeline/?source=dashboard")
    expect(page.locator("#timeline-results")).to_contain_text("reverts entry")
    assert page.errors == []
