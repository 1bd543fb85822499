"""The dashboard against the sandbox on loopback with faults: what staff see, and what reaches Gcore.

The retries counted here are the requests the sandbox actually received.
"""

from __future__ import annotations

import html
import json
import time

import pytest
from django.test import override_settings

from dashboard.gcore import get_gcore_client
from dashboard.models import AuditEntry
from dashboard.sandbox import Sandbox, make_server
from tests.helpers import calls, form_data, logged_in, open_form, serving

pytestmark = pytest.mark.django_db
TOKEN = "loopback-token-for-fault-tests"


@pytest.fixture(scope="module")
def loopback():
    sandbox = Sandbox(token=TOKEN)
    with serving(make_server(sandbox)) as url:
        yield sandbox, url


@pytest.fixture
def upstream(loopback):
    """The dashboard pointed at the loopback sandbox, with short timeouts and quick retries."""
    sandbox, url = loopback
    sandbox.reset()
    with override_settings(
        GCORE_API_URL=url, GCORE_API_TOKEN=TOKEN, GCORE_READ_TIMEOUT=0.5, GCORE_CONNECT_TIMEOUT=0.5,
        GCORE_RETRY_BACKOFF=0.01, GCORE_RETRY_AFTER_CAP=2, GCORE_CACHE_SECONDS=0,
    ):  # fmt: skip
        get_gcore_client.cache_clear()
        yield sandbox
        get_gcore_client.cache_clear()


def test_reads_go_over_the_wire_with_the_token(upstream, manager):
    response = logged_in(manager).get("/clients/")
    assert response.status_code == 200
    # A real Gcore token: the sandbox badge does not name Gcore (SPP's sandbox still answers here).
    assert "No Gcore" not in response.content.decode() and "No SPP key" in response.content.decode()
    assert len(calls(upstream, "GET", "/iam/clients")) == 1


def test_transient_failures_are_retried_and_the_page_works(upstream, manager):
    upstream.add_fault("status", status=503, method="GET", path="/iam/clients", times=1)
    upstream.add_fault("status", status=502, method="GET", path="/iam/clients", times=1)
    response = logged_in(manager).get("/clients/")
    assert response.status_code == 200
    assert [e["status"] for e in calls(upstream, "GET", "/iam/clients")] == [503, 502, 200]


@pytest.mark.parametrize(
    ("fault", "status", "text"),
    [
        ({"kind": "status", "status": 503}, 503, "Nothing was changed by this page"),
        ({"kind": "status", "status": 500}, 502, "Gcore answered with an error."),
        ({"kind": "timeout", "seconds": 2}, 504, "Gcore did not answer in time."),
        ({"kind": "disconnect"}, 502, "The connection to Gcore broke off."),
        ({"kind": "malformed"}, 502, "Gcore sent a response the dashboard could not read."),
    ],
)
def test_each_failure_gives_a_plain_page_with_the_right_status(upstream, manager, fault, status, text):
    upstream.add_fault(**fault, path="/iam/clients")
    response = logged_in(manager).get("/clients/")
    assert response.status_code == status
    body = response.content.decode()
    assert text in body and "Traceback" not in body
    assert '<header class="site-header' in body  # the dashboard's own page, navigation intact
    # A read is retried twice on connection errors, timeouts, 429, 502, 503 and 504 only.
    tries = 1 if fault["kind"] == "malformed" or fault.get("status") == 500 else 3
    assert len(calls(upstream, "GET", "/iam/clients")) == tries


def test_an_htmx_request_gets_the_message_where_the_person_is_looking(upstream, manager):
    upstream.add_fault("status", status=503, path="/iam/clients")
    response = logged_in(manager).get("/clients/?cdn=active", headers={"HX-Request": "true"})
    assert response.status_code == 503
    event = json.loads(response["HX-Trigger"])["upstream-error"]
    assert event["headline"] == "Gcore did not answer."
    assert response.content.decode().lstrip().startswith('<article id="upstream-alert"')


