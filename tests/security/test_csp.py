"""The Content Security Policy: no 'unsafe-inline', no 'unsafe-eval', and nothing in our templates
that would need them. Every page the suite renders is also checked by tests/security/evidence.py;
these tests pin the policy itself, the main pages of each role, and the template sources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client as DjangoClient

from tests.helpers import first_client_with_users, logged_in
from tests.security.evidence import csp_header_problems, inline_code_problems

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
def test_the_policy(client):
    policy = directives(client.get("/accounts/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "manager", "support", "superuser"])
def test_main_pages_of_each_role_are_csp_clean(role, manager, support, admin_user, sandbox):
    target = first_client_with_users(sandbox)
    pages = {
        "anonymous": ["/accounts/login/", "/healthz"],
        "manager": [
            "/",
            "/clients/",
            "/clients/?cdn=active&ordering=-id",
            f"/clients/{target['id']}/",
            "/activity/",
            "/views/",
            "/accounts/password_change/",
            "/clients/0/edit/",
            "/no-such-page/",
        ],
        "support": [
            "/clients/",
            f"/clients/{target['id']}/",
            f"/clients/{target['id']}/edit/",
            f"/clients/{target['id']}/users/{target['users'][0]['id']}/edit/",
        ],
        "superuser": [
            "/clients/",
            "/admin/",
            "/admin/auth/user/",
            "/admin/axes/accessattempt/",
            f"/admin/auth/user/{admin_user.pk}/change/",
        ],
    }[role]
    http = (
        DjangoClient()
        if role == "anonymous"
        else logged_in({"manager": manager, "support": support, "superuser": admin_user}[role])
    )
    for path in pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = http.get(path, headers=headers)
            assert response.status_code < 500, path
            assert csp_header_problems(response.get("Content-Security-Policy")) == [], path
            if response.get("Content-Type", "").startswith("text/html"):
                assert inline_code_problems(response.content.decode()) == [], path


@pytest.mark.django_db
def test_error_pages_are_csp_clean(manager):
    http = DjangoClient(enforce_csrf_checks=True)
    http.force_login(manager)
    refused = http.post("/accounts/password_change/", {})  # no CSRF token: Django's CSRF failure page
    assert refused.status_code == 403
    assert b"This form has expired" in refused.content
    assert inline_code_problems(refused.content.decode()) == []
    assert csp_header_problems(refused["Content-Security-Policy"]) == []


def test_templates_have_no_inline_code():
    problems = {}
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert ROOT / "templates" / "base.html" in templates  # the walk really reads the templates
    for path in templates:
        found = inline_code_problems(TEMPLATE_COMMENT.sub("", path.read_text()))
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert problems == {}


def test_our_javascript_needs_no_eval():
    scripts = sorted((ROOT / "static" / "js").rglob("*.js"))
    assert ROOT / "static" / "js" / "app.js" in scripts  # the walk really reads our scripts
    for path in scripts:
        source = path.read_text()
        for forbidden in (
            "eval(",
            "new Function",
            'setTimeout("',
            "setTimeout('",
            ".innerHTML",
            "insertAdjacentHTML",
        ):
            assert forbidden not in source, f"{path.name}: {forbidden}"


def test_htmx_is_configured_for_the_csp():
    base = (ROOT / "templates" / "base.html").read_text()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'", base)[1])
    assert config["allowEval"] is False  # no hx-on / hx-vars / js: expressions
    assert config["includeIndicatorStyles"] is False  # htmx would inject a <style> element
    assert config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
