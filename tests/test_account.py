"""A client's services, the products it sees and its features, through the dashboard against the
sandbox: what staff see, what reaches Gcore (only PUT for services, one product per PATCH), the audit."""

from __future__ import annotations

import pytest

from dashboard.models import AuditEntry
from tests.helpers import (
    client_with_service,
    edit_url,
    first_live_client,
    gcore_call,
    open_service_form,
    post_service,
    services_of,
)

pytestmark = pytest.mark.django_db


# -- the services on the client page ---------------------------------------------------------------


def test_the_client_page_shows_each_service_as_gcore_lists_it(manager_client, sandbox):
    client_id, _ = client_with_service(sandbox, "paused")
    services = services_of(sandbox, client_id)
    response = manager_client.get(f"/clients/{client_id}/")
    body = response.content.decode()
    for heading in ("Previous status", "Changed", "Trial start", "Deletion scheduled", "Enabled"):
        assert heading in body
    shown = {service.name: service for service in response.context["services"]}
    assert set(shown) == set(services)
    paused = services["CDN"]
    assert shown["CDN"].status == "paused" and shown["CDN"].previous_status == paused["previous_status"]
    assert paused["deleted_date"][:10] in body  # a paused service says when Gcore deletes it
    assert edit_url(client_id, paused["id"]) not in body  # a manager only looks: no Change link


def test_a_support_agent_gets_a_change_link_per_service(support_client, sandbox):
    client_id = first_live_client(sandbox)
    body = support_client.get(f"/clients/{client_id}/").content.decode()
    for service in services_of(sandbox, client_id).values():
        assert edit_url(client_id, service["id"]) in body


def test_the_services_section_refreshes_alone_through_htmx(manager_client, sandbox):
    client_id = first_live_client(sandbox)
    response = manager_client.get(
        f"/clients/{client_id}/", headers={"HX-Request": "true", "HX-Target": "client-services"}
    )
    assert response.content.decode().lstrip().startswith('<section id="client-services"')


def test_services_gcore_cannot_list_are_said_in_their_place(manager_client, sandbox):
    client_id = first_live_client(sandbox)
    sandbox.add_fault("status", status=500, path=f"/iam/clients/{client_id}/services")
    response = manager_client.get(f"/clients/{client_id}/")
    assert response.status_code == 200  # the rest of the client is still shown
    assert "The services could not be read" in response.content.decode()


# -- changing a service -----------------------------------------------------------------------------


def test_pausing_asks_for_a_reason_and_a_confirmation_and_keeps_the_input(support_client, sandbox, wire):
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    response = post_service(support_client, client_id, service["id"], form, status="paused")
    assert response.status_code == 422
    body = response.content.decode()
    assert "Say why: this change stops the customer" in body
    assert "Tick to confirm what this change does." in body
    assert "all of its CDN resources stop working" in body  # the consequence, in plain words
    assert response.context["form"]["status"].value() == "paused"  # what was chosen is kept
    response = post_service(support_client, client_id, service["id"], form, status="paused", reason="Unpaid")
    assert response.status_code == 422 and response.context["form"]["reason"].value() == "Unpaid"
    assert not [call for call in wire if call[0] == "PUT"]  # nothing was sent meanwhile


def test_a_confirmed_pause_is_one_put_audited_with_its_reason(support_client, sandbox, wire):
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    response = post_service(
        support_client,
        client_id,
        service["id"],
        form,
        status="paused",
        reason="Invoice 42 unpaid",
        confirm="on",
    )
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client_id}/#client-services"
    writes = [call for call in wire if call[0] not in ("GET",)]
    path = f"/iam/clients/{client_id}/services/{service['id']}"
    assert writes == [("PUT", path, {"status": "paused"})]  # never the deprecated PATCH
    assert services_of(sandbox, client_id)["CDN"]["status"] == "paused"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SERVICE_UPDATE)
    assert entry.outcome == "saved" and entry.client_id == client_id
    assert entry.changes == [{"field": "CDN.status", "old": "active", "new": "paused"}]
    assert entry.details["reason"] == "Invoice 42 unpaid"
    page = support_client.get(f"/clients/{client_id}/").content.decode()
    assert "Invoice 42 unpaid" in page  # the history shows the reason


