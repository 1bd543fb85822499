"""The reseller's sellers through the dashboard against the sandbox: the list and its counts, creating,
editing (conflicts included), deleting with the fresh confirmation; what reaches Gcore, the audit."""

from __future__ import annotations

import html

import pytest

from dashboard.models import AuditEntry
from tests.helpers import FormValues, gcore_call, logged_in, writes

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return html.unescape(response.content.decode())


# -- the list ------------------------------------------------------------------------------------------


def test_the_list_shows_each_seller_with_a_link_to_their_clients(admin_client_, sandbox):
    response = admin_client_.get("/sellers/")
    assert response.status_code == 200
    text = page(response)
    assert "Greta Lindqvist" in text and "tomas.garcia@edge-reseller.example" in text
    count = sandbox.matching_count(seller_id=51, deleted=False)
    assert f'href="/clients/?seller_id=51" aria-label="{count} clients of Greta Lindqvist"' in text
    # The link shows exactly that many clients.
    listing = admin_client_.get("/clients/?seller_id=51")
    assert f"{count} client" in page(listing)


def test_search_and_sort(admin_client_):
    text = page(admin_client_.get("/sellers/?q=GARC"))
    assert "Tomás García" in text and "Greta Lindqvist" not in text
    text = page(admin_client_.get("/sellers/?ordering=-date_joined"))
    assert text.index("Viktor Novák") < text.index("Greta Lindqvist")  # joined 12 days ago, 1390 days ago


def test_htmx_gets_only_the_results(admin_client_):
    response = admin_client_.get("/sellers/?q=mei", headers={"HX-Request": "true"})
    assert response.content.decode().lstrip().startswith('<section id="seller-results"')
    assert "HX-Request" in response["Vary"]


def test_the_list_still_shows_when_gcore_cannot_count(admin_client_, sandbox):
    sandbox.add_fault("status", method="GET", path="/iam/clients", status=500, times=20)
    text = page(admin_client_.get("/sellers/"))
    assert "Greta Lindqvist" in text and "the numbers are left out" in text


def test_staff_other_than_administrators_are_refused_and_see_no_link(support_client, manager_client):
    for http in (support_client, manager_client):
        assert http.get("/sellers/").status_code == 403
        assert http.post("/sellers/new/", {"full_name": "X", "email": "x@example.org"}).status_code == 403
        assert 'href="/sellers/"' not in page(http.get("/clients/"))


def test_administrators_see_the_link(admin_client_):
    assert 'href="/sellers/"' in page(admin_client_.get("/clients/"))


# -- creating ------------------------------------------------------------------------------------------


def test_a_new_seller_is_created_and_listed(admin_client_, sandbox, wire):
    data = {"full_name": "Ada Moreau", "email": "ada.moreau@edge-reseller.example", "phone": "+33 1 555 0100"}
    response = admin_client_.post("/sellers/new/", data)
    assert response.status_code == 302
    assert writes(wire) == [("POST", "/iam/admin/sellers", data)]
    listed = page(admin_client_.get(response["Location"]))
    assert "Ada Moreau" in listed and "activation e-mail not yet followed" in listed
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SELLER_CREATE)
    assert entry.outcome == "saved" and {c["field"] for c in entry.changes} == {"full_name", "email", "phone"}


def test_the_client_forms_seller_picker_offers_a_new_seller_at_once(admin_client_):
    admin_client_.get("/clients/new/")  # the picker's list is cached now
    admin_client_.post("/sellers/new/", {"full_name": "Ada Moreau", "email": "ada.moreau@example.org"})
    assert "Ada Moreau" in page(admin_client_.get("/clients/new/"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"full_name": "A", "email": "not-an-email"}, "email", "valid email"),
        ({"full_name": "A", "email": "a@example.org", "phone": "+44 (0) CALL ME"}, "phone", "lower-case"),
        ({"full_name": "", "email": "a@example.org"}, "full_name", "required"),
        ({"full_name": "A", "email": "a" * 140 + "@example.org"}, "email", "at most 150"),
    ],
)
def test_bad_input_is_refused_here_and_kept(admin_client_, wire, data, field, message):
    response = admin_client_.post("/sellers/new/", data)
    assert response.status_code == 422
    assert message in page(response)
    for value in data.values():
        if value:
            assert f'value="{value}"' in page(response)
    assert writes(wire) == []
    assert AuditEntry.objects.get(action=AuditEntry.Action.SELLER_CREATE).outcome == "rejected"


