"""Settings come from the environment; a production start without SECRET_KEY stops with a clear message."""

from __future__ import annotations

from django.conf import settings

from dashboard.gcore import is_sandbox
from tests.helpers import run_manage


def test_production_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_come_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, "
        "s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.GCORE_API_URL)",
        DEBUG="false",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="dash.example.com",
        DATABASE_URL="postgres://u:p@db.example.com:5432/dash",
        CACHE_URL="redis://cache.example.com:6379/0",
        GCORE_API_URL="https://gcore.example.test",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == (
        "False ['dash.example.com'] django.db.backends.postgresql "
        "dashboard.cache_backend.RedisCache https://gcore.example.test"
    )


def test_no_token_means_the_sandbox():
    assert settings.GCORE_API_TOKEN == ""
    assert is_sandbox()
