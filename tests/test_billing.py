"""The billing link (SPP) through the pages, against the in-process Gcore and SPP sandboxes."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import override_settings

from dashboard.models import AuditEntry, BillingLink, DriftEntry, DriftRun
from dashboard.services.billing import split_contact
from dashboard.services.drift import drift_build
from dashboard.services.versions import client_changed
from tests.helpers import (
    HTMX,
    form_data,
    gcore_clients_by_spp_matches,
    linkable_client,
    linked,
    logged_in,
    open_form,
    panel,
)

pytestmark = pytest.mark.django_db


def spp_writes(spp_sandbox):
    return [entry for entry in spp_sandbox.request_log if entry["method"] == "PUT"]


# -- the panel and the link ------------------------------------------------------------------------


def test_the_client_page_loads_the_panel_on_its_own(manager_client, sandbox):
    client_id = sandbox.client_ids()[0]
    body = manager_client.get(f"/clients/{client_id}/").content.decode()
    # The SPP record arrives in a request of its own: the Gcore page never waits for SPP.
    assert f'hx-get="/clients/{client_id}/billing/" hx-trigger="load"' in body
    assert f'<a href="/clients/{client_id}/billing/">Open the client\'s SPP record</a>' in body


def test_the_only_email_match_is_linked_the_first_time_anyone_opens_the_client(
    manager_client, manager, sandbox, spp_sandbox
):
    client, spp_id = linkable_client(sandbox, spp_sandbox)
    response = panel(manager_client, client["id"])
    assert response.status_code == 200
    body = response.content.decode()
    assert f"SPP client {spp_id} · Matched by email: linked just now" in body
    link = BillingLink.objects.get(gcore_client_id=client["id"])
    assert (link.spp_client_id, link.method, link.created_by) == (spp_id, "email", manager)
    entry = AuditEntry.objects.get(action="billing.link")
    assert entry.client_id == client["id"] and entry.details == {"spp_client_id": spp_id, "method": "email"}
    assert entry.changes == [{"field": "spp_client", "old": None, "new": spp_id}]
    # The second open shows the link, and links nothing more.
    again = panel(manager_client, client["id"]).content.decode()
    assert "linked just now" not in again and f"SPP client {spp_id} · Matched by email" in again
    assert AuditEntry.objects.filter(action="billing.link").count() == 1


@pytest.mark.parametrize("field", ["phone", "company", "contact"])
def test_values_that_differ_from_gcores_are_marked(manager_client, sandbox, spp_sandbox, field):
    client, _ = linkable_client(sandbox, spp_sandbox, differing=field)
    body = panel(manager_client, client["id"]).content.decode()
    label = {"phone": "Phone", "company": "Company", "contact": "Contact name"}[field]
    assert (
        f'<tr class="differs"><th scope="row">{label} <span class="badge badge-differs">differs</span>'
        in body
    )


def test_the_panel_shows_the_spp_record(manager_client, sandbox, spp_sandbox):
    client, spp_id = linkable_client(sandbox, spp_sandbox)
    record = spp_sandbox.client_json(spp_id)
    body = panel(manager_client, client["id"]).content.decode()
    for shown in (record["address"]["city"], record["stripe_id"] or "—", f"{float(record['balance']):.2f}"):
        assert shown in body
    assert "Sandbox data" in body


def test_with_no_email_match_the_panel_says_so_and_offers_a_link_by_id(support_client, sandbox, spp_sandbox):
    client = gcore_clients_by_spp_matches(sandbox, spp_sandbox, 0)[0]
    body = panel(support_client, client["id"]).content.decode()
    assert f"No SPP client has the email <strong>{client['email']}</strong>." in body
    assert 'name="action" value="link"' in body
    assert not BillingLink.objects.exists()


def test_linking_by_spp_id(support_client, sandbox, spp_sandbox):
    client = gcore_clients_by_spp_matches(sandbox, spp_sandbox, 0)[0]
    free = next(
        i for i in spp_sandbox.client_ids() if not BillingLink.objects.filter(spp_client_id=i).exists()
    )
    response = support_client.post(
        f"/clients/{client['id']}/billing/", {"action": "link", "spp_id": free}, headers=HTMX
    )
    assert response.status_code == 200
    assert f"SPP client {free} · Linked by SPP client ID" in response.content.decode()
    assert json.loads(response["HX-Trigger"])["notify"]["text"] == f"Linked to SPP client {free}."
    assert BillingLink.objects.get(gcore_client_id=client["id"]).spp_client_id == free


@pytest.mark.parametrize(
    ("spp_id", "message"),
    [("999999", "SPP has no client 999999."), ("abc", "Enter a whole number.")],
)
def test_a_link_that_cannot_be_made_is_said_on_the_field(
    support_client, sandbox, spp_sandbox, spp_id, message
):
    client = gcore_clients_by_spp_matches(sandbox, spp_sandbox, 0)[0]
    response = support_client.post(
        f"/clients/{client['id']}/billing/", {"action": "link", "spp_id": spp_id}, headers=HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body and f'value="{spp_id}"' in body  # what was typed stays
    assert not BillingLink.objects.exists()


def test_an_spp_client_linked_elsewhere_cannot_be_linked_again(support_client, sandbox, spp_sandbox):
    first, spp_id = linkable_client(sandbox, spp_sandbox)
    panel(support_client, first["id"])  # links it by email
    other = gcore_clients_by_spp_matches(sandbox, spp_sandbox, 0)[0]
    response = support_client.post(
        f"/clients/{other['id']}/billing/", {"action": "link", "spp_id": spp_id}, headers=HTMX
    )
    assert response.status_code == 422
    assert (
        f"SPP client {spp_id} is already linked to Gcore client {first['id']}." in response.content.decode()
    )


def test_several_matches_are_offered_to_pick_from(support_client, sandbox, spp_sandbox):
    client = gcore_clients_by_spp_matches(sandbox, spp_sandbox, 2)[0]
    ids = spp_sandbox.ids_with_email(client["email"])
    body = panel(support_client, client["id"]).content.decode()
    assert f"2 SPP clients have the email <strong>{client['email']}</strong>" in body
    for spp_id in ids:
        assert f'<input type="radio" name="spp_id" value="{spp_id}"' in body
    assert not BillingLink.objects.exists()  # never a guess
    response = support_client.post(
        f"/clients/{client['id']}/billing/", {"action": "pick", "spp_id": ids[1]}, headers=HTMX
    )
    assert response.status_code == 200
    link = BillingLink.objects.get(gcore_client_id=client["id"])
    assert (link.spp_client_id, link.method) == (ids[1], "picked")


def test_unlinking(support_client, sandbox, spp_sandbox):
    client, spp_id = linkable_client(sandbox, spp_sandbox)
    panel(support_client, client["id"])
    response = support_client.post(f"/clients/{client['id']}/billing/", {"action": "unlink"})
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client['id']}/#billing-panel"
    assert not BillingLink.objects.filter(gcore_client_id=client["id"]).exists()
    entry = AuditEntry.objects.get(action="billing.unlink")
    assert entry.changes == [{"field": "spp_client", "old": spp_id, "new": None}]


def test_a_linked_client_gone_from_spp_is_said_and_can_be_unlinked(support_client, sandbox):
    client_id = sandbox.client_ids()[0]
    BillingLink.objects.create(gcore_client_id=client_id, spp_client_id=424242, method="id")
    body = panel(support_client, client_id).content.decode()
    assert "linked to SPP client 424242, which is no longer in SPP" in body
    assert 'name="action" value="unlink"' in body


def test_managers_see_the_panel_but_cannot_change_anything(manager_client, sandbox, spp_sandbox):
    client, _spp_id = linkable_client(sandbox, spp_sandbox)
    body = panel(manager_client, client["id"]).content.decode()
    assert "Edit in SPP" not in body and 'value="unlink"' not in body
    assert manager_client.post(f"/clients/{client['id']}/billing/", {"action": "unlink"}).status_code == 403
    assert manager_client.get(f"/clients/{client['id']}/billing/edit/").status_code == 403
    assert manager_client.get(f"/clients/{client['id']}/billing/sync/").status_code == 403
    assert BillingLink.objects.filter(gcore_client_id=client["id"]).exists()


# -- editing the SPP record ------------------------------------------------------------------------


def test_an_edit_sends_only_what_changed(support_client, sandbox, spp_sandbox):
    client, spp_id = linked(support_client, sandbox, spp_sandbox)
    before = spp_sandbox.client_json(spp_id)
    form = open_form(support_client, f"/clients/{client['id']}/billing/edit/")
    response = support_client.post(
        f"/clients/{client['id']}/billing/edit/",
        form_data(form, tax_id="DE123", city="Leipzig"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["notify"]["text"] == "SPP client saved: Tax ID, City."
    after = spp_sandbox.client_json(spp_id)
    assert after["tax_id"] == "DE123" and after["address"]["city"] == "Leipzig"
    # Nothing else moved, the rest of the address included.
    assert after["address"]["line_1"] == before["address"]["line_1"] and after["phone"] == before["phone"]
    assert len(spp_writes(spp_sandbox)) == 1
    entry = AuditEntry.objects.get(action="billing.update")
    assert entry.outcome == "saved" and entry.details == {"spp_client_id": spp_id}
    assert {c["field"] for c in entry.changes} == {"tax_id", "address.city"}


def test_nothing_changed_sends_nothing(support_client, sandbox, spp_sandbox):
    client, _ = linked(support_client, sandbox, spp_sandbox)
    form = open_form(support_client, f"/clients/{client['id']}/billing/edit/")
    response = support_client.post(f"/clients/{client['id']}/billing/edit/", form_data(form), headers=HTMX)
    assert response.status_code == 200
    assert spp_writes(spp_sandbox) == []
    assert not AuditEntry.objects.filter(action="billing.update").exists()


def test_an_edit_refused_by_spp_lands_on_its_field_with_the_input_kept(support_client, sandbox, spp_sandbox):
    client, spp_id = linked(support_client, sandbox, spp_sandbox)
    taken = next(
        spp_sandbox.client_json(i)["email"]
        for i in spp_sandbox.client_ids()
        if i != spp_id and spp_sandbox.client_json(i)["email"]
    )
    form = open_form(support_client, f"/clients/{client['id']}/billing/edit/")
    response = support_client.post(
        f"/clients/{client['id']}/billing/edit/", form_data(form, email=taken, note="Kept note"), headers=HTMX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "The email has already been taken." in body
    assert f'value="{taken}"' in body and "Kept note" in body
    assert AuditEntry.objects.get(action="billing.update").outcome == "rejected"


def test_a_change_made_in_spp_meanwhile_is_a_conflict_until_overwritten(support_client, sandbox, spp_sandbox):
    client, spp_id = linked(support_client, sandbox, spp_sandbox)
    url = f"/clients/{client['id']}/billing/edit/"
    form = open_form(support_client, url)
    # Someone changes the same field in SPP's own panel after the form was opened.
    spp_put(spp_sandbox, spp_id, tax_id="THEIRS-1")
    writes = len(spp_writes(spp_sandbox))
    response = support_client.post(url, form_data(form, tax_id="MINE-2"), headers=HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Someone changed this record" in body and "THEIRS-1" in body and "MINE-2" in body
    assert len(spp_writes(spp_sandbox)) == writes  # nothing sent
    response = support_client.post(url, form_data(form, tax_id="MINE-2", overwrite="1"), headers=HTMX)
    assert response.status_code == 200
    assert spp_sandbox.client_json(spp_id)["tax_id"] == "MINE-2"


def test_account_fields_are_for_administrators(support_client, admin_client_, sandbox, spp_sandbox):
    client, spp_id = linked(support_client, sandbox, spp_sandbox)
    url = f"/clients/{client['id']}/billing/edit/"
    form = open_form(support_client, url)
    assert form.fields["balance"].disabled and form.fields["employee_ids"].disabled
    # A disabled field takes the value the form was opened with, whatever is posted.
    support_client.post(url, form_data(form, balance="999.99"), headers=HTMX)
    assert spp_sandbox.client_json(spp_id)["balance"] != 999.99
    form = open_form(admin_client_, url)
    employee = spp_sandbox.employees()[0]["id"]
    response = admin_client_.post(
        url, form_data(form, balance="12.50", employee_ids=str(employee)), headers=HTMX
    )
    assert response.status_code == 200
    record = spp_sandbox.client_json(spp_id)
    assert float(record["balance"]) == 12.5 and [m["id"] for m in record["managers"]] == [employee]


# -- syncing ---------------------------------------------------------------------------------------


def open_sync(http, client_id):
    response = http.get(f"/clients/{client_id}/billing/sync/")
    assert response.status_code == 200
    return response.context["form"]


def sync_post(form, **choices):
    data = {"original": form.initial["original"], **dict.fromkeys(form.CHOICES, "leave")}
    return data | choices


def test_a_sync_copies_each_chosen_field_and_only_those(support_client, sandbox, spp_sandbox):
    client, spp_id = linked(support_client, sandbox, spp_sandbox, differing="phone")
    form = open_sync(support_client, client["id"])
    response = support_client.post(
        f"/clients/{client['id']}/billing/sync/",
        sync_post(form, phone="to_spp", contact="to_gcore"),
        headers=HTMX,
    )
    assert response.status_code == 200
    record = spp_sandbox.client_json(spp_id)
    assert record["phone"] == client["phone"]
    assert sandbox.client_json(client["id"])["name"] == f"{record['name_f']} {record['name_l']}".strip()
    entry = AuditEntry.objects.get(action="billing.sync")
    # The contact name was the same on both sides already: only the phone had to travel.
    assert entry.outcome == "saved" and entry.details["systems"] == {"SPP": "saved"}
    assert len(spp_writes(spp_sandbox)) == 1
    assert not [e for e in sandbox.request_log if e["method"] == "PATCH"]


def spp_put(spp_sandbox, spp_id, **fields):
    """A change made in SPP's own panel, not through the dashboard."""
    headers = {"Authorization": f"Bearer {spp_sandbox.token}"}
    response = spp_sandbox.handle(
        "PUT", f"/api/clients/{spp_id}", headers=headers, body=json.dumps(fields).encode()
    )
    assert response.status == 200


