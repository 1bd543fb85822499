"""A client's people and keys through the dashboard against the sandbox: inviting, removing,
invitations and password resets sent again, API tokens listed and revoked; what reaches Gcore, what
staff see, the audit."""

from __future__ import annotations

import html

import pytest

from dashboard.models import AuditEntry
from tests.helpers import (
    client_with_token_holder,
    client_with_user_without_tokens,
    first_live_client,
    gcore_call,
    live_tokens,
    tokens,
    user_ids,
    writes,
)

pytestmark = pytest.mark.django_db


# -- inviting ------------------------------------------------------------------------------------------


def test_an_invited_user_is_listed_as_invited(support_client, sandbox, wire):
    client_id = first_live_client(sandbox)
    form_page = support_client.get(f"/clients/{client_id}/users/invite/")
    assert form_page.status_code == 200
    data = {"email": "nadia.okafor@example.org", "name": "Nadia Okafor", "role": "5", "lang": "de"}
    response = support_client.post(f"/clients/{client_id}/users/invite/", data)
    assert response.status_code == 302
    assert writes(wire) == [
        (
            "POST",
            "/iam/clients/invite_user",
            {
                "email": "nadia.okafor@example.org",
                "user_role": {"id": 5, "name": "Engineers"},
                "client_id": client_id,
                "lang": "de",
                "name": "Nadia Okafor",
            },
        )
    ]
    invited = next(
        u for u in sandbox.client_json(client_id)["users"] if u["email"] == "nadia.okafor@example.org"
    )
    page = support_client.get(f"/clients/{client_id}/").content.decode()
    row = page[page.index(f'id="user-{invited["id"]}"') :]
    row = row[: row.index("</tr>")]
    assert "invited" in row and "ago" in row
    entry = AuditEntry.objects.get(action=AuditEntry.Action.USER_INVITE)
    assert entry.outcome == "saved" and entry.user_id == invited["id"]


def test_inviting_someone_already_invited_shows_gcores_message_and_keeps_the_input(support_client, sandbox):
    client_id = first_live_client(sandbox)
    existing = sandbox.client_json(client_id)["users"][0]
    data = {"email": existing["email"], "name": "Typed Name", "role": "2", "lang": "en"}
    response = support_client.post(f"/clients/{client_id}/users/invite/", data)
    assert response.status_code == 422
    body = html.unescape(response.content.decode())
    assert "has already been invited to client" in body
    assert response.context["form"]["name"].value() == "Typed Name"
    assert AuditEntry.objects.get(action=AuditEntry.Action.USER_INVITE).outcome == "rejected"


def test_an_invalid_email_is_refused_before_anything_is_sent(support_client, sandbox, wire):
    client_id = first_live_client(sandbox)
    data = {"email": "no-at-sign", "role": "2", "lang": "en"}
    response = support_client.post(f"/clients/{client_id}/users/invite/", data)
    assert response.status_code == 422 and response.context["form"].errors["email"]
    assert writes(wire) == []


def test_a_refused_value_holding_a_nul_is_audited_not_a_500(support_client, sandbox, wire):
    # PostgreSQL's text refuses NUL; the refusal's message quotes the doctored choice.
    client_id = first_live_client(sandbox)
    data = {"email": "nadia.okafor@example.org", "role": "junk\x00walk", "lang": "en"}
    response = support_client.post(f"/clients/{client_id}/users/invite/", data)
    assert response.status_code == 422 and response.context["form"].errors["role"]
    assert writes(wire) == []
    entry = AuditEntry.objects.get(action="user.invite")
    assert entry.outcome == "rejected" and "junk\ufffdwalk" in entry.message and "\x00" not in entry.message


# -- removing ------------------------------------------------------------------------------------------