def test_the_list_shows_the_new_status_at_once(support_client, sandbox):
    client_id, service = client_with_service(sandbox, "active")
    before = support_client.get("/clients/?cdn=paused&page_size=100").context["listing"]
    assert client_id not in [client.id for client in before.clients]
    form = open_service_form(support_client, client_id, service["id"])
    post_service(support_client, client_id, service["id"], form, status="paused", reason="x", confirm="on")
    after = support_client.get("/clients/?cdn=paused&page_size=100").context["listing"]
    assert after.count == before.count + 1  # no stale cached page


def test_the_overview_counts_the_new_status_at_once(support_client, sandbox):
    def cdn_paused() -> int:
        overview = support_client.get("/").context["overview"]
        return next(t.count for g in overview.groups() for t in g.tallies if t.key == "cdn-paused")

    client_id, service = client_with_service(sandbox, "active")
    before = cdn_paused()  # now cached for OVERVIEW_CACHE_SECONDS
    form = open_service_form(support_client, client_id, service["id"])
    post_service(support_client, client_id, service["id"], form, status="paused", reason="x", confirm="on")
    assert cdn_paused() == before + 1


def test_a_status_that_does_not_stop_anything_needs_no_reason(support_client, sandbox, wire):
    client_id, service = client_with_service(sandbox, "paused")
    form = open_service_form(support_client, client_id, service["id"])
    response = post_service(support_client, client_id, service["id"], form, status="active")
    assert response.status_code == 302
    assert ("PUT", f"/iam/clients/{client_id}/services/{service['id']}", {"status": "active"}) in wire


def test_only_the_enabled_flag_sends_the_current_status_with_it(support_client, sandbox, wire):
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    response = post_service(support_client, client_id, service["id"], form, enabled=not service["enabled"])
    assert response.status_code == 302
    put = [call for call in wire if call[0] == "PUT"]
    assert put == [
        (
            "PUT",
            f"/iam/clients/{client_id}/services/{service['id']}",
            {"status": "active", "enabled": not service["enabled"]},
        )
    ]


def test_deleted_is_for_administrators_only(support_client, admin_client_, sandbox, wire):
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    assert "deleted" not in dict(form.fields["status"].choices)
    response = post_service(
        support_client, client_id, service["id"], form, status="deleted", reason="x", confirm="on"
    )
    assert response.status_code == 422
    assert not [call for call in wire if call[0] == "PUT"]
    admin_form = open_service_form(admin_client_, client_id, service["id"])
    assert "deleted" in dict(admin_form.fields["status"].choices)
    response = post_service(
        admin_client_, client_id, service["id"], admin_form, status="deleted", reason="Closed", confirm="on"
    )
    assert response.status_code == 302
    assert services_of(sandbox, client_id)["CDN"]["status"] == "deleted"


def test_a_status_changed_in_gcore_meanwhile_is_shown_and_nothing_is_sent(support_client, sandbox, wire):
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    gcore_call(sandbox, "PUT", f"/iam/clients/{client_id}/services/{service['id']}", {"status": "trial"})
    response = post_service(
        support_client, client_id, service["id"], form, status="paused", reason="x", confirm="on"
    )
    assert response.status_code == 422
    conflicts = response.context["conflicts"]
    assert [(c.label, c.original, c.current, c.mine) for c in conflicts] == [
        ("Status", "active", "trial", "paused")
    ]
    assert "Someone changed this record in Gcore" in response.content.decode()
    assert not [call for call in wire if call[0] == "PUT"]
    data = {
        "original": form.initial["original"],
        "status": "paused",
        "reason": "x",
        "confirm": "on",
        "overwrite": "1",
    }
    if form.initial["enabled"]:
        data["enabled"] = "on"
    assert support_client.post(edit_url(client_id, service["id"]), data).status_code == 302
    assert services_of(sandbox, client_id)["CDN"]["status"] == "paused"
    assert AuditEntry.objects.filter(outcome="conflict").count() == 1


