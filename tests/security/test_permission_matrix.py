"""Every URL pattern of the project, for every role, GET and POST (and GET through htmx).

The table of expected outcomes (EXPECTED, with HOW TO ADD A VIEW) and the discovery of the URL
patterns live in tests/security/matrix.py, shared with the accessibility test of tests/browser/.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client as DjangoClient
from django.urls import resolve

from tests.helpers import logged_in
from tests.security.matrix import (
    ADMIN,
    DENIED,
    EXPECTED,
    LOGIN,
    NO,
    OK,
    PARAMS,
    ROLES,
    ROUTES,
    Route,
    row_for,
    sample_url,
)


def test_every_url_pattern_has_a_row():
    missing = sorted({route.key for route in ROUTES if row_for(route) is None})
    assert not missing, (
        f"URL patterns without an expected outcome per role: {missing}. "
        "Add a row to EXPECTED in tests/security/matrix.py."
    )


def test_every_parameter_has_a_sample_value():
    unknown = sorted({p for route in ROUTES for p in route.params if p not in PARAMS})
    assert not unknown, f"Add sample values for these path parameters to PARAMS: {unknown}"


def test_the_table_names_only_existing_urls():
    keys = {route.key for route in ROUTES}
    stale = sorted(k for k in EXPECTED if not k.endswith(":*") and k not in keys)
    assert not stale, f"Rows for URL names that do not exist: {stale}"


# --- the walk ------------------------------------------------------------------------------------


def _client_for(role: str, users: dict) -> DjangoClient:
    return DjangoClient() if role == "anonymous" else logged_in(users[role])


def _login_pages() -> tuple[str, ...]:
    return (resolve_url(settings.LOGIN_URL), "/admin/login/")


def _outcome(response, *, htmx: bool) -> str:
    status = response.status_code
    location = (
        response.get("HX-Redirect") if htmx and response.get("HX-Redirect") else response.get("Location", "")
    )
    if status == 403:
        return DENIED
    if status == 405:
        return NO
    if status == 404:
        return "404"
    if (status in (301, 302, 303) or response.get("HX-Redirect")) and location.startswith(_login_pages()):
        return LOGIN
    if status < 400 or status == 422:
        return OK
    return f"HTTP {status}"


def _matches(expected: str, actual: str) -> bool:
    return actual == expected or (expected == ADMIN and actual in (OK, DENIED, NO, "404"))


CASES = [
    pytest.param(route, method, id=f"{route.key} {method}")
    for route in ROUTES
    if row_for(route) is not None
    for method in ("GET", "POST", "HX-GET")
    if not (method == "HX-GET" and route.key.startswith("admin:"))
]


@pytest.fixture
def role_users(manager, support, admin_user) -> dict:
    return {"manager": manager, "support": support, "superuser": admin_user}


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), CASES)
def test_each_role_gets_what_it_may(route: Route, method: str, role_users, sandbox):
    row = row_for(route)
    url = sample_url(route, sandbox)
    resolve(url)  # the sample URL really is this pattern's (raises Resolver404 otherwise)
    expected = row.post if method == "POST" else row.get
    failures = []
    for role in ROLES:
        http = _client_for(role, role_users)
        if method == "POST":
            response = http.post(url, {})
        elif method == "GET":
            response = http.get(url)
        else:
            response = http.get(
                url, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"}
            )
        actual = _outcome(response, htmx=method == "HX-GET")
        if not _matches(getattr(expected, role), actual):
            failures.append(
                f"{role}: expected {getattr(expected, role)}, got {actual} ({response.status_code})"
            )
    assert not failures, f"{method} {url}: " + "; ".join(failures)


# Pages every staff member has, whatever their groups (their own account), and the probes.
ACCOUNT_PAGES = {
    "login", "logout", "password_change", "password_change_done", "healthz", "readyz", "account_login",
    "account_logout", "account_reauthenticate", "mfa_index", "mfa_authenticate", "mfa_reauthenticate",
    "mfa_reauthenticate_webauthn", "mfa_activate_totp", "mfa_deactivate_totp", "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes", "mfa_download_recovery_codes", "mfa_list_webauthn", "mfa_add_webauthn",
    "mfa_remove_webauthn", "mfa_edit_webauthn",
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=r.key)
        for r in ROUTES
        if row_for(r) and not r.namespace and r.key not in ACCOUNT_PAGES
    ],
)
def test_a_staff_account_in_no_group_is_refused_every_dashboard_page(route: Route, nobody, sandbox):
    url = sample_url(route, sandbox)
    http = logged_in(nobody)
    outcomes = {
        method: _outcome(getattr(http, method.lower())(url), htmx=False) for method in ("GET", "POST")
    }
    assert set(outcomes.values()) <= {DENIED, NO}, f"{url}: {outcomes}"
