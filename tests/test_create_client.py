"""Creating a client through /clients/new/ against the sandbox: what is sent, the password shown once
and kept nowhere, Gcore's refusals on their fields, and a create whose answer never came."""

from __future__ import annotations

import html
import logging
import string

import pytest

from dashboard.models import AuditEntry
from dashboard.services.onboarding import generate_password
from tests.helpers import gcore_call, logged_in, new_client

pytestmark = pytest.mark.django_db


def test_the_form_is_preset_to_the_resellers_default_products(support_client, sandbox):
    _, defaults = gcore_call(sandbox, "GET", "/iam/products/availability/defaults")
    response = support_client.get("/clients/new/")
    assert response.status_code == 200
    assert response.context["form"].initial["products"] == [
        d["product_name"] for d in defaults if d["available"]
    ]
    body = response.content.decode()
    assert "Seeing a product does not activate it" in body
    assert "no-store" in response["Cache-Control"]


def test_a_new_client_is_created_its_page_opens_with_the_password_once(support_client, sandbox, wire, caplog):
    caplog.set_level(logging.DEBUG)
    data = new_client(
        support_client, name="Inès Martin", phone="+33 1 23 45 67 89", country_code="fr", is_test="on"
    )
    response = support_client.post("/clients/new/", data)
    assert response.status_code == 201
    posts = [call for call in wire if call[0] == "POST"]
    assert len(posts) == 1
    _, path, body = posts[0]
    password = body.pop("password")
    assert path == "/iam/users"
    # Left at the defaults: no `services`, so the client follows the reseller's defaults.
    assert body == {
        "email": "ines.new@example.org",
        "company": "Nouvelle Vague SARL",
        "name": "Inès Martin",
        "phone": "+33 1 23 45 67 89",
        "lang": "en",
        "country_code": "FR",
        "is_test": True,
        "user_type": "common",
    }
    assert len(password) == 20
    page = response.content.decode()
    assert password in page and "shown this once" in page
    client = response.context["client"]
    assert client.company_name == "Nouvelle Vague SARL"
    assert f'data-replace-url="/clients/{client.id}/"' in page  # the address bar moves to the client's page
    assert "no-store" in response["Cache-Control"]
    # Kept nowhere: not in the audit, not in a log line, not on the client's page afterwards.
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CLIENT_CREATE)
    assert entry.outcome == "saved" and entry.client_id == client.id
    assert {"field": "password", "old": None, "new": "generated"} in entry.changes
    assert password not in str(entry.changes) + entry.message + str(entry.details)
    assert password not in caplog.text
    assert password not in support_client.get(f"/clients/{client.id}/").content.decode()
    assert sandbox.client_json(client.id)["users"][0]["email"] == "ines.new@example.org"


def test_products_other_than_the_defaults_are_sent_as_the_clients_own(support_client, sandbox, wire):
    _, defaults = gcore_call(sandbox, "GET", "/iam/products/availability/defaults")
    default_on = {d["product_name"] for d in defaults if d["available"]}
    off = sorted(default_on)[0]
    on = sorted({d["product_name"] for d in defaults} - default_on)[0]
    data = new_client(support_client, products=sorted((default_on - {off}) | {on}))
    assert support_client.post("/clients/new/", data).status_code == 201
    body = next(call[2] for call in wire if call[0] == "POST")
    assert sorted(body["services"], key=lambda s: s["product_name"]) == sorted(
        [{"product_name": off, "available": False}, {"product_name": on, "available": True}],
        key=lambda s: s["product_name"],
    )


def test_a_typed_password_is_sent_and_the_audit_says_so(support_client, wire):
    data = new_client(support_client, password="Tr1cky-but-mine!")
    response = support_client.post("/clients/new/", data)
    assert response.status_code == 201
    assert next(call[2] for call in wire if call[0] == "POST")["password"] == "Tr1cky-but-mine!"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CLIENT_CREATE)
    assert {"field": "password", "old": None, "new": "typed by staff"} in entry.changes


