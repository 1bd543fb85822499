"""The Gcore token never reaches a browser, a log line or an error report.

The whole-run check lives in tests/security/evidence.py (wired in tests/settings.py and
tests/conftest.py): every upstream call of the suite carries CANARY_TOKEN, and every response and
log record of the run is searched for it. These tests prove the wiring is live and exercise the
paths where a token would most likely slip out: upstream failures and error reports.
"""

from __future__ import annotations

import json
import logging
import sys

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from dashboard.gcore import get_gcore_client
from dashboard.security import SecretsReporterFilter
from tests.helpers import logged_in
from tests.security.evidence import CANARY_TOKEN, Evidence, LeakLogHandler, check_response


def test_every_upstream_call_of_the_suite_carries_the_canary(sandbox):
    assert settings.GCORE_SANDBOX_TOKEN == CANARY_TOKEN
    assert sandbox.token == CANARY_TOKEN
    assert get_gcore_client()._http.headers["Authorization"] == f"APIKey {CANARY_TOKEN}"


def test_the_watchers_catch_a_leak():
    evidence = Evidence()
    check_response("GET /x", HttpResponse(f"<p>{CANARY_TOKEN}</p>"), evidence)
    response = HttpResponse("ok")
    response["X-Debug"] = CANARY_TOKEN
    check_response("GET /y", response, evidence)
    handler = LeakLogHandler(evidence)
    logger = logging.getLogger("tests.leak-selftest")
    logger.addHandler(handler)
    logger.propagate = False  # keep this deliberate leak away from the real watcher on the root logger
    try:
        logger.warning("calling Gcore with %s", CANARY_TOKEN)
        logger.info("plain line", extra={"headers": {"Authorization": f"APIKey {CANARY_TOKEN}"}})
    finally:
        logger.removeHandler(handler)
    assert evidence.leaks == [
        "GET /x: response body",
        "GET /y: response header X-Debug",
        "log record tests.leak-selftest WARNING: 'calling Gcore with %s'",
        "log record tests.leak-selftest INFO: 'plain line'",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_a_rejected_token_shows_advice_not_the_token(admin_user, sandbox, htmx):
    sandbox.token = "another-token"  # Gcore now refuses ours: every call answers 401
    response = logged_in(admin_user).get("/clients/", headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 502
    assert CANARY_TOKEN not in response.content.decode() + str(response.headers)
    # The administrator is told which setting to fix, on the page or, for htmx, in the alert region:
    # with no Gcore token configured, the sandbox's.
    assert "<code>GCORE_SANDBOX_TOKEN</code>" in response.content.decode()
    if htmx:
        headline = json.loads(response["HX-Trigger"])["upstream-error"]["headline"]
        assert headline == "The dashboard's Gcore API token is missing or invalid."


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["status", "malformed", "timeout", "disconnect"])
def test_upstream_failures_leak_nothing(manager_client, sandbox, kind):
    options = {"status": 500} if kind == "status" else {}
    sandbox.add_fault(kind, **options)
    response = manager_client.get("/clients/")
    assert response.status_code >= 500
    assert CANARY_TOKEN not in response.content.decode()


def _raise_with_the_token_in_a_local():
    headers = {"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"}  # noqa: F841 - read by the report
    raise RuntimeError("Gcore call failed")


def _error_report(filter_class) -> str:
    request = RequestFactory().get("/clients/")
    try:
        _raise_with_the_token_in_a_local()
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    reporter.filter = filter_class()
    return reporter.get_traceback_html() + reporter.get_traceback_text()


@override_settings(DEBUG=True)
def test_error_reports_blank_the_token_wherever_it_sits():
    assert CANARY_TOKEN in _error_report(SafeExceptionReporterFilter)  # Django alone would show it
    report = _error_report(SecretsReporterFilter)
    assert CANARY_TOKEN not in report
    assert "_raise_with_the_token_in_a_local" in report  # the report is still useful
    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == "dashboard.security.SecretsReporterFilter"