def test_toggling_enabled_while_the_status_changed_in_gcore_is_a_conflict_too(support_client, sandbox, wire):
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    gcore_call(sandbox, "PUT", f"/iam/clients/{client_id}/services/{service['id']}", {"status": "paused"})
    response = post_service(support_client, client_id, service["id"], form, enabled=not service["enabled"])
    assert response.status_code == 422 and response.context["conflicts"][0].label == "Status"
    assert not [call for call in wire if call[0] == "PUT"]


def test_gcore_refusing_the_status_lands_on_the_field(support_client, sandbox, monkeypatch):
    """An implementation that refuses a transition with DRF's field errors (the spec's 400 body)."""
    import httpx

    from dashboard.sandbox import SandboxTransport

    original = SandboxTransport.handle_request

    def refusing(self, request):
        if request.method == "PUT":
            body = {"errors": {"status": ["Cannot change from active to trial."]}}
            return httpx.Response(400, json=body, request=request)
        return original(self, request)

    monkeypatch.setattr(SandboxTransport, "handle_request", refusing)
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    response = post_service(support_client, client_id, service["id"], form, status="trial")
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["status"] == ["Cannot change from active to trial."]
    assert form["status"].value() == "trial"  # what was chosen is kept
    assert AuditEntry.objects.get(action=AuditEntry.Action.SERVICE_UPDATE).outcome == "rejected"


def test_a_timeout_during_the_put_is_in_doubt_and_never_sent_again(support_client, sandbox, wire):
    client_id, service = client_with_service(sandbox, "active")
    form = open_service_form(support_client, client_id, service["id"])
    path = f"/iam/clients/{client_id}/services/{service['id']}"
    sandbox.add_fault("timeout", method="PUT", path=path, times=1)
    response = post_service(
        support_client, client_id, service["id"], form, status="paused", reason="x", confirm="on"
    )
    body = response.content.decode()
    assert "may or may not have been applied in Gcore" in body and "it was not sent again" in body
    assert [call for call in wire if call[0] == "PUT"] == [("PUT", path, {"status": "paused"})]
    assert "Read again just now, Gcore shows CDN as paused" in body  # re-read, not re-sent
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SERVICE_UPDATE)
    assert entry.outcome == "upstream_error" and "may or may not have been applied" in entry.message
    # The client page reads Gcore again (not a cached copy): the timed-out PUT did land here.
    page = support_client.get(f"/clients/{client_id}/")
    assert {s.name: s.status for s in page.context["services"]}["CDN"] == "paused"


def test_a_manager_cannot_open_the_service_form(manager_client, sandbox):
    client_id, service = client_with_service(sandbox, "active")
    assert manager_client.get(edit_url(client_id, service["id"])).status_code == 403


def test_a_service_of_another_client_is_a_404(support_client, sandbox):
    first = first_live_client(sandbox)
    other = next(i for i in sandbox.client_ids() if i != first)
    service_id = next(iter(services_of(sandbox, other).values()))["id"]
    assert support_client.get(edit_url(first, service_id)).status_code == 404


# -- product availability ----------------------------------------------------------------------------


def test_availability_shows_each_product_beside_the_default(manager_client, sandbox):
    client_id = first_live_client(sandbox)
    _, defaults = gcore_call(sandbox, "GET", "/iam/products/availability/defaults")
    _, mine = gcore_call(sandbox, "GET", f"/iam/products/availability/clients/{client_id}")
    response = manager_client.get(f"/clients/{client_id}/availability/")
    assert response.status_code == 200
    rows = {row.product: row for row in response.context["rows"]}
    assert {name: row.available for name, row in rows.items()} == {
        i["product_name"]: i["available"] for i in mine
    }
    assert {name: row.default for name, row in rows.items()} == {
        i["product_name"]: i["available"] for i in defaults
    }
    body = response.content.decode()
    assert "Making a product available does not activate it" in body
    assert "Save products" not in body  # managers look only
    assert manager_client.post(f"/clients/{client_id}/availability/", {}).status_code == 403


