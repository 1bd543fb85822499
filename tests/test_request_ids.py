"""Gcore's request id of a failed call travels to the audit log, the activity page and the error page."""

from __future__ import annotations

import httpx
import pytest

import dashboard.sandbox
from dashboard.models import AuditEntry
from dashboard.sandbox import SandboxTransport
from tests.helpers import first_live_client, form_data, logged_in, open_form

pytestmark = pytest.mark.django_db

REQUEST_ID = "gcore-req-7f3a9"


class StampingTransport(SandboxTransport):
    """The sandbox, with the request-id header a real deployment's edge adds to every answer."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.headers["X-Request-ID"] = REQUEST_ID
        return response


@pytest.fixture(autouse=True)
def _stamped(monkeypatch):
    # The dashboard's client picks the sandbox transport up from the package when it is first built.
    monkeypatch.setattr(dashboard.sandbox, "SandboxTransport", StampingTransport)


def test_a_refused_save_keeps_gcores_request_id_in_the_audit_and_on_the_activity_page(support, sandbox):
    http = logged_in(support)
    client_id = first_live_client(sandbox)
    form = open_form(http, f"/clients/{client_id}/edit/")
    sandbox.add_fault("status", method="PATCH", status=503)
    response = http.post(f"/clients/{client_id}/edit/", form_data(form, custom_id="after-fault"))
    assert response.status_code == 503
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CLIENT_UPDATE)
    assert (entry.outcome, entry.upstream_status, entry.upstream_request_id) == (
        "upstream_error",
        503,
        REQUEST_ID,
    )
    activity = http.get("/activity/").content.decode()
    assert f"Request ID <code>{REQUEST_ID}</code>" in activity


def test_the_error_page_names_the_request_for_gcores_support(manager, sandbox):
    sandbox.add_fault("status", method="GET", path="/iam/clients", status=500, times=10)
    response = logged_in(manager).get("/clients/")
    assert response.status_code == 502
    assert f"Gcore request ID <code>{REQUEST_ID}</code>" in response.content.decode()
