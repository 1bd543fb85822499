"""User edit: profile through PATCH /iam/users, role through PUT client-users, partial failures said
plainly."""

from __future__ import annotations

import json

import pytest

from dashboard.models import AuditEntry
from tests.helpers import calls, client_and_user, form_data, open_form, user_edit_url

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true", "HX-Target": "user-editor"}


def current_user(sandbox, client_id, user_id):
    return next(u for u in sandbox.client_json(client_id)["users"] if u["id"] == user_id)


def other_role(user):
    return 5 if user["groups"][0]["id"] != 5 else 2


def test_the_form_opens_in_the_detail_page(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    response = support_client.get(user_edit_url(client_id, user["id"]), headers=HTMX)
    assert response.content.decode().lstrip().startswith('<section id="user-editor"')
    form = response.context["form"]
    assert form.initial["email"] == user["email"] and form.initial["role"] == user["groups"][0]["id"]


def test_a_user_of_another_client_is_a_404(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    other_client = next(i for i in sandbox.client_ids() if i != client_id)
    assert support_client.get(user_edit_url(other_client, user["id"])).status_code == 404
    assert (
        support_client.post(user_edit_url(other_client, user["id"]), {"email": "x@example.com"}).status_code
        == 404
    )


def test_a_manager_may_not_edit_users(manager_client, sandbox):
    client_id, user = client_and_user(sandbox)
    assert manager_client.get(user_edit_url(client_id, user["id"])).status_code == 403
    assert manager_client.post(user_edit_url(client_id, user["id"]), {}).status_code == 403


def test_profile_changes_go_through_patch_only(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    sandbox.clear_request_log()
    response = support_client.post(
        user_edit_url(client_id, user["id"]), form_data(form, lang="zh", name="Li Wei"), headers=HTMX
    )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"])["notify"]["text"] == "User saved: Name, Language."
    assert [c["path"] for c in calls(sandbox, "PATCH")] == [f"/iam/users/{user['id']}"]
    assert calls(sandbox, "PUT") == []
    after = current_user(sandbox, client_id, user["id"])
    assert (after["lang"], after["name"], after["email"]) == ("zh", "Li Wei", user["email"])
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.client_id, entry.user_id, entry.outcome) == (
        "user.update",
        client_id,
        user["id"],
        "saved",
    )
    assert {c["field"] for c in entry.changes} == {"lang", "name"}


def test_a_role_change_goes_through_put_only(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    sandbox.clear_request_log()
    support_client.post(
        user_edit_url(client_id, user["id"]), form_data(form, role=other_role(user)), headers=HTMX
    )
    assert calls(sandbox, "PATCH") == []
    assert [c["path"] for c in calls(sandbox, "PUT")] == [
        f"/iam/clients/{client_id}/client-users/{user['id']}"
    ]
    assert current_user(sandbox, client_id, user["id"])["groups"][0]["id"] == other_role(user)
    change = AuditEntry.objects.get().changes[0]
    assert change["field"] == "role" and change["old"] == user["groups"][0]["name"]


def test_when_the_role_call_fails_the_person_sees_what_was_saved(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    sandbox.add_fault("status", method="PUT", status=503)
    response = support_client.post(
        user_edit_url(client_id, user["id"]),
        form_data(form, name="Saved Name", role=other_role(user)),
        headers=HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Saved: Name. Not saved: Role (" in body
    assert 'value="Saved Name"' in body
    assert f'<option value="{other_role(user)}" selected>' in body  # the typed role is kept
    after = current_user(sandbox, client_id, user["id"])
    assert after["name"] == "Saved Name" and after["groups"][0]["id"] == user["groups"][0]["id"]
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.upstream_status) == ("partial", 503)
    assert {"client-updated", "users-updated"} <= set(json.loads(response["HX-Trigger"]))


def test_when_the_profile_call_fails_the_role_is_not_sent(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    sandbox.add_fault("status", method="PATCH", status=502)
    response = support_client.post(
        user_edit_url(client_id, user["id"]),
        form_data(form, name="Lost?", role=other_role(user)),
        headers=HTMX,
    )
    assert response.status_code == 422
    # A 502 may come from a gateway that passed the PATCH on: Gcore may have applied it.
    assert "may or may not have been applied in Gcore" in response.content.decode()
    assert calls(sandbox, "PUT") == []
    assert current_user(sandbox, client_id, user["id"])["groups"] == user["groups"]
    assert AuditEntry.objects.get().outcome == "upstream_error"


def test_gcore_rejects_a_value_and_the_error_lands_on_its_field(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    response = support_client.post(
        user_edit_url(client_id, user["id"]), form_data(form, company="   "), headers=HTMX
    )
    # Django strips and requires the company locally; nothing goes upstream.
    assert response.status_code == 422
    assert "company" in response.context["form"].errors
    assert calls(sandbox, "PATCH") == []


def test_at_least_one_sign_in_method(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    data = form_data(form)
    data.pop("auth_types")
    response = support_client.post(user_edit_url(client_id, user["id"]), data, headers=HTMX)
    assert response.context["form"].errors["auth_types"] == ["This field is required."]


def test_a_user_changed_upstream_meanwhile_is_a_conflict(support_client, sandbox):

    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    sandbox.handle(
        "PATCH",
        f"/iam/users/{user['id']}",
        headers={"Authorization": f"APIKey {sandbox.token}"},
        body=b'{"name": "Theirs"}',
    )
    response = support_client.post(
        user_edit_url(client_id, user["id"]), form_data(form, name="Mine"), headers=HTMX
    )
    assert response.status_code == 422
    assert "Someone changed this record in Gcore" in response.content.decode()
    assert current_user(sandbox, client_id, user["id"])["name"] == "Theirs"
    response = support_client.post(
        user_edit_url(client_id, user["id"]), form_data(form, name="Mine") | {"overwrite": "1"}, headers=HTMX
    )
    assert response.status_code == 200
    assert current_user(sandbox, client_id, user["id"])["name"] == "Mine"


def test_without_javascript_a_save_redirects_to_the_users(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    response = support_client.post(
        user_edit_url(client_id, user["id"]), form_data(form, phone="+1 202 555 0100")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client_id}/#client-users"


def test_closing_the_user_form_asks_gcore_nothing(support_client, sandbox):
    client_id, _ = client_and_user(sandbox)
    sandbox.clear_request_log()
    response = support_client.get(f"/clients/{client_id}/", headers=HTMX)
    assert response.content.decode().strip() == '<section id="user-editor" aria-live="polite"></section>'
    assert sandbox.request_log == []
