"""Sessions, the login `next`, CSRF on every POST (htmx included), security headers, and the log of
refused requests."""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client as DjangoClient
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.helpers import PASSWORD, logged_in

pytestmark = pytest.mark.django_db


# --- headers ------------------------------------------------------------------------------------


def test_security_headers_on_every_kind_of_page(client, manager_client):
    for response in (
        client.get("/accounts/login/"),
        manager_client.get("/clients/"),
        manager_client.get("/nope/"),
    ):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "Content-Security-Policy" in response


def test_cookies_are_httponly_and_samesite(client, manager):
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"login": manager.username, "password": PASSWORD})
    session, csrf = client.cookies[settings.SESSION_COOKIE_NAME], client.cookies[settings.CSRF_COOKIE_NAME]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


# --- sessions -----------------------------------------------------------------------------------


def _session_store(key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def _set_session_end(moment) -> None:
    """Move the end of the (only) session, as time passing would: in the database, and the cached
    copy (kept for exactly as long as the session) gone with it."""
    Session.objects.update(expire_date=moment)
    cache.delete(_session_store(Session.objects.get().session_key).cache_key)


def test_a_session_lasts_a_working_day_of_inactivity_and_renews_on_use(manager_client):
    assert settings.SESSION_COOKIE_AGE == 9 * 60 * 60
    manager_client.get("/clients/")
    session = Session.objects.get()
    assert timedelta(hours=8, minutes=59) < session.expire_date - timezone.now() <= timedelta(hours=9)
    # A minute later (renewals are written at most once a minute), with 5 minutes left:
    store = _session_store(session.session_key)
    store["_renewed_at"] -= 61
    store.save()
    _set_session_end(timezone.now() + timedelta(minutes=5))
    manager_client.get("/clients/")  # activity moves the end of the session again
    assert Session.objects.get().expire_date - timezone.now() > timedelta(hours=8, minutes=59)


def test_sessions_are_read_from_the_shared_cache(manager_client):
    manager_client.get("/clients/")
    with CaptureQueriesContext(connection) as queries:
        manager_client.get("/activity/")
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_an_idle_session_has_expired(manager_client):
    manager_client.get("/activity/")
    _set_session_end(timezone.now() - timedelta(seconds=1))
    response = manager_client.get("/clients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logout_deletes_the_session_on_the_server(manager):
    http = DjangoClient()
    http.post("/accounts/login/", {"login": manager.username, "password": PASSWORD})
    key = http.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    http.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    # A copy of the old cookie is worth nothing now.
    thief = DjangoClient()
    thief.cookies[settings.SESSION_COOKIE_NAME] = key
    assert thief.get("/clients/").status_code == 302


def test_login_rotates_the_session_key(client, manager):
    client.get("/accounts/login/")
    client.cookies[settings.SESSION_COOKIE_NAME] = "planted-by-an-attacker"
    client.post("/accounts/login/", {"login": manager.username, "password": PASSWORD})
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != "planted-by-an-attacker"


# --- the login `next` ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
        " //evil.example",
    ],
)
def test_next_cannot_leave_the_site(client, manager, target):
    response = client.post(
        f"/accounts/login/?next={target}",
        {"login": manager.username, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("client-list")


def test_next_within_the_site_is_followed(client, manager):
    response = client.post(
        "/accounts/login/",
        {"login": manager.username, "password": PASSWORD, "next": "/clients/?cdn=active"},
    )
    assert response["Location"] == "/clients/?cdn=active"


def test_the_login_page_keeps_next_as_text(client):
    response = client.get('/accounts/login/?next=/clients/"><script>alert(1)</script>')
    assert b"<script>alert(1)" not in response.content


# --- CSRF ---------------------------------------------------------------------------------------


def _views(resolver: URLResolver | None = None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry)
        elif isinstance(entry, URLPattern):
            yield entry


def test_no_view_is_exempt_from_csrf():
    exempt = [str(p.pattern) for p in _views() if getattr(p.callback, "csrf_exempt", False)]
    assert exempt == []


def _page_token(response) -> str:
    """The token as htmx sends it: from the page's `hx-headers` on <body>, not from a cookie."""
    attribute = re.search(r"<body[^>]*hx-headers='([^']*)'", response.content.decode())[1]
    return json.loads(html.unescape(attribute))["X-CSRFToken"]


def test_posts_need_the_csrf_token_htmx_included(support, sandbox):
    http = DjangoClient(enforce_csrf_checks=True)
    http.force_login(support)
    # Without a token: refused, for a plain form and for htmx alike.
    assert http.post("/accounts/password_change/", {}).status_code == 403
    assert http.post("/accounts/password_change/", {}, headers={"HX-Request": "true"}).status_code == 403
    # With the token from the page, in the header htmx sets: accepted (the form then has errors).
    token = _page_token(http.get("/clients/"))
    response = http.post(
        "/accounts/password_change/", {}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert b"This field is required" in response.content


def test_logout_needs_the_csrf_token(manager):
    http = DjangoClient(enforce_csrf_checks=True)
    http.force_login(manager)
    assert http.post("/accounts/logout/").status_code == 403
    assert http.get("/clients/").status_code == 200  # still logged in: a forged logout does nothing


# --- refusals -----------------------------------------------------------------------------------


def test_refusals_are_logged_with_username_and_address(manager, sandbox, caplog):
    caplog.set_level(logging.INFO, logger="dashboard.security")
    client_id = next(i for i in sandbox.client_ids() if not sandbox.client_json(i)["deleted"])
    http = logged_in(manager)
    plain = http.get(f"/clients/{client_id}/edit/", REMOTE_ADDR="192.0.2.10")
    htmx = http.post(
        f"/clients/{client_id}/edit/", {}, headers={"HX-Request": "true"}, REMOTE_ADDR="192.0.2.10"
    )
    admin = http.get("/admin/", REMOTE_ADDR="192.0.2.10")
    assert (plain.status_code, htmx.status_code, admin.status_code) == (403, 403, 302)
    assert b"Your role does not allow this" in plain.content
    lines = [r.getMessage() for r in caplog.records if r.name == "dashboard.security"]
    assert (
        f"permission refused user='mia.manager' ip=192.0.2.10 GET /clients/{client_id}/edit/ -> 403" in lines
    )
    assert (
        f"permission refused user='mia.manager' ip=192.0.2.10 POST /clients/{client_id}/edit/ -> 403" in lines
    )
    assert "permission refused user='mia.manager' ip=192.0.2.10 GET /admin/ -> 302" in lines


def test_a_staff_account_without_a_role_is_refused_the_dashboard(nobody, sandbox):
    http = logged_in(nobody)
    client_id = sandbox.client_ids()[0]
    for path in ("/clients/", f"/clients/{client_id}/", f"/clients/{client_id}/edit/", "/activity/"):
        assert http.get(path).status_code == 403, path


def test_the_admin_is_for_superusers_even_with_the_staff_flag(support):
    support.is_staff = True
    support.save()
    http = logged_in(support)
    response = http.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert http.get("/admin/auth/user/").status_code == 302
