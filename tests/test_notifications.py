"""The e-mails Gcore sends about the reseller's account, through the dashboard against the sandbox:
listed, added, edited, switched on and off, deleted; the reseller id from the account; refusals."""

from __future__ import annotations

import html

import pytest

from dashboard.models import AuditEntry
from tests.helpers import FormValues, gcore_call, writes

pytestmark = pytest.mark.django_db

BASE = "/iam/reselling/resellers/1001/notification_settings"


def page(response) -> str:
    return html.unescape(response.content.decode())


def stored(sandbox) -> dict[int, dict]:
    _, body = gcore_call(sandbox, "GET", f"{BASE}?limit=100")
    items = body["results"] if isinstance(body, dict) else body
    return {item["id"]: item for item in items}


def edit_values(http, setting_id: int) -> dict[str, str]:
    parser = FormValues("email")
    parser.feed(http.get(f"/settings/notifications/{setting_id}/edit/").content.decode())
    return parser.values


def test_the_list_shows_each_address_and_what_it_is_told_of(admin_client_, sandbox):
    response = admin_client_.get("/settings/notifications/")
    assert response.status_code == 200
    text = page(response)
    for item in stored(sandbox).values():
        assert item["email"] in text
    assert "Failed sign-ins to the reseller's account" in text
    assert "Switch on the e-mails to greta.lindqvist@edge-reseller.example" in text  # seeded off


def test_adding_an_address_uses_the_accounts_own_reseller_id(admin_client_, sandbox, wire):
    data = {"notification_type": "deletion_request", "email": "legal@edge-reseller.example", "enabled": "on"}
    response = admin_client_.post("/settings/notifications/", data)
    assert response.status_code == 302
    assert writes(wire) == [
        (
            "POST",
            BASE,
            {
                "notification_type": "deletion_request",
                "email": "legal@edge-reseller.example",
                "enabled": True,
            },
        )
    ]
    assert ("GET", "/iam/clients/me", None) in wire
    assert "legal@edge-reseller.example" in page(admin_client_.get(response["Location"]))
    assert AuditEntry.objects.get(action=AuditEntry.Action.NOTIFICATION_CREATE).outcome == "saved"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"notification_type": "deletion_request", "email": "not an e-mail"}, "valid email"),
        ({"notification_type": "sms", "email": "a@example.org"}, "Select a valid choice"),
        ({"notification_type": "failed_login", "email": ""}, "required"),
    ],
)
def test_bad_input_is_refused_here_and_kept(admin_client_, wire, data, message):
    response = admin_client_.post("/settings/notifications/", data)
    assert response.status_code == 422
    assert message in page(response)
    if data["email"]:
        assert f'value="{data["email"]}"' in page(response)
    assert writes(wire) == []
    assert AuditEntry.objects.get(action=AuditEntry.Action.NOTIFICATION_CREATE).outcome == "rejected"


def test_gcores_refusal_of_a_duplicate_is_shown_with_the_input(admin_client_, sandbox):
    data = {"notification_type": "failed_login", "email": "security@edge-reseller.example", "enabled": "on"}
    response = admin_client_.post("/settings/notifications/", data)
    assert response.status_code == 422
    assert "unique" in page(response).lower()
    assert 'value="security@edge-reseller.example"' in page(response)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.NOTIFICATION_CREATE)
    assert entry.outcome == "rejected" and entry.upstream_status == 400


def test_a_403_is_said_and_nothing_lost(admin_client_, sandbox):
    sandbox.add_fault("status", method="POST", path=BASE, status=403)
    data = {"notification_type": "failed_login", "email": "night@edge-reseller.example"}
    response = admin_client_.post("/settings/notifications/", data)
    assert response.status_code == 422
    assert "Gcore refused" in page(response) and 'value="night@edge-reseller.example"' in page(response)