def test_a_sync_to_both_systems_reports_each_when_one_fails(support_client, sandbox, spp_sandbox):
    client, spp_id = linked(support_client, sandbox, spp_sandbox)
    spp_put(spp_sandbox, spp_id, phone="+1 555 0100", company="Renamed in SPP Ltd")
    form = open_sync(support_client, client["id"])
    sandbox.add_fault("status", method="PATCH", status=503)
    response = support_client.post(
        f"/clients/{client['id']}/billing/sync/",
        sync_post(form, company="to_gcore", phone="to_spp"),
        headers=HTMX,
    )
    assert response.status_code == 422  # htmx shows the form again, with both outcomes
    body = response.content.decode()
    assert "<strong>Gcore</strong>: not saved (Company in Gcore)" in body
    assert "<strong>SPP</strong>: saved Phone in SPP" in body
    # SPP's half went through on its own; Gcore's did not, and was not retried.
    assert spp_sandbox.client_json(spp_id)["phone"] == client["phone"]
    assert sandbox.client_json(client["id"])["companyName"] == client["companyName"]
    assert len([e for e in sandbox.request_log if e["method"] == "PATCH"]) == 1
    entry = AuditEntry.objects.get(action="billing.sync")
    assert entry.outcome == "partial" and entry.details["systems"] == {"Gcore": "failed", "SPP": "saved"}
    assert entry.upstream_status == 503


