"""`manage.py check --deploy` is clean with production settings taken from the environment."""

from __future__ import annotations

import secrets

from tests.helpers import run_manage

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "dash.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dash.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/0",  # only parsed: the check does not connect
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