def test_switching_off_sends_enabled_alone(admin_client_, sandbox, wire):
    parser = FormValues("original")
    parser.feed(admin_client_.get("/settings/notifications/").content.decode())
    response = admin_client_.post("/settings/notifications/201/toggle/", parser.values)
    assert response.status_code == 302
    assert writes(wire) == [("PATCH", f"{BASE}/201", {"enabled": False})]
    assert stored(sandbox)[201]["enabled"] is False
    entry = AuditEntry.objects.get(action=AuditEntry.Action.NOTIFICATION_UPDATE)
    assert entry.changes == [{"field": "enabled", "old": True, "new": False}]


def test_switching_on(admin_client_, sandbox, wire):
    data = {"original": '{"enabled": false}', "enabled": "true"}
    assert admin_client_.post("/settings/notifications/204/toggle/", data).status_code == 302
    assert writes(wire) == [("PATCH", f"{BASE}/204", {"enabled": True})]


def test_a_switch_made_in_gcore_meanwhile_sends_nothing(admin_client_, sandbox, wire):
    gcore_call(sandbox, "PATCH", f"{BASE}/201", {"enabled": False})
    wire.clear()
    data = {"original": '{"enabled": true}'}  # the page showed it on; the person switches it off
    response = admin_client_.post("/settings/notifications/201/toggle/", data)
    assert response.status_code == 302 and writes(wire) == []  # Gcore has it off already


def test_a_doctored_toggle_sends_nothing(admin_client_, wire):
    response = admin_client_.post("/settings/notifications/201/toggle/", {"original": "nonsense"})
    assert response.status_code in (400, 422)
    assert writes(wire) == []


def test_an_edit_sends_only_what_changed(admin_client_, wire):
    data = edit_values(admin_client_, 202) | {"email": "accounts@edge-reseller.example"}
    response = admin_client_.post("/settings/notifications/202/edit/", data)
    assert response.status_code == 302
    assert writes(wire) == [("PATCH", f"{BASE}/202", {"email": "accounts@edge-reseller.example"})]


def test_an_edit_against_a_change_made_meanwhile_is_a_conflict(admin_client_, sandbox, wire):
    data = edit_values(admin_client_, 202) | {"email": "accounts@edge-reseller.example"}
    gcore_call(sandbox, "PATCH", f"{BASE}/202", {"email": "finance@edge-reseller.example"})
    wire.clear()
    response = admin_client_.post("/settings/notifications/202/edit/", data)
    assert response.status_code == 422
    assert "finance@edge-reseller.example" in page(response) and writes(wire) == []
    response = admin_client_.post("/settings/notifications/202/edit/", data | {"overwrite": "1"})
    assert response.status_code == 302
    assert writes(wire) == [("PATCH", f"{BASE}/202", {"email": "accounts@edge-reseller.example"})]


def test_deleting_an_address(admin_client_, sandbox, wire):
    confirm = page(admin_client_.get("/settings/notifications/203/delete/"))
    assert "Gcore stops e-mailing security@edge-reseller.example" in confirm
    response = admin_client_.post("/settings/notifications/203/delete/")
    assert response.status_code == 302
    assert writes(wire) == [("DELETE", f"{BASE}/203", None)]
    assert 203 not in stored(sandbox)
    assert AuditEntry.objects.get(action=AuditEntry.Action.NOTIFICATION_DELETE).outcome == "saved"
    wire.clear()
    again = admin_client_.post("/settings/notifications/203/delete/")
    assert again.status_code == 302 and writes(wire) == []


def test_gcores_refusal_of_a_delete_is_said_and_audited(admin_client_, sandbox):
    sandbox.add_fault("status", method="DELETE", path=f"{BASE}/203", status=400)
    response = admin_client_.post("/settings/notifications/203/delete/")
    assert response.status_code == 422 and "Gcore refused" in page(response)
    assert 203 in stored(sandbox)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.NOTIFICATION_DELETE)
    assert entry.upstream_status == 400


def test_only_administrators(support_client, manager_client, wire):
    for http in (support_client, manager_client):
        assert http.get("/settings/notifications/").status_code == 403
        assert (
            http.post("/settings/notifications/201/toggle/", {"original": '{"enabled": true}'}).status_code
            == 403
        )
        assert http.post("/settings/notifications/203/delete/").status_code == 403
    assert writes(wire) == []