def test_removing_asks_for_a_reason_then_sends_one_delete(support_client, sandbox, wire):
    client_id, user = client_with_user_without_tokens(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/remove/"
    page = support_client.get(url).content.decode()
    assert "If this is their only Gcore account, Gcore deletes the user." in page
    refused = support_client.post(url, {"reason": ""})
    assert refused.status_code == 422 and writes(wire) == []
    response = support_client.post(url, {"reason": "Left the company", "confirm": "on"})
    assert response.status_code == 302
    assert writes(wire) == [("DELETE", f"/iam/clients/{client_id}/client-users/{user['id']}", None)]
    assert user["id"] not in user_ids(sandbox, client_id)
    refused, entry = AuditEntry.objects.filter(action=AuditEntry.Action.USER_REMOVE).order_by("id")
    assert refused.outcome == "rejected"  # the POST without a reason is an attempt too
    assert entry.outcome == "saved" and entry.user_id == user["id"]
    assert entry.details["reason"] == "Left the company"
    assert "Left the company" in support_client.get(f"/clients/{client_id}/").content.decode()


def test_a_user_holding_tokens_is_removed_after_they_are_revoked(support_client, sandbox, wire):
    client_id, user_id, token = client_with_token_holder(sandbox)
    url = f"/clients/{client_id}/users/{user_id}/remove/"
    page = support_client.get(url).content.decode()
    assert f"/clients/{client_id}/tokens/{token['id']}/revoke/?next=" in page  # offered before trying
    refused = support_client.post(url, {"reason": "Offboarding", "confirm": "on"})
    assert refused.status_code == 422
    body = html.unescape(refused.content.decode())
    assert "Gcore refused" in body and "revoke" in body
    assert user_id in user_ids(sandbox, client_id)
    for held in [t for t in live_tokens(sandbox, client_id) if t["client_user"]["user_id"] == user_id]:
        revoke = f"/clients/{client_id}/tokens/{held['id']}/revoke/"
        done = support_client.post(revoke, {"reason": "Offboarding", "confirm": "on", "next": url})
        assert done.status_code == 302 and done["Location"] == url  # back to the removal
    assert support_client.post(url, {"reason": "Offboarding", "confirm": "on"}).status_code == 302
    assert user_id not in user_ids(sandbox, client_id)
    outcomes = list(
        AuditEntry.objects.filter(action="user.remove").order_by("id").values_list("outcome", flat=True)
    )
    assert outcomes == ["upstream_error", "saved"]


# -- invitations and password resets ---------------------------------------------------------------


def _invited_user(support_client, sandbox, client_id):
    support_client.post(
        f"/clients/{client_id}/users/invite/", {"email": "late.joiner@example.org", "role": "2", "lang": "en"}
    )
    return next(u for u in sandbox.client_json(client_id)["users"] if u["email"] == "late.joiner@example.org")


def test_an_invitation_is_sent_again_for_someone_who_has_not_activated(support_client, sandbox, wire):
    client_id = first_live_client(sandbox)
    user = _invited_user(support_client, sandbox, client_id)
    url = f"/clients/{client_id}/users/{user['id']}/resend-invitation/"
    assert "Resend the invitation" in support_client.get(url).content.decode()
    response = support_client.post(url)
    assert response.status_code == 302
    assert ("POST", "/iam/auth/renew_invitation", {"email": "late.joiner@example.org"}) in wire
    assert AuditEntry.objects.filter(action="user.invitation", outcome="saved").count() == 1


def test_already_activated_is_said_plainly(support_client, sandbox):
    client_id, user = client_with_user_without_tokens(sandbox)
    response = support_client.post(f"/clients/{client_id}/users/{user['id']}/resend-invitation/")
    assert response.status_code == 422
    assert "This user already activated." in response.content.decode()


def test_a_password_reset_is_gcores_email_never_a_password_here(support_client, sandbox, wire):
    client_id, user = client_with_user_without_tokens(sandbox)
    url = f"/clients/{client_id}/users/{user['id']}/reset-password/"
    assert "Neither you nor the dashboard ever sees the password." in support_client.get(url).content.decode()
    response = support_client.post(url, follow=True)
    assert writes(wire) == [("POST", "/iam/auth/reset_password", {"email": user["email"]})]
    assert f"Gcore e-mailed {user['email']} a link to choose a new password." in html.unescape(
        response.content.decode()
    )


# -- API tokens ------------------------------------------------------------------------------------------


def test_the_tokens_page_shows_live_tokens_and_deleted_ones_on_request(manager_client, sandbox):
    client_id = next(
        i
        for i in sandbox.client_ids()
        if any(t["deleted"] for t in tokens(sandbox, i, deleted="true") + tokens(sandbox, i, deleted="false"))
        and live_tokens(sandbox, i)
    )
    everything = {
        t["id"]: t
        for t in tokens(sandbox, client_id, deleted="true") + tokens(sandbox, client_id, deleted="false")
    }
    response = manager_client.get(f"/clients/{client_id}/tokens/")
    shown = {token.id for token in response.context["tokens"]}
    assert shown == {i for i, t in everything.items() if not t["deleted"]}
    assert "Revoke" not in response.content.decode()  # managers look only
    with_deleted = manager_client.get(f"/clients/{client_id}/tokens/?deleted=1")
    assert {token.id for token in with_deleted.context["tokens"]} == set(everything)


def test_tokens_are_filtered_by_owner(support_client, sandbox):
    client_id, user_id, _ = client_with_token_holder(sandbox)
    sandbox.clear_request_log()
    response = support_client.get(f"/clients/{client_id}/tokens/?owner={user_id}")
    assert response.context["tokens"]
    assert all(token.client_user.user_id == user_id for token in response.context["tokens"])
    asked = [e["query"] for e in sandbox.request_log if e["path"] == f"/iam/v2/clients/{client_id}/tokens"]
    assert asked and all(f"issued_by={user_id}" in query for query in asked)  # Gcore is asked to filter


def test_a_bad_owner_filter_is_ignored_not_fatal(support_client, sandbox):
    client_id, _, _ = client_with_token_holder(sandbox)
    response = support_client.get(f"/clients/{client_id}/tokens/?owner=nobody")
    assert response.status_code == 200 and response.context["owner"] is None


def test_revoking_names_the_token_and_its_owner_and_sends_one_delete(support_client, sandbox, wire):
    client_id, _, token = client_with_token_holder(sandbox)
    url = f"/clients/{client_id}/tokens/{token['id']}/revoke/"
    page = html.unescape(support_client.get(url).content.decode())
    assert token["name"] in page and token["client_user"]["user_email"] in page
    assert "cannot be undone" in page
    response = support_client.post(url, {"reason": "Leaked in a public repository", "confirm": "on"})
    assert response.status_code == 302
    assert writes(wire) == [("DELETE", f"/iam/v2/clients/{client_id}/tokens/{token['id']}", None)]
    assert token["id"] not in {
        t.id for t in support_client.get(f"/clients/{client_id}/tokens/").context["tokens"]
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TOKEN_REVOKE)
    assert entry.details["reason"] == "Leaked in a public repository" and entry.upstream_status == 204


def test_a_revocation_whose_answer_never_came_is_not_sent_again(support_client, sandbox, wire):
    client_id, _, token = client_with_token_holder(sandbox)
    path = f"/iam/v2/clients/{client_id}/tokens/{token['id']}"
    sandbox.add_fault("timeout", method="DELETE", path=path, times=1)
    response = support_client.post(
        f"/clients/{client_id}/tokens/{token['id']}/revoke/", {"reason": "x", "confirm": "on"}
    )
    assert "may or may not have been applied in Gcore" in html.unescape(response.content.decode())
    assert [call for call in wire if call[0] == "DELETE"] == [("DELETE", path, None)]


def test_managers_cannot_act_on_people_or_tokens(manager_client, sandbox):
    client_id, user_id, token = client_with_token_holder(sandbox)
    for url in (
        f"/clients/{client_id}/users/invite/",
        f"/clients/{client_id}/users/{user_id}/remove/",
        f"/clients/{client_id}/users/{user_id}/reset-password/",
        f"/clients/{client_id}/tokens/{token['id']}/revoke/",
    ):
        assert manager_client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    page = manager_client.get(f"/clients/{client_id}/").content.decode()
    assert "Invite a user" not in page and f"/clients/{client_id}/users/{user_id}/remove/" not in page


def test_inside_the_client_page_the_invite_form_answers_as_a_partial(support_client, sandbox):
    client_id = first_live_client(sandbox)
    htmx = {"HX-Request": "true", "HX-Target": "user-editor"}
    url = f"/clients/{client_id}/users/invite/"
    refused = support_client.post(url, {"email": "bad", "role": "2", "lang": "en"}, headers=htmx)
    assert refused.status_code == 422
    assert refused.content.decode().lstrip().startswith('<section id="user-editor"')
    done = support_client.post(
        url, {"email": "pia.lund@example.org", "role": "2", "lang": "en"}, headers=htmx
    )
    assert done.status_code == 200
    triggers = done["HX-Trigger"]
    assert "users-updated" in triggers and "tokens-updated" in triggers and "Invited pia.lund" in triggers


def test_a_reset_for_an_email_gcore_no_longer_knows_says_so(support_client, sandbox, monkeypatch):
    import httpx

    from dashboard.sandbox import SandboxTransport

    original = SandboxTransport.handle_request

    def unknown(self, request):
        if request.url.path == "/iam/auth/reset_password":
            return httpx.Response(404, json={"detail": "User with given email not found."}, request=request)
        return original(self, request)

    monkeypatch.setattr(SandboxTransport, "handle_request", unknown)
    client_id, user = client_with_user_without_tokens(sandbox)
    response = support_client.post(f"/clients/{client_id}/users/{user['id']}/reset-password/")
    assert response.status_code == 422
    assert f"Gcore knows no user with the e-mail {user['email']}" in html.unescape(response.content.decode())


def test_revoking_a_token_revoked_meanwhile_says_so(support_client, sandbox, wire):
    client_id, _, token = client_with_token_holder(sandbox)
    gcore_call(sandbox, "DELETE", f"/iam/v2/clients/{client_id}/tokens/{token['id']}")
    response = support_client.post(
        f"/clients/{client_id}/tokens/{token['id']}/revoke/", {"reason": "x", "confirm": "on"}, follow=True
    )
    assert "already revoked" in html.unescape(response.content.decode())
    assert [call for call in wire if call[0] == "DELETE"] == []


def test_a_refused_confirmation_is_an_attempt_in_the_log(support_client, sandbox):
    client_id, user_id, token = client_with_token_holder(sandbox)
    support_client.post(f"/clients/{client_id}/users/{user_id}/remove/", {"reason": ""})
    support_client.post(f"/clients/{client_id}/tokens/{token['id']}/revoke/", {"reason": "no tick"})
    outcomes = set(AuditEntry.objects.values_list("action", "outcome"))
    assert outcomes == {("user.remove", "rejected"), ("token.revoke", "rejected")}
