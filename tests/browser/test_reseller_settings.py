"""The reseller's own settings in Chromium: a new seller given a new client, a default product changed
and its override count followed, a logo uploaded and its acceptance shown, the colours' preview."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import assert_no_csp_violation, gcore_call, log_in

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256


def test_an_administrator_creates_a_seller_and_assigns_a_new_client_to_them(page, admin_user, sandbox):
    log_in(page, admin_user.username)
    page.goto("/clients/")
    page.get_by_role("link", name="Reseller settings").click()
    expect(page.get_by_role("heading", name="Sellers", level=1)).to_be_visible()
    page.get_by_role("button", name="New seller").click()
    page.get_by_label("Name").fill("Noor Haddad")
    page.get_by_label("Email").fill("noor.haddad@edge-reseller.example")
    page.get_by_label("Phone").fill("+971 4 555 0100")
    page.get_by_role("button", name="Create seller").click()

    results = page.locator("#seller-results")
    row = results.locator("tr", has_text="Noor Haddad")
    expect(row).to_contain_text("activation e-mail not yet followed")
    expect(row.get_by_role("link", name="0 clients of Noor Haddad")).to_be_visible()

    page.goto("/clients/new/")
    page.get_by_label("Email").fill("ops@sandstone-media.example")
    page.get_by_label("Company name").fill("Sandstone Media FZ-LLC")
    seller = page.get_by_label("Seller")
    choice = seller.locator("option", has_text="Noor Haddad").get_attribute("value")
    seller.select_option(value=choice)
    page.get_by_role("button", name="Create client").click()
    expect(page).to_have_url(re.compile(r"/clients/\d+/$"))
    client_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    seller_id = sandbox.client_json(client_id)["seller"]
    assert (
        seller_id
        and gcore_call(sandbox, "GET", f"/iam/admin/sellers/{seller_id}")[1]["full_name"] == "Noor Haddad"
    )

    page.goto("/sellers/?q=noor")
    link = page.get_by_role("link", name="1 client of Noor Haddad")
    link.click()
    expect(page.locator("#client-results")).to_contain_text("Sandstone Media FZ-LLC")
    assert page.errors == []


def _hidden_defaults(sandbox) -> list[str]:
    _, body = gcore_call(sandbox, "GET", "/iam/products/availability/defaults")
    return [item["product_name"] for item in body if not item["available"]]


def _overrides(sandbox, product: str) -> int:
    return sandbox.matching_count(personal_product_availability=product, deleted=False)


def _count_link(page, product: str, count: int):
    return page.get_by_role(
        "link", name=f"{count} client{'s' if count != 1 else ''} with their own setting of {product}"
    )


def test_a_changed_default_and_the_override_count(page, admin_user, sandbox):
    product, other = _hidden_defaults(sandbox)[:2]
    log_in(page, admin_user.username)
    page.goto("/settings/products/")
    page.get_by_label(product, exact=True).check()
    page.get_by_role("button", name="Save default products").click()
    expect(page.locator("body")).to_contain_text(f"Default products saved: {product}")
    expect(page.get_by_label(product, exact=True)).to_be_checked()
    expect(_count_link(page, product, _overrides(sandbox, product))).to_be_visible()

    # A client shows another product for itself (on its own products page): one more override.
    before = _overrides(sandbox, other)
    _, listed = gcore_call(sandbox, "GET", f"/iam/clients?personal_product_availability={other}&limit=1000")
    overriding = {client["id"] for client in listed["results"]}
    client_id = next(
        cid
        for cid in sandbox.client_ids()
        if cid not in overriding and not sandbox.client_json(cid)["deleted"]
    )
    page.goto(f"/clients/{client_id}/availability/")
    page.get_by_label(other, exact=True).check()
    page.get_by_role("button", name="Save products").click()
    expect(page.locator("body")).to_contain_text(f"Products saved: {other}")
    assert _overrides(sandbox, other) == before + 1

    page.goto("/settings/products/")
    count = _count_link(page, other, before + 1)
    expect(count).to_be_visible()
    count.click()
    expect(page).to_have_url(re.compile(rf"personal_product_availability={other}"))
    assert page.errors == []


def test_an_uploaded_logo_is_acknowledged_and_the_colours_preview_follows_typing(
    watched, admin_user, sandbox, tmp_path
):
    page = watched
    logo = tmp_path / "edge-logo.png"
    logo.write_bytes(PNG)
    log_in(page, admin_user.username)
    page.goto("/settings/branding/")
    expect(page.locator("#branding-assets")).to_contain_text("Gcore does not say where the current logo")

    header = page.locator('#portal-preview [data-part="header"]')
    expect(header).to_have_attribute("fill", "#0b3d91")
    page.get_by_label("Header colour").fill("#123456")
    expect(header).to_have_attribute("fill", "#123456")
    page.get_by_label("Brand name").fill("Edge Cloud")
    expect(page.locator('#portal-preview [data-part="brand"]')).to_have_text("Edge Cloud")

    page.get_by_label("Logo").set_input_files(str(logo))
    page.get_by_role("button", name="Upload").click()
    # The typed, unsaved changes stay on the page beside the acknowledgement.
    expect(page.locator("#branding")).to_contain_text("Gcore accepted the logo edge-logo.png")
    expect(page.locator("#branding-assets")).to_contain_text("Gcore accepted edge-logo.png (image/png, 1 KB)")
    expect(page.get_by_label("Header colour")).to_have_value("#123456")
    expect(page.get_by_label("Brand name")).to_have_value("Edge Cloud")
    assert sandbox.branding_asset("logo") == ("edge-logo.png", "image/png", PNG)

    page.get_by_role("button", name="Save branding").click()
    expect(page.locator("body")).to_contain_text("Branding saved")
    assert (
        gcore_call(sandbox, "GET", "/iam/reselling/settings")[1]["publicSettings"]["colors"]["header"]
        == "#123456"
    )
    expect(page.locator("#branding-assets")).to_contain_text("Gcore accepted edge-logo.png")
    assert_no_csp_violation(page)
    assert page.errors == []
