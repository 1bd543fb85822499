"""Settings come from the environment; a production start without SECRET_KEY, or without a Gcore
token, or with SPP half-configured, stops with a message that says what to set."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from dashboard.gcore import is_sandbox
from tests.helpers import logged_in, run_manage

# With DEBUG off a SECRET_KEY is needed before anything else is looked at.
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 60}
SHOW_MODES = "from django.conf import settings as s; print(s.GCORE_SANDBOX, s.SPP_MODE, s.TRAINING_INSTALL)"


def modes(**env: str) -> str:
    """`GCORE_SANDBOX SPP_MODE TRAINING_INSTALL` as a process started with `env` decides them."""
    result = run_manage("shell", "-c", SHOW_MODES, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[-2]


def refusal(*args: str, **env: str) -> str:
    """What a process started with `env` says as it refuses to start."""
    result = run_manage(*(args or ("check",)), **env)
    assert result.returncode != 0, result.stdout
    return result.stderr


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
        GCORE_API_TOKEN="a-real-token",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == (
        "False ['dash.example.com'] django.db.backends.postgresql "
        "dashboard.cache_backend.RedisCache https://gcore.example.test"
    )


def test_no_token_means_the_sandbox():
    assert settings.GCORE_API_TOKEN == ""
    assert is_sandbox()


# -- Gcore: production never answers from demo data unless asked ---------------------------------


def test_production_without_a_gcore_token_refuses_to_start():
    said = refusal(**PRODUCTION)
    assert "GCORE_API_TOKEN is not set" in said
    assert "GCORE_SANDBOX=true" in said  # the way to a training install, named
    assert "[dashboard.E010]" in said


def test_production_with_a_gcore_token_starts_without_a_sandbox():
    assert modes(**PRODUCTION, GCORE_API_TOKEN="a-real-token") == "False off False"


def test_development_without_a_token_uses_the_in_process_sandboxes():
    assert modes(DEBUG="true") == "True sandbox False"
    # An empty value, as copied from .env.example, is no value.
    assert modes(DEBUG="true", GCORE_SANDBOX="", SPP_SANDBOX="") == "True sandbox False"


def test_development_that_turns_the_sandbox_off_needs_a_token():
    assert "GCORE_API_TOKEN is not set" in refusal(DEBUG="true", GCORE_SANDBOX="false")


def test_a_training_install_needs_one_sandbox_server_for_every_process():
    said = refusal(**PRODUCTION, GCORE_SANDBOX="true")
    assert "GCORE_SANDBOX_URL is not set" in said
    assert "its own in-process Gcore sandbox" in said  # why
    assert "manage.py gcore_sandbox" in said  # and how


def test_a_training_install_with_a_sandbox_server_starts_and_says_so():
    url = "http://127.0.0.1:8001"
    assert modes(**PRODUCTION, GCORE_SANDBOX="true", GCORE_SANDBOX_URL=url) == "True off True"


def test_a_sandbox_url_that_is_no_address_is_refused():
    said = refusal(**PRODUCTION, GCORE_SANDBOX="true", GCORE_SANDBOX_URL="127.0.0.1:8001")
    assert "GCORE_SANDBOX_URL is not an http:// or https:// address" in said


@pytest.mark.parametrize("debug", ["true", "false"])
def test_a_token_and_the_sandbox_together_are_refused(debug):
    said = refusal(DEBUG=debug, SECRET_KEY="x" * 60, GCORE_API_TOKEN="a-real-token", GCORE_SANDBOX="true")
    assert "GCORE_API_TOKEN is set and GCORE_SANDBOX is true" in said
    assert "Drop GCORE_SANDBOX" in said and "drop GCORE_API_TOKEN" in said


# -- SPP: never half-configured; a training install like Gcore's ---------------------------------

PRODUCTION_GCORE = PRODUCTION | {"GCORE_API_TOKEN": "a-real-token"}


@pytest.mark.parametrize("debug", ["true", "false"])
@pytest.mark.parametrize(
    ("given", "missing"),
    [({"SPP_API_URL": "https://acme.spp.co"}, "SPP_API_TOKEN"), ({"SPP_API_TOKEN": "k"}, "SPP_API_URL")],
)
def test_spp_half_configured_refuses_to_start(debug, given, missing):
    said = refusal(**(PRODUCTION_GCORE | given | {"DEBUG": debug}))
    assert f"{missing} is not: the billing link is half-configured" in said


def test_production_without_any_spp_setting_has_billing_off():
    assert modes(**PRODUCTION_GCORE) == "False off False"


def test_production_with_spp_configured_talks_to_spp():
    spp = {"SPP_API_URL": "https://acme.spp.co", "SPP_API_TOKEN": "k"}
    assert modes(**PRODUCTION_GCORE, **spp) == "False api False"


def test_an_spp_training_install_needs_one_sandbox_server_too():
    said = refusal(**PRODUCTION_GCORE, SPP_SANDBOX="true")
    assert "SPP_SANDBOX_URL is not set" in said and "manage.py spp_sandbox" in said
    url = "http://127.0.0.1:8002"
    assert modes(**PRODUCTION_GCORE, SPP_SANDBOX="true", SPP_SANDBOX_URL=url) == "False sandbox True"


def test_an_spp_key_and_the_spp_sandbox_together_are_refused():
    spp = {"SPP_API_URL": "https://acme.spp.co", "SPP_API_TOKEN": "k", "SPP_SANDBOX": "true"}
    assert "SPP_API_TOKEN is set and SPP_SANDBOX is true" in refusal(**PRODUCTION_GCORE, **spp)


# -- the badge on every page ---------------------------------------------------------------------

TRAINING_BADGE = "Training install: sandbox data, nothing reaches Gcore or SPP"


@pytest.mark.django_db
def test_development_pages_carry_the_sandbox_badge(manager):
    page = logged_in(manager).get("/clients/").content.decode()
    assert "Sandbox data" in page and "Training install" not in page


@pytest.mark.django_db
@override_settings(TRAINING_INSTALL=True)
def test_a_training_install_says_so_on_every_page_signed_in_or_not(client, manager):
    assert TRAINING_BADGE in client.get("/accounts/login/").content.decode()
    http = logged_in(manager)
    for url in ("/", "/clients/", "/activity/"):
        page = http.get(url).content.decode()
        assert TRAINING_BADGE in page, url
        assert "Sandbox data" not in page


@pytest.mark.django_db
@override_settings(TRAINING_INSTALL=True, SPP_MODE="off")
def test_the_training_badge_names_only_the_sandboxed_system(manager):
    page = logged_in(manager).get("/clients/").content.decode()
    assert "Training install: sandbox data, nothing reaches Gcore<" in page
