"""Which Gcore the process's one client talks to: the in-process sandbox in development, or one
sandbox server shared by every process (GCORE_SANDBOX_URL), which a training install needs."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from dashboard.gcore import get_gcore_client, get_sandbox
from dashboard.sandbox import Sandbox, make_server
from tests.helpers import calls, first_live_client, form_data, logged_in, open_form, run_manage, serving

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_sandbox():
    """A sandbox server on loopback, and the dashboard of this process pointed at it."""
    sandbox = Sandbox(token=settings.GCORE_SANDBOX_TOKEN)
    with serving(make_server(sandbox)) as url, override_settings(GCORE_SANDBOX_URL=url):
        get_gcore_client.cache_clear()
        yield sandbox, url
        get_gcore_client.cache_clear()


def test_without_a_sandbox_url_the_process_has_its_own_sandbox(manager):
    assert logged_in(manager).get("/clients/").status_code == 200
    assert calls(get_sandbox(), "GET", "/iam/clients")


def test_with_a_sandbox_url_every_call_goes_to_the_sandbox_server(shared_sandbox, manager):
    server, _ = shared_sandbox
    assert logged_in(manager).get("/clients/").status_code == 200
    assert calls(server, "GET", "/iam/clients")  # over the socket, with the sandbox token
    assert not calls(get_sandbox(), "GET", "/iam/clients")  # nothing in-process


def test_another_process_of_a_training_install_sees_a_change_made_here(shared_sandbox, support):
    server, url = shared_sandbox
    client_id = first_live_client(server)
    http = logged_in(support)
    form = open_form(http, f"/clients/{client_id}/edit/")
    saved = http.post(f"/clients/{client_id}/edit/", form_data(form, name="Trainee Renamed"), follow=True)
    assert "Client saved: Contact name." in saved.content.decode()
    assert get_sandbox().client_json(client_id)["name"] != "Trainee Renamed"  # not this process's own

    # A second dashboard process (a web server or a worker) of a production training install.
    other = run_manage(
        "shell",
        "-c",
        "from dashboard.gcore import get_gcore_client; "
        f"print(get_gcore_client().get_client({client_id}).name)",
        DEBUG="false",
        SECRET_KEY="x" * 60,
        GCORE_SANDBOX="true",
        GCORE_SANDBOX_URL=url,
        GCORE_SANDBOX_TOKEN=settings.GCORE_SANDBOX_TOKEN,
        GCORE_RETRY_BACKOFF="0.01",
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.split("\n")[-2] == "Trainee Renamed"