def test_a_value_changed_at_its_source_since_the_form_opened_is_a_conflict(
    support_client, sandbox, spp_sandbox
):
    client, _spp_id = linked(support_client, sandbox, spp_sandbox, differing="phone")
    form = open_sync(support_client, client["id"])
    sandbox.handle(
        "PATCH", f"/iam/clients/{client['id']}", headers={"Authorization": f"APIKey {sandbox.token}"},
        body=json.dumps({"phone": "+49 30 0000000"}).encode(),
    )  # fmt: skip
    response = support_client.post(
        f"/clients/{client['id']}/billing/sync/", sync_post(form, phone="to_spp"), headers=HTMX
    )
    assert response.status_code == 422
    assert "+49 30 0000000" in response.content.decode()
    assert spp_writes(spp_sandbox) == []


def test_choosing_nothing_is_refused(support_client, sandbox, spp_sandbox):
    client, _ = linked(support_client, sandbox, spp_sandbox)
    form = open_sync(support_client, client["id"])
    response = support_client.post(f"/clients/{client['id']}/billing/sync/", sync_post(form), headers=HTMX)
    assert response.status_code == 422
    assert "Choose at least one field to copy across." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("Ann Lee", ("Ann", "Lee")),
        ("Mary Ann  Lee", ("Mary", "Ann Lee")),
        ("Cher", ("Cher", "")),
        (None, ("", "")),
    ],
)
def test_a_contact_name_becomes_first_and_last_name_at_the_first_space(name, split):
    assert split_contact(name) == split


