"""The billing link against the SPP sandbox on loopback with faults: what staff see, and what reaches SPP.

SPP is served over a real socket (the SPP sandbox's `make_server`), so timeouts, refused keys and
dropped connections are the real thing; Gcore stays the in-process sandbox. What SPP received is
counted from the sandbox's request log; the `X-Api-Identifier` of each answer is kept by a thin
subclass, since the request log records requests, not answer headers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from django.test import override_settings

from dashboard.models import AuditEntry, BillingLink
from dashboard.spp import get_spp_client
from dashboard.spp.models import SppClient as SppClientRecord
from dashboard.spp_sandbox import SppSandbox, make_server
from tests.helpers import HTMX, calls, form_data, logged_in, open_form, serving, text

pytestmark = pytest.mark.django_db
SPP_KEY = "spp-loopback-key-Vt6Rw3Nz8P"


class IdentifyingSppSandbox(SppSandbox):
    """The SPP sandbox, also keeping each answer's `X-Api-Identifier` (method, path, identifier)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.answers: list[tuple[str, str, str]] = []

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        scheme: str = "http",
    ):
        response = super().handle(method, path, query, headers, body, scheme=scheme)
        self.answers.append((method.upper(), path, response.headers["X-Api-Identifier"]))
        return response

    def identifiers(self, method: str, path: str) -> list[str]:
        return [identifier for m, p, identifier in self.answers if (m, p) == (method, path)]

    def reset(self) -> None:
        super().reset()
        self.answers.clear()

    def clear_request_log(self) -> None:
        super().clear_request_log()
        self.answers.clear()


@pytest.fixture(scope="module")
def spp_loopback():
    sandbox = IdentifyingSppSandbox(token=SPP_KEY)
    with serving(make_server(sandbox, port=0)) as url:
        yield sandbox, url


def _forget_spp_client() -> None:
    if get_spp_client.cache_info().currsize:
        get_spp_client().close()
    get_spp_client.cache_clear()


@pytest.fixture
def spp(spp_loopback):
    """The dashboard pointed at SPP on loopback (a real key, short timeouts, quick retries)."""
    sandbox, url = spp_loopback
    sandbox.reset()
    with override_settings(
        SPP_MODE="api", SPP_API_URL=url, SPP_API_TOKEN=SPP_KEY, SPP_READ_TIMEOUT=0.5,
        SPP_CONNECT_TIMEOUT=0.5, GCORE_RETRY_BACKOFF=0.01, GCORE_RETRY_AFTER_CAP=2,
    ):  # fmt: skip
        _forget_spp_client()
        yield sandbox
        _forget_spp_client()


@pytest.fixture
def spp_url(spp_loopback) -> str:
    return spp_loopback[1]


