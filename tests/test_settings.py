"""Settings come from the environment; a production start without SECRET_KEY stops with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from dashboard.gcore import is_sandbox

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG", "GCORE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "dashboard.settings"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_come_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.GCORE_API_URL)",
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
        "django.core.cache.backends.redis.RedisCache https://gcore.example.test"
    )


def test_no_token_means_the_sandbox():
    assert settings.GCORE_API_TOKEN == ""
    assert is_sandbox()