def _hideable(sandbox) -> tuple[int, str]:
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


def test_hiding_a_product_sends_one_patch_for_it(support_client, sandbox, wire):
    client_id, product = _hideable(sandbox)
    response = support_client.get(f"/clients/{client_id}/availability/")
    form = response.context["form"]
    data = {"original": form.initial["original"]}
    data.update({name: "on" for name in form.products if form.initial[name] and name != product})
    response = support_client.post(f"/clients/{client_id}/availability/", data)
    assert response.status_code == 302
    patches = [call for call in wire if call[0] == "PATCH"]
    assert patches == [
        (
            "PATCH",
            f"/iam/products/availability/clients/{client_id}",
            {"product_name": product, "available": False},
        )
    ]
    _, items = gcore_call(sandbox, "GET", f"/iam/products/availability/clients/{client_id}")
    assert {i["product_name"]: i["available"] for i in items}[product] is False
    entry = AuditEntry.objects.get(action=AuditEntry.Action.AVAILABILITY_UPDATE)
    assert entry.changes == [{"field": product, "old": "shown", "new": "hidden"}]


def test_a_product_gcore_will_not_hide_says_which_service_holds_it(support_client, sandbox, wire):
    client_id, _ = client_with_service(sandbox, "active")
    _, items = gcore_call(sandbox, "GET", f"/iam/products/availability/clients/{client_id}")
    if not {i["product_name"]: i["available"] for i in items}["CDN"]:
        gcore_call(
            sandbox,
            "PATCH",
            f"/iam/products/availability/clients/{client_id}",
            {"product_name": "CDN", "available": True},
        )
    form = support_client.get(f"/clients/{client_id}/availability/").context["form"]
    data = {"original": form.initial["original"]}
    data.update({name: "on" for name in form.products if form.initial[name] and name != "CDN"})
    response = support_client.post(f"/clients/{client_id}/availability/", data)
    assert response.status_code == 422
    body = response.content.decode()
    assert "CDN is active" in body and "pause or end those services first" in body
    assert response.context["form"]["CDN"].value() is False  # the choice is kept on the form


def test_reset_to_the_defaults_is_one_delete_naming_every_product(support_client, sandbox, wire):
    client_id, product = _hideable(sandbox)
    gcore_call(
        sandbox,
        "PATCH",
        f"/iam/products/availability/clients/{client_id}",
        {"product_name": product, "available": False},
    )
    response = support_client.post(f"/clients/{client_id}/availability/", {"action": "reset"})
    assert response.status_code == 302
    deletes = [call for call in wire if call[0] == "DELETE"]
    assert deletes == [
        (
            "DELETE",
            f"/iam/products/availability/clients/{client_id}",
            {"product_names": ["CDN", "CLOUD", "DDOS", "DNS", "STORAGE", "STREAMING"]},
        )
    ]
    _, defaults = gcore_call(sandbox, "GET", "/iam/products/availability/defaults")
    _, mine = gcore_call(sandbox, "GET", f"/iam/products/availability/clients/{client_id}")
    assert sorted(map(str, mine)) == sorted(map(str, defaults))


# -- features -----------------------------------------------------------------------------------------


def _client_without_free_feature(sandbox) -> tuple[int, dict]:
    _, catalogue = gcore_call(sandbox, "GET", "/iam/admin/feature")
    free = [f for f in catalogue if f["is_free"]]
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        have = {f["feature_id"] for group in client["freeFeatures"].values() for f in group}
        if not client["deleted"] and any(f["id"] not in have for f in free):
            return client_id, next(f for f in free if f["id"] not in have)
    raise AssertionError("no client lacks a free feature")


