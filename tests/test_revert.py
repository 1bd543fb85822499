"""A way back: Revert on a dashboard edit opens its edit form with the old values, and the change
goes through the one save pipeline (only what differs sent, a change made since shown as a
conflict first, the new entry naming the one it reverts); against the in-process sandbox."""

from __future__ import annotations

import time

import pytest

from dashboard.models import AuditEntry
from dashboard.services.audit import audit_record
from tests.helpers import (
    PASSWORD,
    FormValues,
    client_and_user,
    first_live_client,
    gcore_call,
    logged_in,
    writes,
)

pytestmark = pytest.mark.django_db


def posted_as_shown(html: str, field: str) -> dict[str, str]:
    """What the browser posts for the page's form, untouched."""
    parser = FormValues(field)
    parser.feed(html)
    return parser.values


def edit_phone(http, client_id, phone):
    page = http.get(f"/clients/{client_id}/edit/").content.decode()
    response = http.post(f"/clients/{client_id}/edit/", posted_as_shown(page, "phone") | {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:2000]
    return AuditEntry.objects.filter(client_id=client_id, action="client.update").first()


def test_revert_sends_only_what_differs_and_says_which_entry_it_reverts(support_client, sandbox, wire):
    client_id = first_live_client(sandbox)
    before = sandbox.client_json(client_id)["phone"]
    entry = edit_phone(support_client, client_id, "+49 30 555 0101")
    assert sandbox.client_json(client_id)["phone"] == "+49 30 555 0101"

    timeline = support_client.get(f"/clients/{client_id}/timeline/").content.decode()
    revert_url = f"/clients/{client_id}/edit/?revert={entry.pk}"
    assert revert_url in timeline
    page = support_client.get(revert_url)
    assert page.status_code == 200 and f"Reverting entry {entry.pk}" in page.content.decode()
    assert page.context["form"].initial["phone"] == before
    del wire[:]
    response = support_client.post(
        f"/clients/{client_id}/edit/", posted_as_shown(page.content.decode(), "phone")
    )
    assert response.status_code == 302
    assert sandbox.client_json(client_id)["phone"] == before
    assert writes(wire) == [("PATCH", f"/iam/clients/{client_id}", {"phone": before})]
    newest = AuditEntry.objects.filter(client_id=client_id).first()
    assert newest.outcome == "saved" and newest.details["reverts"] == entry.pk
    assert (
        f"reverts entry {entry.pk}" in support_client.get(f"/clients/{client_id}/timeline/").content.decode()
    )


def test_a_field_changed_since_is_a_conflict_before_anything_is_sent(support_client, sandbox, wire):
    client_id = first_live_client(sandbox)
    entry = edit_phone(support_client, client_id, "+49 30 555 0102")
    gcore_call(sandbox, "PATCH", f"/iam/clients/{client_id}", {"phone": "+49 30 555 0199"})  # someone, since

    page = support_client.get(f"/clients/{client_id}/edit/?revert={entry.pk}")
    assert "Changed since that entry" in page.content.decode()
    del wire[:]
    data = posted_as_shown(page.content.decode(), "phone")
    response = support_client.post(f"/clients/{client_id}/edit/", data)
    assert response.status_code == 422
    assert "+49 30 555 0199" in response.content.decode()
    assert writes(wire) == [] and sandbox.client_json(client_id)["phone"] == "+49 30 555 0199"
    conflict = AuditEntry.objects.filter(client_id=client_id).first()
    assert conflict.outcome == "conflict" and conflict.details["reverts"] == entry.pk

    response = support_client.post(
        f"/clients/{client_id}/edit/", data | {"overwrite": "1"}
    )  # the choice made
    assert response.status_code == 302
    assert sandbox.client_json(client_id)["phone"] == data["phone"]


def test_reverting_a_users_edit(support_client, sandbox, wire):
    client_id, user = client_and_user(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/edit/"
    page = support_client.get(url).content.decode()
    response = support_client.post(url, posted_as_shown(page, "company") | {"company": "Elsewhere Ltd"})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="user.update").first()
    page = support_client.get(f"{url}?revert={entry.pk}")
    assert page.status_code == 200
    response = support_client.post(url, posted_as_shown(page.content.decode(), "company"))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="user.update").first().details["reverts"] == entry.pk
    assert next(u for u in sandbox.client_json(client_id)["users"] if u["id"] == user["id"])["company"] != (
        "Elsewhere Ltd"
    )