# -- the drift list --------------------------------------------------------------------------------


def test_the_drift_build_links_by_email_and_lists_the_differences(sandbox, spp_sandbox):
    run = drift_build()
    assert run.state == DriftRun.State.DONE
    singles = gcore_clients_by_spp_matches(sandbox, spp_sandbox, 1)
    assert run.linked == BillingLink.objects.count() == len(singles)
    assert run.compared == len(singles) and run.drifted == DriftEntry.objects.count() > 0
    client, spp_id = linkable_client(sandbox, spp_sandbox, differing="phone")
    entry = DriftEntry.objects.get(gcore_client_id=client["id"])
    assert entry.spp_client_id == spp_id
    assert [d["field"] for d in entry.differences if d["field"] == "phone"] == ["phone"]
    # Clients whose two records agree are not listed.
    same, _ = linkable_client(sandbox, spp_sandbox)
    assert not DriftEntry.objects.filter(gcore_client_id=same["id"]).exists()
    assert AuditEntry.objects.filter(action="billing.drift", outcome="saved").count() == 1


def test_a_new_build_replaces_the_old_list(sandbox, spp_sandbox):
    first = drift_build()
    second = drift_build()
    assert second.linked == 0  # the first run made the links
    assert set(DriftEntry.objects.values_list("run", flat=True)) == {second.pk} != {first.pk}