def words(response) -> str:
    """The page's words without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split()).replace(" :", ":")


def linkable(gcore, spp, *, with_phone: bool = False) -> tuple[int, int, dict[str, Any]]:
    """A live Gcore client whose email exactly one SPP client has: (Gcore id, SPP id, Gcore's JSON)."""
    for client_id in gcore.client_ids():
        client = gcore.client_json(client_id)
        if client["deleted"] or not client["email"] or (with_phone and not client["phone"]):
            continue
        matches = spp.ids_with_email(client["email"])
        if len(matches) == 1:
            return client_id, matches[0], client
    raise AssertionError("the sandboxes share clients by email")


def link_by_panel(http, spp, client_id: int, spp_id: int) -> None:
    """Open the billing panel once: with one SPP client of that email, it links them."""
    response = http.get(f"/clients/{client_id}/billing/", headers=HTMX)
    assert response.status_code == 200
    assert "linked just now" in text(response)
    assert BillingLink.objects.get(gcore_client_id=client_id).spp_client_id == spp_id
    spp.clear_request_log()


# -- reads: either system down, the other still shown --------------------------------------------------


def test_the_client_page_works_while_spp_is_down(spp, sandbox, manager):
    client_id, _, gcore_client = linkable(sandbox, spp)
    spp.add_fault("status", status=503)
    http = logged_in(manager)

    page = http.get(f"/clients/{client_id}/")
    assert page.status_code == 200
    assert gcore_client["companyName"] in text(page)  # Gcore's part
    assert f'hx-get="/clients/{client_id}/billing/"' in text(page)  # the panel loads by itself
    assert spp.request_log == []  # the page never waits for SPP

    panel = http.get(f"/clients/{client_id}/billing/", headers=HTMX)
    assert panel.status_code == 200  # htmx swaps the panel with what it says
    said = text(panel)
    assert "SPP did not answer." in said
    assert "SPP did not give a usable answer." in said
    assert "Traceback" not in said
    # The email search was retried twice (503), and the last answer's id is shown for SPP's support.
    asked = calls(spp, "GET", "/api/clients")
    assert [e["status"] for e in asked] == [503, 503, 503]
    assert spp.identifiers("GET", "/api/clients")[-1] in said
    assert not BillingLink.objects.exists()


def test_without_htmx_the_panel_page_keeps_spps_status(spp, sandbox, manager):
    client_id, _, _ = linkable(sandbox, spp)
    spp.add_fault("status", status=503)
    response = logged_in(manager).get(f"/clients/{client_id}/billing/")
    assert response.status_code == 503
    assert "SPP did not give a usable answer." in text(response)
    assert '<header class="site-header' in text(response)  # the dashboard's own page


def test_a_linked_clients_spp_record_shows_while_gcore_is_down(spp, sandbox, manager):
    client_id, spp_id, _ = linkable(sandbox, spp)
    BillingLink.objects.create(gcore_client_id=client_id, spp_client_id=spp_id, method="email")
    record = spp.client_json(spp_id)
    sandbox.add_fault("status", status=503, method="GET", path=f"/iam/clients/{client_id}")

    response = logged_in(manager).get(f"/clients/{client_id}/billing/", headers=HTMX)
    assert response.status_code == 200
    said = text(response)
    assert "Gcore did not answer." in said
    assert "Gcore's side cannot be shown, so differences are not marked." in said
    assert f"SPP client {spp_id}" in said
    assert SppClientRecord.model_validate(record).address.one_line() in said  # SPP's record, read now
    assert "SPP did not" not in said and "Sandbox data" not in said
    assert [e["status"] for e in calls(sandbox, "GET", f"/iam/clients/{client_id}")] == [503, 503, 503]
    assert len(calls(spp, "GET", f"/api/clients/{spp_id}")) == 1
    assert calls(spp, "GET", "/api/clients") == []  # linked: no search by email


def test_a_refused_spp_key_is_said_and_never_shown(spp, sandbox, manager, admin_user):
    client_id, _, _ = linkable(sandbox, spp)
    wrong = "spp-wrong-key-Kd3Fp0Yq5S"
    with override_settings(SPP_API_TOKEN=wrong):
        _forget_spp_client()
        panel = logged_in(manager).get(f"/clients/{client_id}/billing/", headers=HTMX)
        page = logged_in(admin_user).get(f"/clients/{client_id}/billing/")
    assert panel.status_code == 200
    assert "The dashboard's SPP API key is missing or invalid." in text(panel)
    assert "contact an administrator" in text(panel)
    assert page.status_code == 502
    for response in (panel, page):
        assert wrong not in response.content.decode()
        assert SPP_KEY not in response.content.decode()
    # A 401 is not retried.
    assert [e["status"] for e in calls(spp, "GET", "/api/clients")] == [401, 401]


# -- editing an SPP record: a PUT is sent once, whatever happens ------------------------------------------


@pytest.mark.parametrize(
    ("fault", "htmx", "status", "said", "applied"),
    [
        # Sent, no answer in time: SPP may have applied it (the sandbox did), and the person is told so.
        ({"kind": "timeout", "seconds": 2}, True, 422, "may or may not have been applied in SPP", True),
        # SPP answered 503: nothing was saved.
        ({"kind": "status", "status": 503}, True, 422, "Nothing was saved.", False),
        # The connection dropped after the request left: unknown, so never sent again.
        ({"kind": "disconnect"}, False, 502, "may or may not have been applied in SPP", False),
    ],
    ids=["timeout", "503", "disconnect"],
)
def test_a_failed_put_is_sent_once_and_said_as_it_is(
    spp, sandbox, support, fault, htmx, status, said, applied
):
    client_id, spp_id, _ = linkable(sandbox, spp)
    http = logged_in(support)
    link_by_panel(http, spp, client_id, spp_id)
    before = spp.client_json(spp_id)["company"]
    url = f"/clients/{client_id}/billing/edit/"
    form = open_form(http, url)
    spp.add_fault(**fault, method="PUT")

    response = http.post(url, form_data(form, company="Typed Billing Co"), headers=HTMX if htmx else {})
    assert response.status_code == status
    assert said in text(response)
    assert ("Nothing was saved." in text(response)) == (fault["kind"] == "status")
    assert 'value="Typed Billing Co"' in text(response)  # what the person typed is kept
    path = f"/api/clients/{spp_id}"
    assert len(calls(spp, "PUT", path)) == 1
    assert spp.client_json(spp_id)["company"] == ("Typed Billing Co" if applied else before)

    entry = AuditEntry.objects.get(action="billing.update")
    assert entry.outcome == "upstream_error"
    assert entry.client_id == client_id
    assert entry.changes == [{"field": "company", "old": before, "new": "Typed Billing Co"}]
    assert ("may or may not" in entry.message) == (fault["kind"] != "status")
    # SPP's id of the failed PUT, when it answered at all, is what SPP's support will ask for.
    assert entry.upstream_request_id == "".join(spp.identifiers("PUT", path))
    if fault["kind"] == "status":
        assert entry.upstream_status == 503 and entry.upstream_request_id


# -- syncing: each system's outcome on its own ------------------------------------------------------------


@pytest.mark.parametrize(("htmx", "status"), [(True, 422), (False, 502)], ids=["htmx", "page"])
def test_a_sync_whose_spp_half_fails_shows_both_outcomes(spp, spp_url, sandbox, support, htmx, status):
    client_id, spp_id, gcore_client = linkable(sandbox, spp, with_phone=True)
    http = logged_in(support)
    link_by_panel(http, spp, client_id, spp_id)
    # Make both fields differ: SPP's phone and company (through SPP's own API, then forgotten).
    spp_company = f"{gcore_client['companyName']} Billing"
    answer = httpx.put(
        f"{spp_url}/api/clients/{spp_id}",
        json={"phone": "+1 555 0199", "company": spp_company},
        headers={"Authorization": f"Bearer {SPP_KEY}"},
        trust_env=False,
    )
    assert answer.status_code == 200
    spp.clear_request_log()
    sandbox.clear_request_log()

    url = f"/clients/{client_id}/billing/sync/"
    form = open_form(http, url)
    spp.add_fault("status", status=503, method="PUT")
    response = http.post(
        url,
        form_data(form, email="leave", phone="to_spp", company="to_gcore", contact="leave"),
        headers=HTMX if htmx else {},
    )
    assert response.status_code == status
    said = words(response)
    assert "Only part of the sync went through." in said
    assert "Gcore: saved Company in Gcore" in said
    assert "SPP: not saved (Phone in SPP): SPP did not answer." in said
    assert "Nothing is retried by itself." in said

    entry = AuditEntry.objects.get(action="billing.sync")
    assert entry.outcome == "partial"
    assert entry.details["systems"] == {"Gcore": "saved", "SPP": "failed"}
    assert entry.upstream_status == 503
    assert entry.upstream_request_id == "".join(spp.identifiers("PUT", f"/api/clients/{spp_id}"))

    # Exactly one call each way: nothing retried.
    assert len(calls(spp, "PUT", f"/api/clients/{spp_id}")) == 1
    assert len(calls(sandbox, "PATCH", f"/iam/clients/{client_id}")) == 1
    assert sandbox.client_json(client_id)["companyName"] == spp_company
    assert spp.client_json(spp_id)["phone"] == "+1 555 0199"