def test_gcores_refusal_lands_on_its_field(admin_client_):
    data = {"full_name": "Second Greta", "email": "greta.lindqvist@edge-reseller.example"}
    response = admin_client_.post("/sellers/new/", data)
    assert response.status_code == 422
    assert "already exists" in page(response) and 'value="Second Greta"' in page(response)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SELLER_CREATE)
    assert entry.outcome == "rejected" and entry.upstream_status == 400


def test_a_403_from_gcore_is_said_and_nothing_lost(admin_client_, sandbox):
    sandbox.add_fault("status", method="POST", path="/iam/admin/sellers", status=403)
    response = admin_client_.post("/sellers/new/", {"full_name": "Ada Moreau", "email": "ada@example.org"})
    assert response.status_code == 422
    assert "Gcore refused" in page(response) and 'value="Ada Moreau"' in page(response)


def test_a_create_whose_answer_never_came_is_not_sent_again(admin_client_, sandbox, wire):
    sandbox.add_fault("timeout", method="POST", path="/iam/admin/sellers")
    response = admin_client_.post("/sellers/new/", {"full_name": "Ada Moreau", "email": "ada@example.org"})
    assert "may or may not have been applied" in page(response)
    assert len([w for w in writes(wire) if w[1] == "/iam/admin/sellers"]) == 1


def test_a_doctored_post_sends_nothing(admin_client_, wire):
    response = admin_client_.post("/sellers/new/", {"full_name": ["A", "B"], "email": {"x": 1}})
    assert response.status_code in (400, 422)
    assert writes(wire) == []


# -- editing -------------------------------------------------------------------------------------------


def _edit_form(http, seller_id: int) -> dict[str, str]:
    parser = FormValues("full_name")
    parser.feed(http.get(f"/sellers/{seller_id}/edit/").content.decode())
    return parser.values


def test_an_edit_sends_only_what_changed(admin_client_, wire):
    data = _edit_form(admin_client_, 52) | {"phone": "+34 91 555 0199"}
    response = admin_client_.post("/sellers/52/edit/", data)
    assert response.status_code == 302
    assert writes(wire) == [("PATCH", "/iam/admin/sellers/52", {"phone": "+34 91 555 0199"})]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SELLER_UPDATE)
    assert entry.changes == [{"field": "phone", "old": "+34 91 555 0142", "new": "+34 91 555 0199"}]


def test_a_change_made_in_gcore_meanwhile_is_shown_before_anything_is_sent(admin_client_, sandbox, wire):
    data = _edit_form(admin_client_, 52) | {"full_name": "Tomás García Ruiz"}
    gcore_call(sandbox, "PATCH", "/iam/admin/sellers/52", {"full_name": "Tomás G."})
    wire.clear()
    response = admin_client_.post("/sellers/52/edit/", data)
    assert response.status_code == 422
    text = page(response)
    assert "Someone changed this record in Gcore" in text and "Tomás G." in text
    assert writes(wire) == []
    response = admin_client_.post("/sellers/52/edit/", data | {"overwrite": "1"})
    assert response.status_code == 302
    assert writes(wire) == [("PATCH", "/iam/admin/sellers/52", {"full_name": "Tomás García Ruiz"})]


def test_an_edit_gcore_refuses_keeps_the_input(admin_client_):
    data = _edit_form(admin_client_, 52) | {"email": "greta.lindqvist@edge-reseller.example"}
    response = admin_client_.post("/sellers/52/edit/", data)
    assert response.status_code == 422
    assert "already exists" in page(response)
    assert 'value="greta.lindqvist@edge-reseller.example"' in page(response)


