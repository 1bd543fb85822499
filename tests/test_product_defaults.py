"""The reseller's default products through the dashboard against the sandbox: the override counts,
changing a default (one PATCH per product, conflicts, Gcore's refusal), and resetting every client."""

from __future__ import annotations

import html
import re

import pytest

from dashboard.models import AuditEntry
from tests.helpers import FormValues, gcore_call, logged_in, writes

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return html.unescape(response.content.decode())


def words(response) -> str:
    """The page's text as read, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", "", page(response)).split())


def defaults(sandbox) -> dict[str, bool]:
    _, body = gcore_call(sandbox, "GET", "/iam/products/availability/defaults")
    return {item["product_name"]: item["available"] for item in body}


def form_values(http) -> dict[str, str]:
    parser = FormValues("original")
    parser.feed(http.get("/settings/products/").content.decode())
    return parser.values


def test_each_product_shows_its_default_and_how_many_clients_override_it(admin_client_, sandbox):
    response = admin_client_.get("/settings/products/")
    assert response.status_code == 200
    text = page(response)
    for product in defaults(sandbox):
        count = sandbox.matching_count(personal_product_availability=product, deleted=False)
        if count:
            assert f'href="/clients/?personal_product_availability={product}"' in text
            assert (
                f'aria-label="{count} client{"s" if count != 1 else ""} with their own setting of {product}"'
                in text
            )
    cdn = FormValues("CDN")
    cdn.feed(response.content.decode())
    assert ("CDN" in cdn.values) == defaults(sandbox)["CDN"]


def test_changing_a_default_sends_one_patch_and_is_audited(admin_client_, sandbox, wire):
    data = form_values(admin_client_)
    product = next(p for p, available in defaults(sandbox).items() if not available)
    data[product] = "on"
    response = admin_client_.post("/settings/products/", data)
    assert response.status_code == 302
    assert writes(wire) == [
        ("PATCH", "/iam/products/availability/defaults", {"product_name": product, "available": True})
    ]
    assert defaults(sandbox)[product] is True
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DEFAULTS_UPDATE)
    assert entry.outcome == "saved" and entry.changes == [{"field": product, "old": "hidden", "new": "shown"}]


def test_nothing_changed_sends_nothing(admin_client_, wire):
    response = admin_client_.post("/settings/products/", form_values(admin_client_))
    assert response.status_code == 302 and writes(wire) == []


def test_the_same_change_made_in_gcore_meanwhile_sends_nothing_and_others_are_kept(
    admin_client_, sandbox, wire
):
    data = form_values(admin_client_)
    hidden = [p for p, available in defaults(sandbox).items() if not available]
    product, other = hidden[0], hidden[1]
    set_default = {"product_name": product, "available": True}
    gcore_call(sandbox, "PATCH", "/iam/products/availability/defaults", set_default)
    wire.clear()
    # A default is a yes or no: changed both here and in Gcore, it can only be the same change.
    response = admin_client_.post("/settings/products/", data | {product: "on", other: "on"})
    assert response.status_code == 302
    assert writes(wire) == [
        ("PATCH", "/iam/products/availability/defaults", {"product_name": other, "available": True})
    ]


def test_gcores_refusal_to_hide_a_product_in_use_is_said(admin_client_, sandbox, wire):
    data = form_values(admin_client_)
    refused = None
    for product, available in defaults(sandbox).items():
        if available:
            status, _ = gcore_call(
                sandbox,
                "PATCH",
                "/iam/products/availability/defaults",
                {"product_name": product, "available": False},
            )
            if status == 403:
                refused = product
                break
            gcore_call(
                sandbox,
                "PATCH",
                "/iam/products/availability/defaults",
                {"product_name": product, "available": True},
            )
    assert refused is not None
    data.pop(refused)
    response = admin_client_.post("/settings/products/", data)
    assert response.status_code == 422
    assert "Gcore refused" in page(response)
    assert AuditEntry.objects.get(action=AuditEntry.Action.DEFAULTS_UPDATE).outcome == "upstream_error"


def test_a_doctored_post_sends_nothing(admin_client_, wire):
    response = admin_client_.post("/settings/products/", {"original": "[1, 2]", "CDN": "on"})
    assert response.status_code in (400, 422)
    assert writes(wire) == []


def test_the_reset_names_how_many_clients_lose_their_own_settings(admin_client_, sandbox):
    count = sandbox.matching_count(personal_product_availability=",".join(defaults(sandbox)), deleted=False)
    assert count > 0
    text = words(admin_client_.get("/settings/products/"))
    assert f"{count} clients have their own setting of at least one product" in text
    assert "Their own settings are lost" in text


def test_the_reset_needs_a_reason_and_the_tick(admin_client_, wire):
    response = admin_client_.post("/settings/products/reset/", {"reason": "new price list"})
    assert response.status_code == 422
    assert writes(wire) == [] and "new price list" in page(response)
    assert AuditEntry.objects.get(action=AuditEntry.Action.DEFAULTS_RESET).outcome == "rejected"


def test_the_reset_asks_for_a_fresh_confirmation(admin_user, wire):
    stale = logged_in(admin_user, confirmed=False)
    response = stale.post("/settings/products/reset/", {"reason": "x", "confirm": "on"})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert writes(wire) == []


def test_the_reset_sends_one_delete_naming_every_product_and_is_audited_with_the_count(
    admin_client_, sandbox, wire
):
    products = list(defaults(sandbox))
    for product in products:  # every product shown by default: no client loses one in use
        body = {"product_name": product, "available": True}
        gcore_call(sandbox, "PATCH", "/iam/products/availability/defaults", body)
    count = sandbox.matching_count(personal_product_availability=",".join(products), deleted=False)
    data = {"reason": "new price list", "confirm": "on"}
    response = admin_client_.post("/settings/products/reset/", data)
    assert response.status_code == 302
    [(method, path, body)] = writes(wire)
    assert (method, path, sorted(body["product_names"])) == (
        "DELETE",
        "/iam/products/availability/clients",
        sorted(products),
    )
    assert sandbox.matching_count(personal_product_availability=",".join(products)) == 0
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DEFAULTS_RESET)
    assert entry.outcome == "saved" and entry.details["clients"] == count
    assert entry.details["reason"] == "new price list"
    assert "No client has its own setting" in words(admin_client_.get(response["Location"]))


@pytest.mark.parametrize("status", [400, 403])  # Gcore's refusal: of the request, or of the person
def test_a_refused_reset_is_said_audited_and_sent_once(admin_client_, sandbox, wire, status):
    sandbox.add_fault("status", method="DELETE", path="/iam/products/availability/clients", status=status)
    data = {"reason": "new price list", "confirm": "on"}
    response = admin_client_.post("/settings/products/reset/", data)
    assert response.status_code == 422 and "Gcore refused" in page(response)
    assert "new price list" in page(response)
    assert len(writes(wire)) == 1
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DEFAULTS_RESET)
    assert entry.upstream_status == status
    assert entry.outcome == ("rejected" if status == 400 else "upstream_error")


def test_a_reset_whose_answer_never_came_is_not_sent_again(admin_client_, sandbox, wire):
    sandbox.add_fault("timeout", method="DELETE", path="/iam/products/availability/clients")
    data = {"reason": "new price list", "confirm": "on"}
    response = admin_client_.post("/settings/products/reset/", data)
    assert "may or may not have been applied" in page(response)
    assert len(writes(wire)) == 1


def test_only_administrators(support_client, manager_client):
    for http in (support_client, manager_client):
        assert http.get("/settings/products/").status_code == 403
        assert http.post("/settings/products/reset/", {"reason": "x", "confirm": "on"}).status_code == 403
