"""Staff accounts: login, logout, password change, groups, and the login wall with and without htmx."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from dashboard.roles import MANAGERS, ROLE_PERMISSIONS, SUPPORT_AGENTS
from tests.helpers import PASSWORD, logged_in


@pytest.mark.django_db
def test_roles_exist_after_migrate_with_their_permissions():
    for name in (MANAGERS, SUPPORT_AGENTS):
        group = Group.objects.get(name=name)
        assert sorted(group.permissions.values_list("codename", flat=True)) == sorted(ROLE_PERMISSIONS[name])


@pytest.mark.django_db
def test_superuser_has_every_dashboard_permission(admin_user):
    for codename in (
        "view_clients",
        "change_clients",
        "change_client_users",
        "reassign_clients",
        "export_clients",
        "view_activity",
    ):
        assert admin_user.has_perm(f"dashboard.{codename}")


@pytest.mark.django_db
def test_pages_need_a_login(client):
    response = client.get("/clients/?cdn=active")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/clients/%3Fcdn%3Dactive"


@pytest.mark.django_db
def test_an_expired_htmx_request_sends_the_browser_to_the_login_page(client):
    response = client.get(
        "/clients/?page=2",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/clients/?page=2"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fclients%2F%3Fpage%3D2"
    assert b"<form" not in response.content


@pytest.mark.django_db
def test_healthz_needs_no_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_login_page_and_successful_login(client, manager):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'name="login"' in page.content and b"Username" in page.content
    response = client.post("/accounts/login/", {"login": manager.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("client-list")


@pytest.mark.django_db
def test_wrong_password_shows_an_error_and_keeps_the_username(client, manager):
    response = client.post("/accounts/login/", {"login": manager.username, "password": "wrong"})
    assert response.status_code == 200
    assert b"The username and/or password you specified are not correct." in response.content
    assert f'value="{manager.username}"'.encode() in response.content


@pytest.mark.django_db
def test_login_next_cannot_leave_the_site(client, manager):
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"login": manager.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("client-list")


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(manager):
    http = logged_in(manager)
    page = http.get("/accounts/logout/")  # a confirmation: a link alone never signs anyone out
    assert page.status_code == 200 and http.get("/clients/").status_code == 200
    response = http.post("/accounts/logout/")
    assert response.status_code == 302
    assert http.get("/clients/").status_code == 302


@pytest.mark.django_db
def test_password_change(manager):
    http = logged_in(manager)
    response = http.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-pass-2026",
            "new_password2": "a-much-better-pass-2026",
        },
    )
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.check_password("a-much-better-pass-2026")


@pytest.mark.django_db
def test_password_validators_are_on(manager):
    http = logged_in(manager)
    response = http.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert response.status_code == 200
    assert b"too short" in response.content


@pytest.mark.django_db
def test_admin_is_for_superusers(admin_client_, manager_client):
    assert admin_client_.get("/admin/auth/user/").status_code == 200
    assert manager_client.get("/admin/auth/user/").status_code == 302


@pytest.mark.django_db
def test_demo_accounts_command_is_repeatable(capsys):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("demo_accounts")
    call_command("demo_accounts")
    out = capsys.readouterr().out
    users = {u.username: u for u in get_user_model().objects.all()}
    assert set(users) == {"admin", "manager", "support"}
    assert users["admin"].is_superuser
    assert [g.name for g in users["manager"].groups.all()] == [MANAGERS]
    assert [g.name for g in users["support"].groups.all()] == [SUPPORT_AGENTS]
    password = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("manager"))
    assert users["manager"].check_password(password)


@pytest.mark.django_db
def test_an_active_session_is_written_at_most_once_a_minute(manager_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager_client.get("/activity/")
    with CaptureQueriesContext(connection) as queries:
        manager_client.get("/activity/")
    assert not [
        q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
    ]
