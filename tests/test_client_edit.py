"""Client detail and client edit against the sandbox: only changed fields, errors on fields, conflicts,
audit."""

from __future__ import annotations

import json

import httpx
import pytest

from dashboard.gcore import GcoreClient, get_gcore_client
from dashboard.models import AuditEntry
from dashboard.sandbox import SandboxTransport
from tests.helpers import calls, first_client_with_users, first_live_client, form_data, logged_in, open_form

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true", "HX-Target": "client-edit"}


def test_detail_shows_every_group_of_fields_and_the_users(manager_client, sandbox):
    data = first_client_with_users(sandbox)
    client_id = data["id"]
    body = manager_client.get(f"/clients/{client_id}/").content.decode()
    for heading in (
        "Identity and contact",
        "Company and account",
        "Reseller, seller and flags",
        "Services",
        "Features",
        "Users",
        "Change history",
    ):
        assert heading in body
    for user in data["users"]:
        assert user["email"] in body
    assert "Edit client" not in body  # a manager may only look


def test_detail_of_an_unknown_client_is_a_404(manager_client):
    response = manager_client.get("/clients/999999999/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_a_deleted_client_says_so(manager_client, sandbox):
    deleted = next(i for i in sandbox.client_ids() if sandbox.client_json(i)["deleted"])
    assert "This client is deleted at Gcore" in manager_client.get(f"/clients/{deleted}/").content.decode()


def test_the_edit_form_opens_inside_the_detail_page(support_client, sandbox):
    client_id = first_live_client(sandbox)
    response = support_client.get(f"/clients/{client_id}/edit/", headers=HTMX)
    body = response.content.decode().lstrip()
    assert body.startswith('<section id="client-edit"')
    assert (
        json.loads(response.context["form"].initial["original"])["company_name"]
        == sandbox.client_json(client_id)["companyName"]
    )


def test_a_manager_cannot_open_or_post_the_edit_form(manager_client, sandbox):
    client_id = first_live_client(sandbox)
    assert manager_client.get(f"/clients/{client_id}/edit/").status_code == 403
    assert manager_client.post(f"/clients/{client_id}/edit/", {"company_name": "x"}).status_code == 403
    assert calls(sandbox, "PATCH") == []


def test_only_the_changed_field_is_sent_and_audited(support_client, support, sandbox):
    client_id = first_live_client(sandbox)
    before = sandbox.client_json(client_id)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    response = support_client.post(
        f"/clients/{client_id}/edit/", form_data(form, company_name="Renamed & Co"), headers=HTMX
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="client-summary"')
    assert "Renamed &amp; Co" in response.content.decode()
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["client-updated"] == {"id": client_id}
    assert "users-updated" not in trigger  # a client edit costs no second Gcore read for the users
    assert trigger["notify"]["text"] == "Client saved: Company name."
    after = sandbox.client_json(client_id)
    assert after["companyName"] == "Renamed & Co"
    assert {k: v for k, v in after.items() if k != "companyName"} == {
        k: v for k, v in before.items() if k != "companyName"
    }
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.client_id, entry.outcome, entry.upstream_status) == (
        support,
        "client.update",
        client_id,
        "saved",
        200,
    )
    assert entry.changes == [{"field": "companyName", "old": before["companyName"], "new": "Renamed & Co"}]
    assert entry.ip_address == "127.0.0.1"


def test_the_patch_body_holds_only_the_changed_fields(support, sandbox, monkeypatch):
    """Watch the wire: wrap the sandbox transport and keep every PATCH body."""
    bodies = []
    inner = SandboxTransport(sandbox)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            bodies.append(json.loads(request.content))
        return inner.handle_request(request)

    get_gcore_client.cache_clear()
    monkeypatch.setattr(
        "dashboard.services.clients.get_gcore_client",
        lambda: GcoreClient(
            base_url="https://api.gcore.com", token=sandbox.token, transport=httpx.MockTransport(handler)
        ),
    )
    http = logged_in(support)
    client_id = first_live_client(sandbox)
    form = open_form(http, f"/clients/{client_id}/edit/")
    http.post(
        f"/clients/{client_id}/edit/", form_data(form, phone="+44 1", is_test=not form.initial["is_test"])
    )
    assert bodies == [{"phone": "+44 1", "is_test": not form.initial["is_test"]}]


def test_without_javascript_a_save_redirects_to_the_detail(support_client, sandbox):
    client_id = first_live_client(sandbox)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    response = support_client.post(
        f"/clients/{client_id}/edit/", form_data(form, name="New Contact"), follow=True
    )
    assert response.redirect_chain == [(f"/clients/{client_id}/", 302)]
    assert "Client saved: Contact name." in response.content.decode()


def test_nothing_changed_sends_nothing(support_client, sandbox):
    client_id = first_live_client(sandbox)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    sandbox.clear_request_log()
    response = support_client.post(f"/clients/{client_id}/edit/", form_data(form), headers=HTMX)
    assert response.status_code == 200
    assert (
        json.loads(response["HX-Trigger"])["notify"]["text"]
        == "Nothing changed, so nothing was sent to Gcore."
    )
    assert [e["method"] for e in sandbox.request_log if e["method"] != "GET"] == []  # no write reached Gcore
    assert not AuditEntry.objects.exists()


def test_a_bad_email_is_refused_locally_and_keeps_the_input(support_client, sandbox):
    client_id = first_live_client(sandbox)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    response = support_client.post(
        f"/clients/{client_id}/edit/",
        form_data(form, email="not-an-email", company_name="Kept Name"),
        headers=HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert 'value="not-an-email"' in body and 'value="Kept Name"' in body
    assert calls(sandbox, "PATCH") == []
    entry = AuditEntry.objects.get()
    assert entry.outcome == "rejected" and "email" in entry.message


def test_support_cannot_move_a_client_to_another_reseller(support_client, sandbox):
    client_id = first_live_client(sandbox)
    before = sandbox.client_json(client_id)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    assert form.fields["reseller"].disabled and form.fields["seller"].disabled
    support_client.post(
        f"/clients/{client_id}/edit/", form_data(form, reseller=sandbox.reseller_ids()[-1], seller="")
    )
    assert sandbox.client_json(client_id)["resellers"] == before["resellers"]
    assert sandbox.client_json(client_id)["seller"] == before["seller"]


def test_a_superuser_moves_a_client_and_gcores_error_lands_on_the_field(admin_client_, sandbox):
    client_id = first_live_client(sandbox)
    other = next(r for r in sandbox.reseller_ids() if r != sandbox.client_json(client_id)["resellers"])
    form = open_form(admin_client_, f"/clients/{client_id}/edit/")
    admin_client_.post(f"/clients/{client_id}/edit/", form_data(form, reseller=other))
    assert sandbox.client_json(client_id)["resellers"] == other
    form = open_form(admin_client_, f"/clients/{client_id}/edit/")
    response = admin_client_.post(
        f"/clients/{client_id}/edit/", form_data(form, reseller=987654), headers=HTMX
    )
    assert response.status_code == 422
    assert response.context["form"].errors["reseller"] == ['Invalid pk "987654" - object does not exist.']
    assert AuditEntry.objects.filter(outcome="rejected", upstream_status=400).count() == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"errors": {"email": ["Enter a valid email address."]}}, "email", "Enter a valid email address."),
        ({"errors": {"companyName": "This name is taken."}}, "company_name", "This name is taken."),
        ({"errors": {"phone": {"number": ["Too long."]}}}, None, "phone.number: Too long."),
        ({"errors": {"errors": ["Client is locked."]}}, None, "Client is locked."),
        (["This client cannot be changed."], None, "This client cannot be changed."),
        ({"message": "JSON parse error - Expecting value"}, None, "JSON parse error - Expecting value"),
    ],
)
def test_each_gcore_error_shape_lands_where_it_belongs(support, sandbox, monkeypatch, body, field, message):
    inner = SandboxTransport(sandbox)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            return httpx.Response(400, json=body)
        return inner.handle_request(request)

    client = GcoreClient(
        base_url="https://api.gcore.com", token=sandbox.token, transport=httpx.MockTransport(handler)
    )
    monkeypatch.setattr("dashboard.services.clients.get_gcore_client", lambda: client)
    http = logged_in(support)
    client_id = first_live_client(sandbox)
    form = open_form(http, f"/clients/{client_id}/edit/")
    response = http.post(
        f"/clients/{client_id}/edit/",
        form_data(form, company_name="Typed Name", phone="+1 555"),
        headers=HTMX,
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert message in errors[field or "__all__"]
    assert 'value="Typed Name"' in response.content.decode()
    assert AuditEntry.objects.get().outcome == "rejected"


def test_gcore_down_during_a_save_keeps_the_input_and_is_audited(support_client, sandbox):
    client_id = first_live_client(sandbox)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    sandbox.add_fault("status", method="PATCH", status=503)
    response = support_client.post(
        f"/clients/{client_id}/edit/", form_data(form, company_name="Typed Name"), headers=HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Nothing was saved." in body and 'value="Typed Name"' in body
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.upstream_status) == ("upstream_error", 503)
    assert len(calls(sandbox, "PATCH")) == 1  # a write is never retried


def other_staff_changes(sandbox, client_id, **fields):
    response = sandbox.handle(
        "PATCH",
        f"/iam/clients/{client_id}",
        headers={"Authorization": f"APIKey {sandbox.token}"},
        body=json.dumps(fields).encode(),
    )
    assert response.status == 200


def test_a_field_changed_upstream_meanwhile_is_a_conflict(support_client, sandbox):
    client_id = first_live_client(sandbox)
    original_name = sandbox.client_json(client_id)["companyName"]
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    other_staff_changes(sandbox, client_id, companyName="Their Name")
    response = support_client.post(
        f"/clients/{client_id}/edit/", form_data(form, company_name="My Name"), headers=HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Someone changed this record in Gcore after you opened the form." in body
    for value in ("Their Name", "My Name", original_name):
        assert (
            value.replace("&", "&amp;")
            .replace("'", "&#x27;")
            .replace('"', "&quot;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            in body
        )
    assert sandbox.client_json(client_id)["companyName"] == "Their Name"
    assert AuditEntry.objects.get().outcome == "conflict"

    # The explicit choice saves the person's value.
    data = form_data(form, company_name="My Name") | {"overwrite": "1"}
    response = support_client.post(f"/clients/{client_id}/edit/", data, headers=HTMX)
    assert response.status_code == 200
    assert sandbox.client_json(client_id)["companyName"] == "My Name"
    assert AuditEntry.objects.first().outcome == "saved"


def test_a_field_changed_upstream_that_the_person_did_not_touch_is_kept(support_client, sandbox):
    client_id = first_live_client(sandbox)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    other_staff_changes(sandbox, client_id, phone="+49 000 111")
    response = support_client.post(
        f"/clients/{client_id}/edit/", form_data(form, company_name="My Name"), headers=HTMX
    )
    assert response.status_code == 200
    after = sandbox.client_json(client_id)
    assert (after["companyName"], after["phone"]) == ("My Name", "+49 000 111")


def test_a_tampered_form_is_refused(support_client, sandbox):
    client_id = first_live_client(sandbox)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    data = form_data(form, company_name="x") | {"original": "not json"}
    response = support_client.post(f"/clients/{client_id}/edit/", data, headers=HTMX)
    assert response.status_code == 422
    assert "This form is out of date" in response.content.decode()


def test_edit_of_an_unknown_client_is_a_404(support_client):
    assert support_client.get("/clients/999999999/edit/").status_code == 404


def test_the_history_region_refreshes_without_asking_gcore(support_client, sandbox):
    client_id = first_live_client(sandbox)
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    support_client.post(f"/clients/{client_id}/edit/", form_data(form, company_name="<b>Bold</b> Name"))
    sandbox.clear_request_log()
    response = support_client.get(
        f"/clients/{client_id}/", headers={"HX-Request": "true", "HX-Target": "client-history"}
    )
    body = response.content.decode().lstrip()
    assert body.startswith('<section id="client-history"')
    assert "&lt;b&gt;Bold&lt;/b&gt; Name" in body and "<b>Bold</b>" not in body
    assert sandbox.request_log == []
