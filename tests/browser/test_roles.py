"""Each role in a real Chromium: what it may see and do, what it may not, and no CSP violation
(the `watched` page of tests/browser/conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import assert_no_csp_violation, first_client_with_users, log_in

pytestmark = pytest.mark.browser


def visit(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    assert_no_csp_violation(page)


def nav(page):
    return page.locator("header.site-header nav")


def test_anonymous_sees_only_the_login_page(watched):
    visit(watched, "/clients/")
    expect(watched).to_have_url(re.compile(r"/accounts/login/\?next=/clients/"))
    expect(watched.get_by_role("button", name="Log in")).to_be_visible()
    expect(nav(watched).get_by_role("link", name="Clients")).to_have_count(0)


def test_a_manager_browses_but_cannot_edit(watched, manager, sandbox):
    page = watched
    client = first_client_with_users(sandbox)
    log_in(page, manager.username)
    expect(page).to_have_url(re.compile(r"/clients/$"))
    assert_no_csp_violation(page)
    expect(nav(page).get_by_role("link", name="Clients")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Staff accounts")).to_have_count(0)
    for path in ("/", "/activity/", "/views/"):  # overview, audit log, saved views
        visit(page, path)

    visit(page, f"/clients/{client['id']}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(client["companyName"])[:10])
    expect(page.get_by_role("button", name="Edit client")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)

    # An htmx request the page never offers is refused by the server; the message lands in #alerts.
    page.evaluate("(url) => htmx.ajax('GET', url, '#client-summary')", f"/clients/{client['id']}/edit/")
    expect(page.locator("#alerts")).to_contain_text("Your role does not allow this")
    expect(page.locator("#client-summary")).to_be_visible()  # the page stays as it was
    assert_no_csp_violation(page)

    # Typing the address gives the plain refusal page.
    response = page.goto(f"/clients/{client['id']}/edit/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert_no_csp_violation(page)

    # The admin is for administrators: its login form is never offered to someone signed in.
    response = page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert_no_csp_violation(page)


def test_a_support_agent_edits_clients_and_users_but_not_staff_accounts(watched, support, sandbox):
    page = watched
    client = first_client_with_users(sandbox)
    log_in(page, support.username)
    visit(page, f"/clients/{client['id']}/")
    expect(nav(page).get_by_role("link", name="Staff accounts")).to_have_count(0)

    page.get_by_role("button", name="Edit client").click()
    expect(page.get_by_label("Company name")).to_have_value(client["companyName"])
    assert_no_csp_violation(page)

    visit(page, f"/clients/{client['id']}/")
    page.get_by_role("link", name=re.compile(r"^Edit")).first.click()
    expect(page.locator("#user-editor form")).to_be_visible()
    assert_no_csp_violation(page)

    assert page.goto("/admin/auth/user/").status == 403
    expect(page).to_have_url(re.compile(r"/admin/login/"))


def test_a_superuser_reaches_the_admin_and_its_lockouts(watched, admin_user, sandbox):
    page = watched
    log_in(page, admin_user.username)
    expect(page).to_have_url(re.compile(r"/clients/$"))
    assert_no_csp_violation(page)
    visit(page, f"/clients/{first_client_with_users(sandbox)['id']}/")
    expect(page.get_by_role("button", name="Edit client")).to_be_visible()

    nav(page).get_by_role("link", name="Staff accounts").click()
    expect(page.get_by_role("heading", name=re.compile("administration"))).to_be_visible()
    assert_no_csp_violation(page)
    for path in (
        "/admin/auth/user/",
        f"/admin/auth/user/{admin_user.pk}/change/",
        "/admin/axes/accessattempt/",
    ):
        visit(page, path)


def test_the_login_page_locks_after_five_failures(watched, manager):
    page = watched
    for _ in range(5):
        log_in(page, manager.username, "wrong-password-123")
    expect(page.locator("#lockout-message")).to_contain_text("locked for 15 minutes")
    log_in(page, manager.username)  # the right password, too late
    expect(page.locator("#lockout-message")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_no_csp_violation(page)