def test_an_unknown_seller_is_not_found(admin_client_):
    assert admin_client_.get("/sellers/9999/edit/").status_code == 404


# -- deleting ------------------------------------------------------------------------------------------


def test_the_confirmation_says_what_the_seller_loses_and_how_many_clients(admin_client_, sandbox):
    count = sandbox.matching_count(seller_id=53, deleted=False)
    text = page(admin_client_.get("/sellers/53/delete/"))
    assert "can no longer sign in" in text and "takes them off every client" in text
    assert f"{count} client" in text


def test_deleting_needs_a_reason_and_the_tick(admin_client_, wire):
    response = admin_client_.post("/sellers/53/delete/", {"reason": "left the company"})
    assert response.status_code == 422
    assert writes(wire) == []
    assert "left the company" in page(response)


def test_deleting_takes_the_seller_off_their_clients(admin_client_, sandbox, wire):
    count = sandbox.matching_count(seller_id=53, deleted=False)
    assert count > 0
    response = admin_client_.post("/sellers/53/delete/", {"reason": "left the company", "confirm": "on"})
    assert response.status_code == 302
    assert writes(wire) == [("DELETE", "/iam/admin/sellers/53", None)]
    assert sandbox.matching_count(seller_id=53, deleted=False) == 0
    listed = page(admin_client_.get("/sellers/"))
    assert "Deleted the seller Mei Chen" in listed and "mei.chen@" not in listed
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SELLER_DELETE, outcome="saved")
    assert entry.details["reason"] == "left the company" and entry.details["clients"] == count
    # Deleting again sends nothing.
    wire.clear()
    again = admin_client_.post("/sellers/53/delete/", {"reason": "again", "confirm": "on"})
    assert again.status_code == 302 and writes(wire) == []


def test_deleting_a_seller_gcore_has_not_or_has_deleted_sends_nothing(admin_client_, sandbox, wire):
    assert admin_client_.get("/sellers/9999/delete/").status_code == 404
    unknown = admin_client_.post("/sellers/9999/delete/", {"reason": "gone", "confirm": "on"}, follow=True)
    assert "Gcore has no such seller (any more): nothing was sent." in page(unknown)
    gcore_call(sandbox, "DELETE", "/iam/admin/sellers/53")
    opened = admin_client_.get("/sellers/53/delete/")
    assert opened.status_code == 302 and opened["Location"] == "/sellers/"
    assert writes(wire) == []


def test_deleting_asks_for_a_fresh_confirmation(admin_user, wire):
    stale = logged_in(admin_user, confirmed=False)
    response = stale.post("/sellers/53/delete/", {"reason": "left the company", "confirm": "on"})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert writes(wire) == []


@pytest.mark.parametrize("status", [400, 403])  # Gcore's refusal: of the request, or of the person
def test_a_refused_delete_is_said_and_audited(admin_client_, sandbox, status):
    sandbox.add_fault("status", method="DELETE", path="/iam/admin/sellers/53", status=status)
    response = admin_client_.post("/sellers/53/delete/", {"reason": "left", "confirm": "on"})
    assert response.status_code == 422 and "Gcore refused" in page(response)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SELLER_DELETE)
    assert entry.upstream_status == status
    assert entry.outcome == ("rejected" if status == 400 else "upstream_error")


def test_a_staff_member_given_one_settings_permission_sees_that_page_only(db):
    from django.contrib.auth.models import Permission

    from tests.helpers import make_staff

    branding_only = make_staff("bea.branding")
    branding_only.user_permissions.add(Permission.objects.get(codename="change_branding"))
    http = logged_in(branding_only)
    text = page(http.get("/settings/branding/"))
    assert 'href="/settings/branding/">Reseller settings</a>' in text
    assert 'href="/sellers/"' not in text and 'href="/settings/products/"' not in text
    assert http.get("/sellers/").status_code == 403