def test_what_cannot_be_reverted(support_client, manager_client, support, sandbox, wire):
    client_id = first_live_client(sandbox)
    other = next(i for i in sandbox.client_ids() if i != client_id and not sandbox.client_json(i)["deleted"])
    entry = edit_phone(support_client, client_id, "+49 30 555 0103")
    revoked = audit_record(actor=support, action="token.revoke", outcome="saved", client_id=client_id)
    refused = audit_record(actor=support, action="client.update", outcome="rejected", client_id=client_id)

    timeline = support_client.get(f"/clients/{client_id}/timeline/").content.decode()
    assert "a revoked token is gone for good" in timeline
    assert f"?revert={revoked.pk}" not in timeline and f"?revert={refused.pk}" not in timeline
    assert f"?revert={entry.pk}" not in manager_client.get(f"/clients/{client_id}/timeline/").content.decode()
    # Another client's entry, an entry that was not saved, or no number at all: no such revert.
    for url in (
        f"/clients/{other}/edit/?revert={entry.pk}",
        f"/clients/{client_id}/edit/?revert={refused.pk}",
        f"/clients/{client_id}/edit/?revert=abc",
    ):
        assert support_client.get(url).status_code == 404, url
    # A doctored `reverts` in the post is refused, and nothing is sent.
    page = support_client.get(f"/clients/{client_id}/edit/?revert={entry.pk}").content.decode()
    del wire[:]
    for doctored in (str(refused.pk), "abc", "-1"):
        response = support_client.post(
            f"/clients/{client_id}/edit/", posted_as_shown(page, "phone") | {"reverts": doctored}
        )
        assert response.status_code in (400, 422), doctored
    assert writes(wire) == []


# -- doctored reverts, roles and the fresh confirmation ---------------------------------------------


def test_a_manager_can_neither_open_nor_post_a_revert(support_client, manager_client, sandbox, wire):
    client_id = first_live_client(sandbox)
    entry = edit_phone(support_client, client_id, "+49 30 555 0104")
    page = support_client.get(f"/clients/{client_id}/edit/?revert={entry.pk}").content.decode()
    del wire[:]
    assert manager_client.get(f"/clients/{client_id}/edit/?revert={entry.pk}").status_code == 403
    response = manager_client.post(f"/clients/{client_id}/edit/", posted_as_shown(page, "phone"))
    assert response.status_code == 403
    assert writes(wire) == [] and sandbox.client_json(client_id)["phone"] == "+49 30 555 0104"


