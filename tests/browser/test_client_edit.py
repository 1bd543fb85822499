"""A support agent changing a client inside the detail page, and a manager who may only look."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import first_live_client, log_in

pytestmark = pytest.mark.browser


def test_support_edits_a_company_name_inline(page, support, sandbox):
    client_id = first_live_client(sandbox)
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    page.get_by_role("button", name="Edit client").click()
    page.get_by_label("Company name").fill("Nordlicht Hosting & Co")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Nordlicht Hosting & Co")
    expect(page.locator("#client-crumb")).to_have_text("Nordlicht Hosting & Co")  # the breadcrumb follows
    expect(page.locator("#alerts")).to_contain_text("Client saved: Company name.")
    history = page.locator("#client-history")
    expect(history).to_contain_text("Nordlicht Hosting & Co")
    expect(history).to_contain_text(support.username)
    expect(history).to_contain_text("Saved")
    assert page.evaluate("window.__samePage") is True
    assert sandbox.client_json(client_id)["companyName"] == "Nordlicht Hosting & Co"
    assert page.errors == []


def test_an_invalid_email_shows_a_field_error_and_keeps_the_typing(page, support, sandbox):
    client_id = first_live_client(sandbox)
    before = sandbox.client_json(client_id)
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.get_by_role("button", name="Edit client").click()
    page.get_by_label("Company name").fill("Typed Company")
    page.get_by_label("Contact name").fill("Typed Contact")
    page.get_by_label("Email").fill("no-at-sign")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator("#client-edit")).to_contain_text("Enter a valid email address.")
    expect(page.get_by_label("Company name")).to_have_value("Typed Company")
    expect(page.get_by_label("Contact name")).to_have_value("Typed Contact")
    expect(page.get_by_label("Email")).to_have_value("no-at-sign")
    assert sandbox.client_json(client_id)["companyName"] == before["companyName"]


def test_support_edits_a_user_role(page, support, sandbox):
    client_id, user = next(
        (i, c["users"][0])
        for i in sandbox.client_ids()
        if not (c := sandbox.client_json(i))["deleted"] and c["users"]
    )
    new_role = "Engineers" if user["groups"][0]["name"] != "Engineers" else "Users"
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.get_by_role("link", name=f"Edit user {user['email']}").click()
    page.get_by_label("Role").select_option(label=new_role)
    page.get_by_role("button", name="Save user").click()
    expect(page.locator("#alerts")).to_contain_text("User saved: Role.")
    expect(page.locator(f"#user-{user['id']}")).to_contain_text(new_role)
    expect(page.locator("#client-history")).to_contain_text(new_role)


def test_a_manager_sees_no_edit_action(page, manager, sandbox):
    client_id = first_live_client(sandbox)
    log_in(page, manager.username)
    page.goto(f"/clients/{client_id}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Edit client")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.locator("#client-users")).to_be_visible()
