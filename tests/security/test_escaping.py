"""Upstream text is untrusted: names, emails and company names with markup render as text on every
page (list, detail, forms, messages, CSV, history), never as HTML."""

from __future__ import annotations

import html

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.urls import reverse

from dashboard.models import AuditEntry
from tests.security.evidence import inline_code_problems

pytestmark = pytest.mark.django_db

# An attribute-breaking, tag-opening payload: rendered raw it would run script in the page.
MARKUP = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
MARKER = "Zyxwvut"  # a plain word next to the payload, to find the client through the list filter


def assert_shown_as_text(body: str, payload: str = MARKUP) -> None:
    assert payload not in body, "upstream markup reached the page unescaped"
    assert "<img src=x" not in body and "<script>alert" not in body
    assert inline_code_problems(body) == []
    # What the person sees is the payload's text, escaped once (not zero times, not twice), quotes
    # included, as Django's autoescape and format_html write it in text and in attributes alike.
    assert html.escape(payload) in body
    assert "&amp;lt;" not in body


@pytest.fixture
def marked(sandbox) -> dict:
    """A live client whose company, owner name, email and users carry markup.

    Set straight in the sandbox's store: the sandbox validates emails like Gcore does, but the
    dashboard must not rely on Gcore for that (data may predate a rule, or come from elsewhere)."""
    client_id = next(
        i for i in sandbox.client_ids() if not (c := sandbox.client_json(i))["deleted"] and c["users"]
    )
    with sandbox._lock:
        store = sandbox._store
        record = store.clients[client_id]
        record.fields["companyName"] = f"{MARKUP} {MARKER}"
        record.fields["name"] = MARKUP
        record.fields["email"] = f"{MARKUP}@example.com"
        for user_id in record.user_ids:
            store.users[user_id].fields.update(name=MARKUP, email=f"x{MARKUP}@example.com", company=MARKUP)
    return sandbox.client_json(client_id)


def test_client_list(manager_client, marked):
    response = manager_client.get(f"/clients/?companyName={MARKER}")
    assert response.status_code == 200
    assert str(marked["id"]) in response.content.decode()
    assert_shown_as_text(response.content.decode())


def test_client_list_partial(manager_client, marked):
    response = manager_client.get(f"/clients/?companyName={MARKER}", headers={"HX-Request": "true"})
    assert_shown_as_text(response.content.decode())


def test_client_detail_with_its_users(manager_client, marked):
    response = manager_client.get(f"/clients/{marked['id']}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert_shown_as_text(body)
    assert_shown_as_text(body, f"x{MARKUP}@example.com")


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


def test_client_edit_form(support_client, marked):
    response = support_client.get(_url("client-edit", client_id=marked["id"]))
    assert response.status_code == 200
    assert_shown_as_text(response.content.decode())


def test_user_edit_form(support_client, marked):
    user_id = marked["users"][0]["id"]
    response = support_client.get(_url("user-edit", client_id=marked["id"], user_id=user_id))
    assert response.status_code == 200
    assert_shown_as_text(response.content.decode())


def test_messages(manager_client):
    # A message that quotes upstream text ("Saved Acme <b>…</b>") goes through the messages framework.
    storage = CookieStorage(HttpRequest())
    manager_client.cookies[storage.cookie_name] = storage._encode(
        [Message(message_levels.SUCCESS, f"Saved {MARKUP}")]
    )
    response = manager_client.get("/clients/")
    assert_shown_as_text(response.content.decode())


def _audit_entry(client_id: int, manager) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=manager,
        actor_username=manager.username,
        action=AuditEntry.Action.CLIENT_UPDATE,
        client_id=client_id,
        changes=[{"field": "companyName", "old": MARKUP, "new": f"{MARKUP} {MARKER}"}],
        outcome=AuditEntry.Outcome.REJECTED,
        message=MARKUP,
    )


def test_history_on_the_activity_page(manager, manager_client, marked):
    url = _url("activity")
    _audit_entry(marked["id"], manager)
    response = manager_client.get(url)
    assert response.status_code == 200
    assert_shown_as_text(response.content.decode())


def test_history_on_the_client_detail(manager, manager_client, marked):
    _audit_entry(marked["id"], manager)
    response = manager_client.get(f"/clients/{marked['id']}/")
    assert_shown_as_text(response.content.decode())


def test_csv_export_is_text_the_browser_will_not_sniff(manager_client, marked):
    response = manager_client.get(_url("client-export") + f"?companyName={MARKER}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response.get("Content-Disposition", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # CSV is not HTML: the value is there as typed (CSV-quoted), never HTML-escaped.
    assert MARKER.encode() in body
    assert html.escape(MARKUP).encode() not in body