def test_a_doctored_reverts_is_refused_and_nothing_is_sent(support_client, support, sandbox, wire):
    """Another form's entry (a user edit named on the client form and the reverse), a number past
    any id, a list of ids: refused, nothing sent, what was typed kept."""
    client_id, user = client_and_user(sandbox)
    entry = edit_phone(support_client, client_id, "+49 30 555 0105")
    user_url = f"/clients/{client_id}/users/{user['id']}/edit/"
    user_page = support_client.get(user_url).content.decode()
    assert (
        support_client.post(
            user_url, posted_as_shown(user_page, "company") | {"company": "Z Ltd"}
        ).status_code
        == 302
    )
    user_entry = AuditEntry.objects.filter(action="user.update").first()
    assert support_client.get(f"{user_url}?revert={entry.pk}").status_code == 404
    assert support_client.get(f"/clients/{client_id}/edit/?revert={user_entry.pk}").status_code == 404
    for doctored in (str(10**30), "9" * 5000, "²", "٣"):  # past any id, past what int() reads, not ASCII
        assert support_client.get(f"/clients/{client_id}/edit/?revert={doctored}").status_code == 404
        assert support_client.get(f"{user_url}?revert={doctored}").status_code == 404

    page = support_client.get(f"/clients/{client_id}/edit/?revert={entry.pk}").content.decode()
    data = posted_as_shown(page, "phone")
    del wire[:]
    for doctored in (str(user_entry.pk), str(10**30), "9" * 400, "1e3", "[1]"):
        response = support_client.post(f"/clients/{client_id}/edit/", data | {"reverts": doctored})
        assert response.status_code in (400, 422), doctored
        assert data["phone"] in response.content.decode(), doctored
    twice = [(name, value) for name, value in data.items()] + [("reverts", str(entry.pk))]
    body = "&".join(f"{name}={value}" for name, value in twice)
    response = support_client.post(
        f"/clients/{client_id}/edit/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    user_page = support_client.get(f"{user_url}?revert={user_entry.pk}").content.decode()
    response = support_client.post(
        user_url, posted_as_shown(user_page, "company") | {"reverts": str(entry.pk)}
    )
    assert response.status_code in (400, 422)
    assert writes(wire) == []


def test_reverting_a_move_asks_for_the_fresh_confirmation_first(admin_user, sandbox, wire):
    """A revert that sets a client's reseller back is a move like any other: it asks who is there
    before anything is sent, then carries on."""
    client = next(
        c for i in sandbox.client_ids() if not (c := sandbox.client_json(i))["deleted"] and c["resellers"]
    )
    url = f"/clients/{client['id']}/edit/"
    http = logged_in(admin_user)
    other = next(r for r in sandbox.reseller_ids() if r != client["resellers"])
    moved = http.post(
        url, posted_as_shown(http.get(url).content.decode(), "company_name") | {"reseller": str(other)}
    )
    assert moved.status_code == 302 and sandbox.client_json(client["id"])["resellers"] == other
    entry = AuditEntry.objects.filter(client_id=client["id"], action="client.update").first()

    session = http.session  # signed in longer ago than REAUTH_MINUTES now
    session["account_authentication_methods"] = [
        dict(record, at=time.time() - 11 * 60) for record in session["account_authentication_methods"]
    ]
    session.save()
    page = http.get(f"{url}?revert={entry.pk}")
    assert page.status_code == 200 and page.context["form"].initial["reseller"] == client["resellers"]
    del wire[:]
    asked = http.post(url, posted_as_shown(page.content.decode(), "company_name"))
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/"), asked
    assert writes(wire) == [] and sandbox.client_json(client["id"])["resellers"] == other
    http.post(asked["Location"], {"password": PASSWORD})
    assert sandbox.client_json(client["id"])["resellers"] == client["resellers"]
    assert AuditEntry.objects.filter(client_id=client["id"]).first().details["reverts"] == entry.pk


def test_an_edit_of_a_user_removed_since_cannot_be_reverted(support_client, sandbox, wire):
    client_id, user = client_and_user(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/edit/"
    page = support_client.get(url).content.decode()
    data = posted_as_shown(page, "company") | {"company": "Gone Ltd"}
    assert support_client.post(url, data).status_code == 302
    entry = AuditEntry.objects.filter(action="user.update").first()
    revert_page = support_client.get(f"{url}?revert={entry.pk}").content.decode()
    status, _ = gcore_call(sandbox, "DELETE", f"/iam/clients/{client_id}/client-users/{user['id']}")
    assert status < 300
    del wire[:]
    assert support_client.get(f"{url}?revert={entry.pk}").status_code == 404
    response = support_client.post(url, posted_as_shown(revert_page, "company"))
    assert response.status_code in (404, 410, 422)
    assert writes(wire) == []