def test_rate_limiting_honours_retry_after(upstream, manager):
    upstream.add_fault("status", status=429, retry_after=1, path="/iam/clients", times=1)
    started = time.monotonic()
    response = logged_in(manager).get("/clients/")
    assert response.status_code == 200
    assert time.monotonic() - started >= 1.0  # waited as told (a lower bound never flakes)
    assert [e["status"] for e in calls(upstream, "GET", "/iam/clients")] == [429, 200]


def test_a_long_retry_after_is_passed_on_to_the_person(upstream, manager):
    upstream.add_fault("status", status=429, retry_after=60, path="/iam/clients")
    response = logged_in(manager).get("/clients/")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Gcore is rate-limiting the dashboard." in response.content.decode()
    assert "Try again in 60 seconds." in response.content.decode()
    assert len(calls(upstream, "GET", "/iam/clients")) == 1


def test_a_refused_token_tells_staff_to_call_an_administrator(upstream, manager, admin_user):
    with override_settings(GCORE_API_TOKEN="wrong-token"):
        get_gcore_client.cache_clear()
        staff = logged_in(manager).get("/clients/")
        admin = logged_in(admin_user).get("/clients/")
    assert staff.status_code == 502
    assert "The dashboard's Gcore API token is missing or invalid." in html.unescape(staff.content.decode())
    assert "contact an administrator" in staff.content.decode()
    assert "GCORE_API_TOKEN" not in staff.content.decode()
    assert "GCORE_API_TOKEN" in admin.content.decode()  # administrators see where to set it
    assert "wrong-token" not in admin.content.decode()


def test_a_refused_sandbox_token_names_the_sandbox_settings(manager, admin_user, sandbox):
    # A training install's sandbox server refusing the dashboard: the fix is the sandbox's token.
    with override_settings(GCORE_SANDBOX_TOKEN="not-the-sandbox-token"):
        get_gcore_client.cache_clear()
        admin = logged_in(admin_user).get("/clients/")
    assert admin.status_code == 502
    page = admin.content.decode()
    assert "GCORE_SANDBOX_TOKEN" in page
    assert "GCORE_SANDBOX_URL" in page
    assert "not-the-sandbox-token" not in page


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        # Gcore answered: the change was refused, so nothing was saved.
        ({"kind": "status", "status": 503}, "Nothing was saved."),
        # No answer after the request left: Gcore may have applied it, and the person is told so.
        ({"kind": "timeout", "seconds": 2}, "The change may or may not have been applied in Gcore"),
    ],
)
def test_a_write_is_never_retried(upstream, support, fault, said):
    http = logged_in(support)
    client_id = upstream.client_ids()[0]
    form = open_form(http, f"/clients/{client_id}/edit/")
    upstream.add_fault(**fault, method="PATCH")
    response = http.post(
        f"/clients/{client_id}/edit/",
        form_data(form, company_name="Typed Name"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert 'value="Typed Name"' in response.content.decode()
    assert said in response.content.decode()
    assert len(calls(upstream, "PATCH", f"/iam/clients/{client_id}")) == 1
    entry = AuditEntry.objects.get()
    assert entry.outcome == "upstream_error"
    assert ("may or may not have been applied" in entry.message) == (fault["kind"] == "timeout")


def test_a_write_whose_connection_was_refused_is_retried_once_safely(upstream, support):
    http = logged_in(support)
    client_id = upstream.client_ids()[0]
    form = open_form(http, f"/clients/{client_id}/edit/")
    upstream.add_fault("disconnect", method="PATCH", times=1)
    response = http.post(f"/clients/{client_id}/edit/", form_data(form, company_name="Typed Name"))
    # A dropped connection is not a refused one: the request may have arrived, so no retry.
    assert response.status_code == 502
    assert "may or may not have been applied in Gcore" in response.content.decode()
    assert len(calls(upstream, "PATCH", f"/iam/clients/{client_id}")) == 1


def test_health_stays_up_and_readiness_reports_gcore(upstream, client):
    from dashboard.services import health

    health._probe.clear()
    upstream.add_fault("status", status=503)
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": {"database": "ok", "cache": "ok", "gcore": "error: GcoreUnavailable"},
    }
    health._probe.clear()
    upstream.clear_faults()
    assert client.get("/readyz").json()["checks"]["gcore"] == "ok"
    health._probe.clear()
