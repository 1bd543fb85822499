"""A client's people and keys in Chromium: inviting a user, removing one who holds a token (the token
revoked first), and sending an invitation again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import first_live_client, gcore_call, log_in

pytestmark = pytest.mark.browser


def _token_holder(sandbox):
    """A live client with at least two users, one of whom holds exactly one live token."""
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        if client["deleted"] or len(client["users"]) < 2:
            continue
        _, tokens = gcore_call(sandbox, "GET", f"/iam/v2/clients/{client_id}/tokens")
        users = {user["id"]: user for user in client["users"]}
        held: dict[int, list[dict]] = {}
        for token in tokens:
            if not token["deleted"] and token["client_user"]["user_id"] in users:
                held.setdefault(token["client_user"]["user_id"], []).append(token)
        for user_id, owned in held.items():
            if len(owned) == 1:
                return client_id, users[user_id], owned[0]
    raise AssertionError("no client has a user holding exactly one token")


def test_support_invites_a_user_and_sees_them_listed(page, support, sandbox):
    client_id = first_live_client(sandbox)
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="Invite a user").click()
    editor = page.locator("#user-editor")
    editor.get_by_label("Email").fill("lena.fischer@example.org")
    editor.get_by_label("Name").fill("Lena Fischer")
    editor.get_by_label("Role").select_option(label="Engineers")
    editor.get_by_role("button", name="Send the invitation").click()

    expect(page.locator("#alerts")).to_contain_text("Invited lena.fischer@example.org")
    users = page.locator("#client-users")
    row = users.locator("tr", has_text="lena.fischer@example.org")
    expect(row).to_contain_text("invited")
    expect(row).to_contain_text("Engineers")
    expect(page.locator("#client-history")).to_contain_text("User invited")
    assert page.evaluate("window.__samePage") is True
    assert page.errors == []


def test_removing_a_user_who_holds_a_token_revokes_it_first(page, support, sandbox):
    client_id, user, token = _token_holder(sandbox)
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.get_by_role("link", name=f"Remove {user['email']}").click()
    editor = page.locator("#user-editor")
    expect(editor).to_contain_text("If this is their only Gcore account, Gcore deletes the user.")
    expect(editor).to_contain_text("holds 1 API token")
    editor.get_by_role("link", name=f"Revoke {token['name']}").click()

    # The revocation page names the token and its owner, then comes back to the removal.
    expect(page.get_by_role("heading", level=1)).to_contain_text(token["name"])
    expect(page.locator("#token-revoke")).to_contain_text(user["email"])
    page.get_by_label("Reason").fill("Offboarding: left the company")
    page.get_by_role("checkbox", name=re.compile("I understand")).check()
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.locator("#alerts")).to_contain_text(f"Revoked the API token '{token['name']}'")
    expect(page).to_have_url(re.compile(rf"/clients/{client_id}/users/{user['id']}/remove/$"))
    expect(page.locator("#user-editor")).not_to_contain_text("API token")

    page.get_by_label("Reason").fill("Offboarding: left the company")
    page.get_by_role("checkbox", name=re.compile("I understand")).check()
    page.get_by_role("button", name="Remove access").click()
    expect(page).to_have_url(re.compile(rf"/clients/{client_id}/(#client-users)?$"))
    expect(page.locator("#alerts")).to_contain_text(f"Removed {user['email']}'s access")
    expect(page.locator("#client-users")).not_to_contain_text(user["email"])
    assert user["id"] not in [u["id"] for u in sandbox.client_json(client_id)["users"]]
    assert page.errors == []


def test_support_sends_an_invitation_again(page, support, sandbox):
    client_id = first_live_client(sandbox)
    body = {
        "email": "slow.reader@example.org",
        "user_role": {"id": 2, "name": "Users"},
        "client_id": client_id,
    }
    gcore_call(sandbox, "POST", "/iam/clients/invite_user", body)
    log_in(page, support.username)
    page.goto(f"/clients/{client_id}/")
    page.get_by_role("link", name="Resend invitation to slow.reader@example.org").click()
    editor = page.locator("#user-editor")
    expect(editor).to_contain_text("Gcore e-mails slow.reader@example.org the link to activate")
    editor.get_by_role("button", name="Resend the invitation").click()
    expect(page.locator("#alerts")).to_contain_text(
        "Gcore sent the invitation to slow.reader@example.org again."
    )
    expect(page.locator("#client-history")).to_contain_text("Invitation sent again")
    assert page.errors == []
