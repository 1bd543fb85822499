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


def _hidden_default(sandbox) -> str:
    _, body = gcore_call(sandbox, "GET", "/iam/products/availability/defaults")
    return next(item["product_name"] for item in body if not item["available"])


def _live_client(sandbox) -> int:
    return next(cid for cid in sandbox.client_ids() if not sandbox.client_json(cid)["deleted"])


def test_a_changed_default_and_the_override_count(page, admin_user, sandbox):
    product = _hidden_default(sandbox)
    before = sandbox.matching_count(personal_product_availability=product, deleted=False)
    log_in(page, admin_user.username)
    page.goto("/settings/products/")
    page.get_by_label(product, exact=True).check()
    page.get_by_role("button", name="Save default products").click()
    expect(page.locator("body")).to_contain_text(f"Default products saved: {product}")
    expect(page.get_by_label(product, exact=True)).to_be_checked()

    # A client hides the product for itself: it now overrides the default, and the count shows it.
    client_id = next(
        cid
        for cid in sandbox.client_ids()
        if not sandbox.client_json(cid)["deleted"]
        and product not in (sandbox.client_json(cid).get("personal_product_availability") or [])
    )
    gcore_call(
        sandbox,
        "PATCH",
        f"/iam/products/availability/clients/{client_id}",
        {"product_name": product, "available": False},
    )
    after = sandbox.matching_count(personal_product_availability=product, deleted=False)
    assert after == before + 1
    page.goto("/settings/products/")
    count = page.get_by_role(
        "link", name=f"{after} client{'s' if after != 1 else ''} with their own setting of {product}"
    )
    expect(count).to_be_visible()
    count.click()
    expect(page).to_have_url(re.compile(rf"personal_product_availability={product}"))
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
