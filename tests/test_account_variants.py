"""A client's account (services, products, features, creating a client, a bulk change) against answers
the spec allows but the sandbox does not give: each test replaces, at the edge only (the sandbox's
transport), the one answer under test, and shows what staff see and what reaches Gcore.

The dashboard must work unchanged against an independent implementation of Gcore's API; where the
spec (or docs/gcore-api-notes.md §2, §10) leaves room for more than one answer, it reads both.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings

from dashboard.models import AuditEntry, BulkChange
from tests.helpers import (
    at_the_edge,
    client_with_service,
    edit_url,
    finished,
    first_live_client,
    gcore_call,
    new_client,
    page_payload,
    reply,
    services_of,
    text,
)

pytestmark = pytest.mark.django_db

# -- services --------------------------------------------------------------------------------------


def service_row(body: str, service_id: int) -> list[str]:
    """The cells of a service's row on the client page, after its name."""
    row = re.search(rf'<tr id="service-{service_id}">(.*?)</tr>', body, re.S)
    assert row, f"no row for service {service_id}"
    return [cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


@pytest.mark.parametrize("key", ["results", "result"])
def test_services_listed_as_a_page_are_shown_and_their_form_opens(support_client, sandbox, monkeypatch, key):
    client_id = first_live_client(sandbox)
    services = services_of(sandbox, client_id)
    path = f"/iam/clients/{client_id}/services"

    def paged(request, real):
        response = real()
        if request.method == "GET" and request.url.path == path:
            return reply(request, 200, page_payload(response.json(), key=key))
        return response

    at_the_edge(monkeypatch, paged)
    response = support_client.get(f"/clients/{client_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "The services could not be read" not in body
    assert {s.name: s.status for s in response.context["services"]} == {
        name: item["status"] for name, item in services.items()
    }
    for item in services.values():
        assert edit_url(client_id, item["id"]) in body
    cdn = services["CDN"]
    form = support_client.get(edit_url(client_id, cdn["id"]))
    assert form.status_code == 200
    assert form.context["form"].initial["status"] == cdn["status"]


def test_a_service_without_its_optional_dates_shows_dashes_and_can_still_be_changed(
    support_client, sandbox, monkeypatch, wire
):
    client_id, paused = client_with_service(sandbox, "paused")
    assert paused["deleted_date"]  # the sandbox has one: the variant leaves it out
    prefix = f"/iam/clients/{client_id}/services"

    def bare(item: dict) -> dict:
        item = {k: v for k, v in item.items() if k != "deleted_date"}
        return item | {"start": None, "status_changed_at": None}

    def without_dates(request, real):
        response = real()
        if request.url.path.startswith(prefix) and response.status_code == 200:
            data = response.json()
            return reply(request, 200, [bare(i) for i in data] if isinstance(data, list) else bare(data))
        return response

    at_the_edge(monkeypatch, without_dates)
    page = support_client.get(f"/clients/{client_id}/")
    assert page.status_code == 200
    body = page.content.decode()
    cells = service_row(body, paused["id"])
    assert cells[2:5] == ["—", "—", "—"]  # changed, trial start, deletion scheduled
    assert paused["deleted_date"][:10] not in body
    form = support_client.get(edit_url(client_id, paused["id"]))
    assert form.status_code == 200 and "Gcore deletes its resources" not in form.content.decode()
    data = {"original": form.context["form"].initial["original"], "status": "paused"}
    if not paused["enabled"]:
        data["enabled"] = "on"
    response = support_client.post(edit_url(client_id, paused["id"]), data)
    assert response.status_code == 302
    puts = [call for call in wire if call[0] == "PUT"]
    assert puts == [
        ("PUT", f"{prefix}/{paused['id']}", {"status": "paused", "enabled": not paused["enabled"]})
    ]
    after = support_client.get(f"/clients/{client_id}/").context["services"]
    assert {s.name: s.enabled for s in after}["CDN"] is (not paused["enabled"])


def suspended_cdn(monkeypatch, sandbox, client_id: int, service_id: int, wire=None) -> None:
    """Gcore answers the client's CDN service with a status outside the spec's enum, `suspended`. A PUT
    of it is answered as such an implementation would: the service with what was sent."""
    prefix = f"/iam/clients/{client_id}/services"

    def suspend(item: dict) -> dict:
        return item | {"status": "suspended"} if item["id"] == service_id else item

    def answer(request, real):
        if request.method == "PUT" and request.url.path == f"{prefix}/{service_id}":
            _, item = gcore_call(sandbox, "GET", request.url.path)
            return reply(request, 200, suspend(item) | json.loads(request.content))
        response = real()
        if request.method == "GET" and request.url.path.startswith(prefix) and response.status_code == 200:
            data = response.json()
            return reply(
                request, 200, [suspend(i) for i in data] if isinstance(data, list) else suspend(data)
            )
        return response

    at_the_edge(monkeypatch, answer, wire)


def browser_choice(body: str, name: str) -> str:
    """What a browser submits for a <select>: its selected option, else its first."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select, f"no select {name}"
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', select.group(1))
    return next((value for value, attrs in options if "selected" in attrs), options[0][0])


def test_a_status_outside_the_spec_is_shown_as_it_comes_and_its_form_opens(
    support_client, sandbox, monkeypatch
):
    client_id, service = client_with_service(sandbox, "active")
    suspended_cdn(monkeypatch, sandbox, client_id, service["id"])
    page = support_client.get(f"/clients/{client_id}/")
    assert page.status_code == 200
    assert {s.name: s.status for s in page.context["services"]}["CDN"] == "suspended"
    assert '<span class="status status-suspended">suspended</span>' in service_row(
        page.content.decode(), service["id"]
    )
    response = support_client.get(edit_url(client_id, service["id"]))
    assert response.status_code == 200
    assert 'Now <span class="status status-suspended">suspended</span>' in response.content.decode()
    form = response.context["form"]
    assert form.initial["status"] == "suspended"
    assert "deleted" not in dict(form.fields["status"].choices)  # still only what a support agent may set


def test_toggling_enabled_on_a_status_outside_the_spec_keeps_that_status(
    support_client, sandbox, monkeypatch, wire
):
    client_id, service = client_with_service(sandbox, "active")
    suspended_cdn(monkeypatch, sandbox, client_id, service["id"], wire)
    response = support_client.get(edit_url(client_id, service["id"]))
    form = response.context["form"]
    data = {
        "original": form.initial["original"],
        "status": browser_choice(response.content.decode(), "status"),
    }
    if not service["enabled"]:
        data["enabled"] = "on"
    saved = support_client.post(edit_url(client_id, service["id"]), data)
    assert [call for call in wire if call[0] == "PUT"] == [
        (
            "PUT",
            f"/iam/clients/{client_id}/services/{service['id']}",
            {"status": "suspended", "enabled": not service["enabled"]},
        )
    ]
    assert saved.status_code == 302


# -- features -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "staff"), [("free", "support_client"), ("paid", "admin_client_")])
def test_a_feature_listed_without_its_activation_id_is_disabled_by_the_id_gcore_lists(
    request, sandbox, monkeypatch, wire, kind, staff
):
    http = request.getfixturevalue(staff)
    listed, id_key, path = f"{kind}Features", f"{kind}_feature_id", f"/iam/admin/{kind}_features"
    client_id = next(
        i
        for i in sandbox.client_ids()
        if not (c := sandbox.client_json(i))["deleted"] and any(c[listed].values())
    )
    feature = next(f for group in sandbox.client_json(client_id)[listed].values() for f in group)
    activation = feature[id_key]

    def without_activation_ids(request, real):
        response = real()
        if request.method == "GET" and request.url.path == f"/iam/clients/{client_id}":
            client = response.json()
            client[listed] = {
                service: [{k: v for k, v in f.items() if k != id_key} for f in group]
                for service, group in client[listed].items()
            }
            return reply(request, 200, client)
        return response

    at_the_edge(monkeypatch, without_activation_ids)
    page = http.get(f"/clients/{client_id}/features/")
    assert page.status_code == 200
    row = next(r for r in page.context[kind] if r.feature.id == feature["feature_id"])
    assert row.enabled and row.activation_id == activation
    assert f"Disable {row.feature.name}" in text(page)
    response = http.post(
        f"/clients/{client_id}/features/",
        {"feature": feature["feature_id"], "action": "disable"},
        follow=True,
    )
    assert response.status_code == 200 and f"{row.feature.name} disabled." in text(response)
    assert ("GET", path, None) in wire  # where the activation id was read
    assert [call for call in wire if call[0] == "DELETE"] == [("DELETE", f"{path}/{activation}", None)]
    _, activations = gcore_call(sandbox, "GET", path)
    assert activation not in {item["id"] for item in activations}
    entry = AuditEntry.objects.get(action=AuditEntry.Action.FEATURE_DISABLE)
    assert entry.outcome == "saved" and entry.client_id == client_id


# -- creating a client --------------------------------------------------------------------------------


def test_a_new_clients_id_sent_as_a_float_opens_that_clients_page(support_client, sandbox, monkeypatch):
    created: dict[str, int] = {}

    def client_as_float(request, real):
        response = real()
        if request.method == "POST" and request.url.path == "/iam/users" and response.status_code == 201:
            user = response.json()
            created["id"] = user["client"]
            return reply(request, 201, user | {"client": float(user["client"])})  # e.g. 201224.0
        return response

    at_the_edge(monkeypatch, client_as_float)
    response = support_client.post("/clients/new/", new_client(support_client))
    assert response.status_code == 201
    client_id = created["id"]
    assert isinstance(client_id, int)
    body = text(response)
    assert response.context["client"].id == client_id
    assert f"Client {client_id} created" in body and f'data-replace-url="/clients/{client_id}/"' in body
    assert f"{client_id}.0" not in body
    assert AuditEntry.objects.get(action=AuditEntry.Action.CLIENT_CREATE).client_id == client_id
    assert support_client.get(f"/clients/{client_id}/").status_code == 200


@pytest.mark.parametrize("status", [403, 404])
def test_sellers_gcore_will_not_list_are_asked_for_by_number(
    support_client, sandbox, monkeypatch, wire, status
):
    def no_sellers(request, real):
        if request.method == "GET" and request.url.path == "/iam/admin/sellers":
            return reply(request, status, {"message": "You do not have permission to perform this action."})
        return real()

    at_the_edge(monkeypatch, no_sellers)
    page = support_client.get("/clients/new/")
    assert page.status_code == 200
    seller = page.context["form"]["seller"]
    assert seller.label == "Seller ID"
    assert re.search(r'<input type="text" name="seller"[^>]*inputmode="numeric"', page.content.decode())
    refused = support_client.post("/clients/new/", new_client(support_client, seller="Mei Chen"))
    assert refused.status_code == 422 and refused.context["form"].errors["seller"]
    assert not [call for call in wire if call[0] == "POST"]
    response = support_client.post("/clients/new/", new_client(support_client, seller="53"))
    assert response.status_code == 201
    body = next(call[2] for call in wire if call[0] == "POST")
    assert body["seller"] == 53
    assert sandbox.client_json(response.context["client"].id)["seller"] == 53


def test_sellers_listed_as_a_page_are_offered_by_name(support_client, sandbox, monkeypatch, wire):
    _, sellers = gcore_call(sandbox, "GET", "/iam/admin/sellers")

    def paged(request, real):
        response = real()
        if request.method == "GET" and request.url.path == "/iam/admin/sellers":
            return reply(request, 200, page_payload(response.json()))
        return response

    at_the_edge(monkeypatch, paged)
    page = support_client.get("/clients/new/")
    choices = dict(page.context["form"].fields["seller"].choices)
    assert {key for key in choices if key != ""} == {s["id"] for s in sellers if not s["deleted"]}
    assert "Mei Chen (#53)" in text(page)
    response = support_client.post("/clients/new/", new_client(support_client, seller="53"))
    assert response.status_code == 201
    assert next(call[2] for call in wire if call[0] == "POST")["seller"] == 53


@pytest.mark.parametrize("status", [403, 500])
def test_without_the_default_products_every_product_is_sent_as_ticked(
    support_client, monkeypatch, wire, status
):
    def no_defaults(request, real):
        if request.method == "GET" and request.url.path == "/iam/products/availability/defaults":
            return reply(request, status, {"message": "Not now."})
        return real()

    at_the_edge(monkeypatch, no_defaults)
    page = support_client.get("/clients/new/")
    assert page.status_code == 200
    assert page.context["form"].initial["products"] == []
    body = page.content.decode()
    boxes = re.findall(r'<input type="checkbox" name="products"[^>]*>', body)
    assert len(boxes) == 6 and not [box for box in boxes if "checked" in box]
    assert "Gcore did not say which products are on by default" in text(page)
    response = support_client.post("/clients/new/", new_client(support_client, products=["CDN", "DNS"]))
    assert response.status_code == 201
    sent = next(call[2] for call in wire if call[0] == "POST")
    assert sorted(sent["services"], key=lambda s: s["product_name"]) == [
        {"product_name": name, "available": name in ("CDN", "DNS")}
        for name in ("CDN", "CLOUD", "DDOS", "DNS", "STORAGE", "STREAMING")
    ]


# -- product availability ----------------------------------------------------------------------------


def hideable(sandbox) -> tuple[int, str]:
    """A live client and a product it sees whose service is not in trial, activating or active."""
    for client_id in sandbox.client_ids():
        if sandbox.client_json(client_id)["deleted"]:
            continue
        _, items = gcore_call(sandbox, "GET", f"/iam/products/availability/clients/{client_id}")
        services = services_of(sandbox, client_id)
        for item in items:
            status = services.get(item["product_name"], {}).get("status")
            if item["available"] and status not in ("trial", "activating", "active"):
                return client_id, item["product_name"]
    raise AssertionError("no hideable product")


def hide(http, client_id: int, product: str, **kwargs):
    """Untick `product` on the availability form, leaving the rest as opened, and save."""
    form = http.get(f"/clients/{client_id}/availability/").context["form"]
    data = {"original": form.initial["original"]}
    data.update({name: "on" for name in form.products if form.initial[name] and name != product})
    return http.post(f"/clients/{client_id}/availability/", data, **kwargs)


@pytest.mark.parametrize("answer", ["a list", "an empty 200", "a 204"])
def test_a_product_change_answered_other_than_one_object_still_saves(
    support_client, sandbox, monkeypatch, wire, answer
):
    client_id, product = hideable(sandbox)
    path = f"/iam/products/availability/clients/{client_id}"

    def other_answer(request, real):
        response = real()
        if request.method == "PATCH" and request.url.path == path and response.status_code == 200:
            if answer == "a list":
                return reply(request, 200, gcore_call(sandbox, "GET", path)[1])
            return reply(request, 200 if answer == "an empty 200" else 204)
        return response

    at_the_edge(monkeypatch, other_answer)
    response = hide(support_client, client_id, product, follow=True)
    assert response.redirect_chain == [(f"/clients/{client_id}/availability/", 302)]
    assert f"Products saved: {product}." in text(response)
    assert {row.product: row.available for row in response.context["rows"]}[product] is False
    assert response.context["form"][product].value() is False
    assert [call for call in wire if call[0] == "PATCH"] == [
        ("PATCH", path, {"product_name": product, "available": False})
    ]
    assert AuditEntry.objects.get(action=AuditEntry.Action.AVAILABILITY_UPDATE).outcome == "saved"


def test_a_refusal_with_only_a_message_shows_gcores_message(support_client, sandbox, monkeypatch):
    client_id, product = hideable(sandbox)
    path = f"/iam/products/availability/clients/{client_id}"
    message = f"{product} cannot be hidden for this client right now."

    def refuse(request, real):
        if request.method == "PATCH" and request.url.path == path:
            return reply(request, 403, {"message": message})
        return real()

    at_the_edge(monkeypatch, refuse)
    response = hide(support_client, client_id, product)
    assert response.status_code == 422
    assert f"Gcore refused this change: {message}" in text(response)
    assert response.context["form"][product].value() is False  # the choice is kept on the form
    _, items = gcore_call(sandbox, "GET", path)
    assert {i["product_name"]: i["available"] for i in items}[product] is True
    entry = AuditEntry.objects.get(action=AuditEntry.Action.AVAILABILITY_UPDATE)
    assert entry.upstream_status == 403 and message in entry.message


def test_a_refusal_with_only_the_lists_names_the_services_that_hold_the_product(
    support_client, sandbox, monkeypatch
):
    client_id, product = hideable(sandbox)
    path = f"/iam/products/availability/clients/{client_id}"

    def refuse(request, real):
        if request.method == "PATCH" and request.url.path == path:
            return reply(request, 403, {"active": [product], "trial": []})
        return real()

    at_the_edge(monkeypatch, refuse)
    response = hide(support_client, client_id, product)
    assert response.status_code == 422
    body = text(response)
    assert f"{product} is active" in body and "pause or end those services first" in body


def test_the_products_page_opens_when_gcore_will_not_give_the_defaults(support_client, sandbox, monkeypatch):
    client_id = first_live_client(sandbox)
    _, mine = gcore_call(sandbox, "GET", f"/iam/products/availability/clients/{client_id}")

    def no_defaults(request, real):
        if request.method == "GET" and request.url.path == "/iam/products/availability/defaults":
            return reply(request, 403, {"message": "You do not have permission to perform this action."})
        return real()

    at_the_edge(monkeypatch, no_defaults)
    response = support_client.get(f"/clients/{client_id}/availability/")
    assert response.status_code == 200
    rows = {row.product: row for row in response.context["rows"]}
    assert {name: row.available for name, row in rows.items()} == {
        i["product_name"]: i["available"] for i in mine
    }
    assert all(row.default is None for row in rows.values())


# -- a bulk change ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_bulk_change_reads_services_listed_as_a_page(admin_client_, sandbox, monkeypatch, wire):
    live = [i for i in sandbox.client_ids() if not sandbox.client_json(i)["deleted"]]
    chosen = [i for i in live[:30] if services_of(sandbox, i)["CDN"]["status"] == "active"][:4]
    assert len(chosen) == 4

    def paged(request, real):
        response = real()
        if request.method == "GET" and re.fullmatch(r"/iam/clients/\d+/services", request.url.path):
            return reply(request, 200, page_payload(response.json()))
        return response

    at_the_edge(monkeypatch, paged)
    preview = admin_client_.post(
        "/clients/bulk/",
        {"action": "preview", "service": "CDN", "status": "paused", "scope": "ids", "client": chosen},
    )
    assert preview.status_code == 302
    bulk = BulkChange.objects.get(pk=int(preview["Location"].rsplit("=", 1)[1]))
    with override_settings(BULK_CONCURRENCY=2):
        started = admin_client_.post(
            "/clients/bulk/", {"action": "start", "batch": bulk.pk, "reason": "Unpaid", "confirm": "on"}
        )
        assert started.status_code == 302
        bulk = finished(bulk)
    assert bulk.state == "done"
    assert dict(bulk.items.values_list("client_id", "state")) == dict.fromkeys(chosen, "changed")
    assert all(services_of(sandbox, i)["CDN"]["status"] == "paused" for i in chosen)
    puts = sorted(path for method, path, _ in wire if method == "PUT")
    assert puts == sorted(f"/iam/clients/{i}/services/{services_of(sandbox, i)['CDN']['id']}" for i in chosen)
    page = text(admin_client_.get(f"/clients/bulk/?batch={bulk.pk}"))
    assert "could not be read" not in page