def test_spp_down_fails_the_build_and_says_so(sandbox, spp_sandbox, admin_client_):
    spp_sandbox.add_fault("status", status=503)
    run = drift_build()
    assert run.state == DriftRun.State.FAILED
    assert run.message.startswith("SppUnavailable: SPP did not answer")
    assert AuditEntry.objects.get(action="billing.drift").outcome == "upstream_error"


def test_the_drift_page_lists_entries_each_with_its_sync(support_client, sandbox, spp_sandbox):
    drift_build()
    body = support_client.get("/billing/drift/").content.decode()
    entry = DriftEntry.objects.first()
    assert f'<a href="/clients/{entry.gcore_client_id}/billing/sync/">Sync</a>' in body
    assert "Rebuild" not in body  # administrators only


def test_rebuilding_is_for_administrators(support_client, admin_client_, manager_client):
    assert support_client.post("/billing/drift/").status_code == 403
    assert manager_client.post("/billing/drift/").status_code == 403
    response = admin_client_.post("/billing/drift/", headers=HTMX | {"HX-Target": "drift-progress"})
    assert response.status_code == 200
    run = DriftRun.objects.get()  # built by the task, here at once (the tests' immediate backend)
    assert run.state == DriftRun.State.DONE and run.started_by.username == "ada.admin"


