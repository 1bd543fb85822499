"""`manage.py check --deploy` is clean with production settings taken from the environment, and
fails an install that would answer from sandbox data without being asked to."""

from __future__ import annotations

import secrets

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from tests.helpers import run_manage

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "dash.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dash.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/0",  # only parsed: the check does not connect
    "GCORE_API_TOKEN": secrets.token_urlsafe(30),
}


def test_check_deploy_prints_no_warnings_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_does_complain_about_development_settings():
    # The same command with DEBUG on warns, so the test above is not vacuous.
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr


def test_check_deploy_fails_when_workers_would_not_share_one_cache():
    # Sessions, permissions and Gcore reads are cached: per-process memory would hide a logout or a
    # revoked permission from the other workers.
    settings = PRODUCTION | {"CACHE_URL": "locmemcache://"}
    result = run_manage("check", "--deploy", **settings)
    assert result.returncode != 0
    assert "dashboard.E001" in result.stdout + result.stderr


def test_production_cookies_and_https_settings():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, s.TRUSTED_PROXY_COUNT)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == (
        "True True True True Lax 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https') 1"
    )


def test_check_deploy_fails_without_a_gcore_token():
    # Today's quiet fallback would serve the in-process sandbox's demo data to staff in production.
    settings = {key: value for key, value in PRODUCTION.items() if key != "GCORE_API_TOKEN"}
    result = run_manage("check", "--deploy", **settings)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "GCORE_API_TOKEN is not set" in said and "GCORE_SANDBOX=true" in said


def test_check_deploy_is_clean_for_a_training_install_on_a_sandbox_server():
    settings = {key: value for key, value in PRODUCTION.items() if key != "GCORE_API_TOKEN"}
    training = {"GCORE_SANDBOX": "true", "GCORE_SANDBOX_URL": "http://127.0.0.1:8001"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **settings, **training)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# The same rules as a system check, for settings changed after dashboard.settings was read (a
# settings module that imports it and overrides): the check framework runs them in this process.
IN_PRODUCTION = {"DEBUG": False, "GCORE_API_TOKEN": "", "GCORE_SANDBOX": False, "GCORE_SANDBOX_URL": ""}
IN_PRODUCTION |= {"SPP_API_URL": "", "SPP_API_TOKEN": "", "SPP_SANDBOX": False, "SPP_SANDBOX_URL": ""}
SANDBOX_SERVER = "http://127.0.0.1:8001"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({}, "dashboard.E010"),
        ({"GCORE_API_TOKEN": "t", "GCORE_SANDBOX": True}, "dashboard.E011"),
        ({"GCORE_SANDBOX": True}, "dashboard.E012"),
        ({"GCORE_SANDBOX": True, "GCORE_SANDBOX_URL": "ftp://127.0.0.1"}, "dashboard.E013"),
        ({"GCORE_API_TOKEN": "t", "SPP_API_URL": "https://acme.spp.co"}, "dashboard.E014"),
        ({"GCORE_API_TOKEN": "t", "SPP_API_TOKEN": "k"}, "dashboard.E015"),
        (
            {
                "GCORE_API_TOKEN": "t",
                "SPP_API_URL": "https://acme.spp.co",
                "SPP_API_TOKEN": "k",
                "SPP_SANDBOX": True,
            },
            "dashboard.E016",
        ),
        ({"GCORE_API_TOKEN": "t", "SPP_SANDBOX": True}, "dashboard.E017"),
        ({"GCORE_API_TOKEN": "t", "SPP_SANDBOX": True, "SPP_SANDBOX_URL": "spp:8002"}, "dashboard.E018"),
    ],
)
def test_the_deploy_check_reports_each_refused_combination(overrides, error):
    with override_settings(**(IN_PRODUCTION | overrides)):
        found = [message for message in run_checks(include_deployment_checks=True) if message.id == error]
    assert len(found) == 1 and found[0].is_serious()
    assert found[0].hint  # says what to set


@pytest.mark.parametrize(
    "overrides",
    [
        {"GCORE_API_TOKEN": "t"},
        {"GCORE_API_TOKEN": "t", "SPP_API_URL": "https://acme.spp.co", "SPP_API_TOKEN": "k"},
        {"GCORE_SANDBOX": True, "GCORE_SANDBOX_URL": SANDBOX_SERVER},
        {
            "GCORE_SANDBOX": True,
            "GCORE_SANDBOX_URL": SANDBOX_SERVER,
            "SPP_SANDBOX": True,
            "SPP_SANDBOX_URL": SANDBOX_SERVER,
        },
    ],
)
def test_the_deploy_check_passes_the_combinations_that_start(overrides):
    with override_settings(**(IN_PRODUCTION | overrides)):
        ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert not {f"dashboard.E0{number}" for number in range(10, 19)} & ids