def test_features_lists_the_catalogue_and_what_the_client_has(manager_client, sandbox):
    client_id = first_live_client(sandbox)
    _, catalogue = gcore_call(sandbox, "GET", "/iam/admin/feature")
    response = manager_client.get(f"/clients/{client_id}/features/")
    free, paid = response.context["free"], response.context["paid"]
    assert {row.feature.id for row in free} | {row.feature.id for row in paid} == {f["id"] for f in catalogue}
    client = sandbox.client_json(client_id)
    have = {
        f["feature_id"]
        for group in [*client["freeFeatures"].values(), *client["paidFeatures"].values()]
        for f in group
    }
    assert {row.feature.id for row in [*free, *paid] if row.enabled} == have
    assert "Enable" not in response.content.decode().replace("Enable or disable", "")


def test_a_support_agent_enables_and_disables_a_free_feature(support_client, sandbox, wire):
    client_id, feature = _client_without_free_feature(sandbox)
    response = support_client.post(
        f"/clients/{client_id}/features/", {"feature": feature["id"], "action": "enable"}
    )
    assert response.status_code == 302
    assert ("POST", "/iam/admin/free_features", {"client_id": client_id, "feature_id": feature["id"]}) in wire
    client = sandbox.client_json(client_id)
    activation = next(
        f["free_feature_id"]
        for group in client["freeFeatures"].values()
        for f in group
        if f["feature_id"] == feature["id"]
    )
    response = support_client.post(
        f"/clients/{client_id}/features/", {"feature": feature["id"], "action": "disable"}
    )
    assert response.status_code == 302
    assert ("DELETE", f"/iam/admin/free_features/{activation}", None) in wire
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "outcome"))
    assert actions == [("feature.enable", "saved"), ("feature.disable", "saved")]


def test_a_feature_gcore_no_longer_has_is_said_on_the_features_page(support_client, sandbox, wire):
    """Gcore answers 404 to the switch (the activation went away meanwhile): the features page says
    nothing was saved and shows what the client has now, not the dashboard's 404 page."""
    client_id, feature = _client_without_free_feature(sandbox)
    sandbox.add_fault("status", method="POST", path="/iam/admin/free_features", status=404)
    response = support_client.post(
        f"/clients/{client_id}/features/", {"feature": feature["id"], "action": "enable"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Nothing was saved." in text and f"Enable {feature['name']}" in text
    assert [call for call in wire if call[0] == "POST"] != []  # sent once, refused by Gcore
    entry = AuditEntry.objects.get(action=AuditEntry.Action.FEATURE_ENABLE)
    assert entry.upstream_status == 404


def test_paid_features_are_for_administrators(support_client, admin_client_, sandbox, wire):
    client_id = first_live_client(sandbox)
    _, catalogue = gcore_call(sandbox, "GET", "/iam/admin/feature")
    client = sandbox.client_json(client_id)
    have = {f["feature_id"] for group in client["paidFeatures"].values() for f in group}
    paid = next(f for f in catalogue if not f["is_free"] and f["id"] not in have)
    response = support_client.get(f"/clients/{client_id}/features/")
    assert f"Enable {paid['name']}" not in response.content.decode()
    denied = support_client.post(
        f"/clients/{client_id}/features/", {"feature": paid["id"], "action": "enable"}
    )
    assert denied.status_code == 403
    assert not [call for call in wire if call[0] == "POST"]
    ok = admin_client_.post(f"/clients/{client_id}/features/", {"feature": paid["id"], "action": "enable"})
    assert ok.status_code == 302
    assert ("POST", "/iam/admin/paid_features", {"client_id": client_id, "feature_id": paid["id"]}) in wire


def test_enabling_a_feature_the_client_already_has_sends_nothing(support_client, sandbox, wire):
    client_id, feature = _client_without_free_feature(sandbox)
    gcore_call(
        sandbox, "POST", "/iam/admin/free_features", {"client_id": client_id, "feature_id": feature["id"]}
    )
    response = support_client.post(
        f"/clients/{client_id}/features/", {"feature": feature["id"], "action": "enable"}, follow=True
    )
    assert "already enabled; nothing was sent" in response.content.decode()
    assert not [call for call in wire if call[0] == "POST"]
