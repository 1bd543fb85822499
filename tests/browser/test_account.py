"""Running a client's account in Chromium: creating a client, pausing a service with a reason, and a
change across two pages of results with one failure in the middle."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from tests.helpers import client_with_service, gcore_call, log_in, services_of

pytestmark = pytest.mark.browser


def test_support_creates_a_client_and_hands_over_the_password(page, support, sandbox):
    log_in(page, support.username)
    page.goto("/clients/")
    page.get_by_role("button", name="New client").click()
    expect(page.get_by_role("heading", name="New client")).to_be_visible()
    page.get_by_label("Email").fill("no-at-sign")
    page.get_by_label("Company name").fill("Brightwave Media GmbH")
    page.get_by_label("Contact name").fill("Jonas Weber")
    page.get_by_label("Country").fill("DE")
    page.get_by_role("button", name="Create client").click()
    # The dashboard's own check first: the error on its field, everything typed kept.
    expect(page.locator("#client-create")).to_contain_text("Enter a valid email address.")
    expect(page.get_by_label("Company name")).to_have_value("Brightwave Media GmbH")
    page.get_by_label("Email").fill("jonas.weber@brightwave.example")
    page.get_by_role("button", name="Create client").click()

    created = page.locator(".created")
    expect(created).to_contain_text("created")
    password = page.locator("#new-password").inner_text()
    assert len(password) == 20
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brightwave Media GmbH")
    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))  # the address is the client's page
    client_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert sandbox.client_json(client_id)["users"][0]["email"] == "jonas.weber@brightwave.example"
    page.reload()  # a reload shows the client's page, not the form posted again, and no password
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brightwave Media GmbH")
    expect(page.locator(".created")).to_have_count(0)
    assert password not in page.content()
    expect(page.locator("#client-history")).to_contain_text("Client created")
    assert page.errors == []


def test_support_pauses_a_service_with_a_reason(page, support, sandbox):
    client_id, service = client_with_service(sandbox, "active")
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.evaluate("window.__samePage = true")
    page.get_by_role("link", name="Change the CDN service").click()
    editor = page.locator("#service-editor")
    editor.get_by_label("Status").select_option("paused")
    editor.get_by_label("Reason").fill("Invoice 2026-118 unpaid for 60 days")
    editor.get_by_role("button", name="Change service").click()
    # Asked to confirm, in plain words; what was typed is kept.
    expect(editor).to_contain_text("all of its CDN resources stop working")
    expect(editor.get_by_label("Reason")).to_have_value("Invoice 2026-118 unpaid for 60 days")
    assert services_of(sandbox, client_id)["CDN"]["status"] == "active"
    editor.get_by_role("checkbox", name=re.compile("I understand")).check()
    editor.get_by_role("button", name="Change service").click()

    expect(page.locator("#alerts")).to_contain_text("CDN service saved: Status.")
    row = page.locator(f"#service-{service['id']}")
    expect(row).to_contain_text("paused")
    expect(row).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))  # the deletion date Gcore now shows
    expect(page.locator("#client-history")).to_contain_text("Invoice 2026-118 unpaid for 60 days")
    assert page.evaluate("window.__samePage") is True
    assert services_of(sandbox, client_id)["CDN"]["status"] == "paused"
    assert page.errors == []


def _two_pages_of_active_cdn(sandbox) -> tuple[str, int]:
    """A list query whose clients (CDN active) fill two pages of ten."""
    for country in ("DE", "FR", "NL", "GB", "US", "ES", "IT", "PL", "SE", "CH", "AT", "BR", "IN", "JP"):
        count = sandbox.matching_count(cdn="active", country_code=country, deleted="false")
        if 11 <= count <= 20:
            return f"cdn=active&country_code={country}&page_size=10", count
    raise AssertionError("no country has 11 to 20 clients with CDN active")


def test_a_bulk_pause_across_two_pages_with_one_failure_in_the_middle(page, admin_user, sandbox):
    query, count = _two_pages_of_active_cdn(sandbox)
    listed = query.replace("page_size=10", "limit=100&deleted=false")  # the list hides deleted clients
    _, matching = gcore_call(sandbox, "GET", f"/iam/clients?{listed}")
    ids = [client["id"] for client in matching["results"]]
    failing = ids[len(ids) // 2]
    failing_service = services_of(sandbox, failing)["CDN"]["id"]
    path = f"/iam/clients/{failing}/services/{failing_service}"
    sandbox.add_fault("status", status=400, method="PUT", path=path)

    log_in(page, admin_user.username)
    page.goto(f"/clients/?{query}")
    expect(page.locator(".summary")).to_contain_text(f"of {count} clients")
    bar = page.locator("#bulk-form")
    bar.get_by_label("Service").select_option("CDN")
    bar.get_by_label("New status").select_option("paused")
    bar.get_by_role("button", name=f"Preview for all {count} matching").click()

    expect(page.locator(".preview-counts")).to_contain_text(
        f"{count} clients will be read and changed if needed"
    )
    page.get_by_label("Reason").fill("Reseller contract ended")
    page.get_by_role("checkbox", name=re.compile("I understand")).check()
    with override_settings(BULK_CONCURRENCY=2):
        page.get_by_role("button", name="Start the change").click()
        progress = page.locator("#bulk-progress")
        expect(progress).to_contain_text("Result: finished", timeout=20_000)
    expect(progress).to_contain_text(f"{count - 1} changed")
    expect(progress).to_contain_text("1 failed")
    failed = page.locator(f"#bulk-item-{failing}")
    expect(failed).to_contain_text("Failed")
    expect(failed).to_contain_text("Bad Request")
    for client_id in ids:
        status = services_of(sandbox, client_id)["CDN"]["status"]
        assert status == ("active" if client_id == failing else "paused")

    # Retried only when asked, once the cause is gone.
    sandbox.clear_faults()
    failed.get_by_role("button", name=re.compile("Retry")).click()
    expect(page.locator("#alerts")).to_contain_text("again: changed")
    expect(page.locator(f"#bulk-item-{failing}")).to_contain_text("Changed")
    assert services_of(sandbox, failing)["CDN"]["status"] == "paused"
    page.goto("/activity/?action=bulk.service")
    expect(page.locator("table.audit")).to_contain_text("CDN to paused, finished")
    assert page.errors == []