def test_a_rebuild_waits_for_a_worker_and_is_queued_once(admin_client_):
    """Two presses while no worker has started the first: one build queued, the page says so."""
    from django.test import override_settings

    from dashboard.models import Schedule

    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        from django_tasks import default_task_backend

        for _ in range(2):
            response = admin_client_.post("/billing/drift/", headers=HTMX | {"HX-Target": "drift-progress"})
            assert response.status_code == 200
        body = response.content.decode()
        assert "Rebuild queued" in body and 'hx-trigger="every 2s"' in body
        assert len(default_task_backend.results) == 1
    assert not DriftRun.objects.exists()
    assert Schedule.objects.get(kind="drift").requested_by.username == "ada.admin"


def test_the_command_builds_the_list(sandbox, spp_sandbox, capsys):
    call_command("billing_drift", verbosity=0)
    out = capsys.readouterr().out
    run = DriftRun.objects.get()
    assert f"Done: {run.compared} linked clients compared, {run.drifted} differ" in out


# -- without SPP, in production --------------------------------------------------------------------


@override_settings(SPP_MODE="off")
def test_without_an_spp_key_in_production_only_administrators_hear_of_it(manager, admin_user, sandbox):
    client_id = sandbox.client_ids()[0]
    manager_http, admin_http = logged_in(manager), logged_in(admin_user)
    page = manager_http.get(f"/clients/{client_id}/").content.decode()
    assert "billing-panel" not in page and "Billing drift" not in page
    assert manager_http.get(f"/clients/{client_id}/billing/").status_code == 404
    assert manager_http.get("/billing/drift/").status_code == 404
    admin_page = admin_http.get(f"/clients/{client_id}/").content.decode()
    assert "SPP is not connected" in admin_page and "<code>SPP_API_TOKEN</code>" in admin_page
    assert "SPP is not connected" in admin_http.get("/billing/drift/").content.decode()


def test_with_gcore_down_a_linked_panel_still_shows_spps_values(manager_client, sandbox, spp_sandbox):
    client, spp_id = linked(manager_client, sandbox, spp_sandbox)
    client_changed(client["id"])  # no cached copy of Gcore's record either
    sandbox.add_fault("status", method="GET", path=f"/iam/clients/{client['id']}", status=503, times=20)
    body = panel(manager_client, client["id"]).content.decode()
    record = spp_sandbox.client_json(spp_id)
    assert "Gcore's side cannot be shown, so differences are not marked" in body
    assert record["email"] in body and record["company"] in body
    assert "badge-differs" not in body


def test_a_write_whose_answer_cannot_be_read_may_have_been_applied(support_client, sandbox, spp_sandbox):
    client, spp_id = linked(support_client, sandbox, spp_sandbox)
    form = open_form(support_client, f"/clients/{client['id']}/billing/edit/")
    spp_sandbox.add_fault("malformed", method="PUT")
    response = support_client.post(
        f"/clients/{client['id']}/billing/edit/", form_data(form, tax_id="GARBLED-1"), headers=HTMX
    )
    assert response.status_code == 422
    assert "The change may or may not have been applied in SPP" in response.content.decode()
    assert spp_sandbox.client_json(spp_id)["tax_id"] == "GARBLED-1"  # it was: SPP answered 200
    assert "may or may not have been applied" in AuditEntry.objects.get(action="billing.update").message