def test_an_email_gcore_already_has_lands_on_the_field_with_the_input_kept(support_client, sandbox):
    taken = sandbox.client_json(sandbox.client_ids()[0])["users"][0]["email"]
    data = new_client(support_client, email=taken.upper(), custom_id="CRM-1", password="Tr1cky-but-mine!")
    response = support_client.post("/clients/new/", data)
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["email"]
    assert form["custom_id"].value() == "CRM-1" and form["company"].value() == "Nouvelle Vague SARL"
    assert form["password"].value() == "Tr1cky-but-mine!"  # kept for the person to correct and send
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CLIENT_CREATE)
    assert entry.outcome == "rejected" and "Tr1cky" not in str(entry.changes) + entry.message


def test_a_password_gcore_refuses_lands_on_the_password_field(support_client):
    response = support_client.post("/clients/new/", new_client(support_client, password="12345678"))
    assert response.status_code == 422
    assert response.context["form"].errors["password"]


def test_the_dashboard_checks_what_it_can_before_sending(support_client, wire):
    data = new_client(support_client, email="not-an-email", company="", country_code="France")
    response = support_client.post("/clients/new/", data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"email", "company", "country_code"}
    assert not [call for call in wire if call[0] == "POST"]


def test_a_create_whose_answer_never_came_is_looked_up_not_sent_again(support_client, sandbox, wire):
    sandbox.add_fault("timeout", method="POST", path="/iam/users", times=1)
    response = support_client.post("/clients/new/", new_client(support_client))
    assert response.status_code == 502
    body = html.unescape(response.content.decode())
    assert "it was created" in body and "send the user a password reset" in body
    assert len([call for call in wire if call[0] == "POST"]) == 1
    existing = response.context["existing"]
    assert sandbox.client_json(existing)["email"] == "ines.new@example.org"


def test_a_create_that_never_reached_gcore_says_nothing_was_saved(support_client, sandbox, wire):
    # Every attempt: a connection refused before anything was sent is retried (GCORE_MAX_RETRIES).
    sandbox.add_fault("disconnect", method="POST", path="/iam/users")
    count_before = len(sandbox.client_ids())
    response = support_client.post("/clients/new/", new_client(support_client))
    assert response.status_code == 503
    assert "Nothing was saved" in response.content.decode()
    assert response.context["form"]["company"].value() == "Nouvelle Vague SARL"
    assert len([call for call in wire if call[0] == "POST"]) == 3  # the first try and two retries
    assert len(sandbox.client_ids()) == count_before


def test_a_create_gcore_answers_404_keeps_the_form_as_typed(support_client, sandbox, wire):
    """Any failure of the create shows the form again with what was typed, a 404 included (as
    before the ChangeView port), not the dashboard's 404 page."""
    sandbox.add_fault("status", method="POST", path="/iam/users", status=404)
    response = support_client.post("/clients/new/", new_client(support_client))
    assert response.status_code == 503
    assert "Nothing was saved" in response.content.decode()
    assert response.context["form"]["company"].value() == "Nouvelle Vague SARL"
    assert len([call for call in wire if call[0] == "POST"]) == 1


def test_managers_cannot_create_clients(manager_client):
    assert manager_client.get("/clients/new/").status_code == 403
    assert "New client" not in manager_client.get("/clients/").content.decode()


def test_generated_passwords_are_strong_and_differ():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 20 and password[0] in string.ascii_letters
        assert any(c.islower() for c in password) and any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)


def test_an_error_report_of_a_create_shows_no_variable_that_could_hold_the_password(support, monkeypatch):
    """Whatever fails while a client is created, the report (debug page, admin e-mail) hides every
    local of every frame: the password passes through the form, the body, the client and httpx."""
    from django.views.debug import ExceptionReporter

    from dashboard.gcore import GcoreClient

    def explode(self, method, path, **kwargs):
        raise RuntimeError("unexpected")

    http = logged_in(support)
    http.raise_request_exception = False
    password = "-".join(("Visible", "If", "Leaked", "77"))  # never written whole in this file's source
    data = new_client(http, password=password)
    monkeypatch.setattr(GcoreClient, "_request", explode)
    response = http.post("/clients/new/", data)
    assert response.status_code == 500
    request, exc_info = response.wsgi_request, response.exc_info
    reporter = ExceptionReporter(request, *exc_info)
    report = reporter.get_traceback_html() + reporter.get_traceback_text()
    assert password not in report
    assert "explode" in report  # still a useful report
