"""CSV export: exactly the list's clients, every page, streamed in flat memory, spreadsheet-safe, audited."""

from __future__ import annotations

import csv
import gc
import io
import json
import tracemalloc

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client as DjangoClient

from dashboard.gcore import GcoreBadGateway, get_gcore_client
from dashboard.models import AuditEntry
from dashboard.sandbox import Sandbox
from dashboard.services.export import HEADER, safe_cell
from tests.helpers import list_queries, logged_in, make_staff

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"


def download(http: DjangoClient, query: str = "") -> tuple[object, bytes]:
    response = http.get(f"/clients/export.csv{query}")
    assert response.status_code == 200, response.content[:500]
    return response, b"".join(response.streaming_content)


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def sandbox_clients(sandbox, *, deleted: bool | None = False) -> list[dict]:
    clients = [sandbox.client_json(i) for i in sandbox.client_ids()]
    return [c for c in clients if deleted is None or c["deleted"] is deleted]


def patch_client(sandbox, client_id: int, body: dict, token: str) -> None:
    response = sandbox.handle(
        "PATCH",
        f"/iam/clients/{client_id}",
        headers={"Authorization": f"APIKey {token}"},
        body=json.dumps(body).encode(),
    )
    assert response.status == 200, response.body


# -- content ------------------------------------------------------------------------------------


def test_exports_exactly_the_lists_clients_in_its_order(manager_client, sandbox):
    response, data = download(manager_client, "?cdn=active&ordering=-companyName&page=3&page_size=25")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="gcore-clients-')
    expected = [c for c in sandbox_clients(sandbox) if c["serviceStatuses"]["CDN"]["status"] == "active"]
    expected.sort(key=lambda c: c["id"])
    expected.sort(key=lambda c: c["companyName"], reverse=True)  # Gcore breaks ties by id
    rows = rows_of(data)
    assert [int(row["id"]) for row in rows] == [c["id"] for c in expected]  # every page, not page 3
    # ... and the list shows the same total for the same query.
    assert manager_client.get("/clients/?cdn=active&ordering=-companyName").context["listing"].count == len(
        rows
    )


def test_one_column_per_client_field_and_per_service_status(manager_client, sandbox):
    _, data = download(manager_client, "?deleted=any")
    rows = rows_of(data)
    assert tuple(rows[0]) == HEADER
    seed_fields = {
        "id", "users", "email", "phone", "name", "status", "companyName", "website", "currentUser",
        "capabilities", "paidFeatures", "freeFeatures", "entryBaseDomain", "signup_process", "deleted",
        "bill_type", "custom_id", "country_code", "is_test", "has_active_admin", "seller", "resellers",
        "client_type", "owner",
    }  # fmt: skip
    assert seed_fields <= set(HEADER)
    for service in ("CDN", "CLOUD", "DDOS", "DNS", "STORAGE", "STREAMING"):
        assert f"{service} status" in HEADER and f"{service} enabled" in HEADER
    by_id = {int(row["id"]): row for row in rows}
    assert len(by_id) == len(sandbox.client_ids())
    for client in sandbox_clients(sandbox, deleted=None)[:50]:
        row = by_id[client["id"]]
        assert row["email"] == client["email"]
        assert row["deleted"] == ("true" if client["deleted"] else "false")
        assert row["users"] == "; ".join(user["email"] for user in client["users"])
        assert row["resellers"] == str(client["resellers"])
        for service, state in client["serviceStatuses"].items():
            assert row[f"{service} status"] == state["status"]
            assert row[f"{service} enabled"] == ("true" if state["enabled"] else "false")


def test_accents_survive_as_utf8_with_a_byte_order_mark(manager_client, sandbox):
    _, data = download(manager_client, "?deleted=any")
    assert data.startswith(BOM) and not data[3:].startswith(BOM)
    text = data.decode("utf-8-sig")
    accented = [
        c["companyName"]
        for c in sandbox_clients(sandbox, deleted=None)
        if any(ord(ch) > 127 for ch in c["companyName"])
    ]
    assert accented
    for name in accented[:10]:
        assert name.replace('"', '""') in text  # as typed, a quote doubled as CSV writes it


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+49 30 1234567", "'+49 30 1234567"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("Acme = Best", "Acme = Best"),
        ("", ""),
    ],
)
def test_formula_starts_are_neutralised(value, written):
    assert safe_cell(value) == written


def test_upstream_text_that_looks_like_a_formula_is_written_as_text(manager_client, sandbox, settings):
    client = sandbox_clients(sandbox)[0]
    patch_client(
        sandbox,
        client["id"],
        {
            "companyName": "=cmd|' /C calc'!A0",
            "name": "@Mallory",
            "custom_id": "-1+1",
            "phone": "+1 555 0100",
        },
        settings.GCORE_SANDBOX_TOKEN,
    )
    _, data = download(manager_client, "?ordering=id")
    row = next(row for row in rows_of(data) if row["id"] == str(client["id"]))
    assert row["companyName"] == "'=cmd|' /C calc'!A0"
    assert row["name"] == "'@Mallory"
    assert row["custom_id"] == "'-1+1"
    assert row["phone"] == "'+1 555 0100"
    assert row["id"] == str(client["id"])  # numbers are numbers, never quoted


# -- paging and streaming -------------------------------------------------------------------------


def test_every_page_is_fetched_with_limit_and_the_same_ordering(manager_client, sandbox, settings):
    settings.EXPORT_PAGE_SIZE = 100
    _, data = download(manager_client, "?deleted=any&ordering=-created_at")
    assert len(rows_of(data)) == len(sandbox.client_ids()) == 600
    calls = list_queries(sandbox)
    assert [c["offset"] for c in calls] == [str(n) for n in range(0, 600, 100)]
    assert all(c["limit"] == "100" and c["ordering"] == "-created_at" and "deleted" not in c for c in calls)


def test_the_first_bytes_arrive_before_the_last_page_is_fetched(manager_client, sandbox, settings):
    settings.EXPORT_PAGE_SIZE = 50
    response = manager_client.get("/clients/export.csv")
    assert response.streaming
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first.startswith(BOM + b"id,companyName,")
    assert len(list_queries(sandbox)) == 1  # only the first page so far
    rest = b"".join(chunks)
    pages = len(list_queries(sandbox))
    assert pages == -(-len(sandbox_clients(sandbox)) // 50) > 2
    assert rest.count(b"\r\n") >= len(sandbox_clients(sandbox))


def _peak_export_memory(clients: int, monkeypatch) -> tuple[int, int]:
    """(rows, peak traced bytes) of one whole export from an in-process sandbox of `clients` clients."""
    from dashboard.gcore import factory

    big = Sandbox(clients=clients, token="sandbox-big")
    monkeypatch.setattr(factory, "get_sandbox", lambda: big)
    monkeypatch.setattr(factory.settings, "GCORE_SANDBOX_TOKEN", "sandbox-big", raising=False)
    get_gcore_client.cache_clear()
    http = logged_in(make_staff(f"exporter{clients}", superuser=True))
    gc.collect()
    tracemalloc.start()
    try:
        response = http.get("/clients/export.csv?deleted=any")
        rows = 0
        for chunk in response.streaming_content:
            rows += chunk.count(b"\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        get_gcore_client.cache_clear()
    return rows - 1, peak


def test_memory_stays_flat_whatever_the_number_of_clients(monkeypatch, settings):
    settings.EXPORT_PAGE_SIZE = 50
    small_rows, small_peak = _peak_export_memory(150, monkeypatch)
    large_rows, large_peak = _peak_export_memory(1500, monkeypatch)
    assert (small_rows, large_rows) == (150, 1500)
    # Ten times the rows, (nearly) the same peak: one page at a time. Held in memory, 1,500 clients
    # would take about ten times the small peak.
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)


# -- audit ------------------------------------------------------------------------------------------


def test_each_export_is_audited_with_its_filters_and_row_count(manager_client, manager, sandbox):
    _, data = download(manager_client, "?cdn=active&is_test=false&ordering=-companyName")
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.CLIENTS_EXPORT
    assert entry.outcome == AuditEntry.Outcome.SAVED
    assert entry.actor == manager and entry.actor_username == manager.username
    assert entry.ip_address == "127.0.0.1"
    assert entry.details == {
        "filters": {"is_test": "false", "cdn": "active", "deleted": "false"},
        "ordering": "-companyName",
        "rows": len(rows_of(data)),
    }


def test_a_gcore_failure_mid_stream_ends_the_file_visibly_and_is_audited(manager_client, sandbox, settings):
    settings.EXPORT_PAGE_SIZE = 100
    response = manager_client.get("/clients/export.csv?deleted=any")
    chunks = iter(response.streaming_content)
    received = [next(chunks), next(chunks)]  # the header and the first page
    sandbox.add_fault("status", path="/iam/clients", status=500)
    # After its last line the stream raises Gcore's error (a 500 is GcoreBadGateway): the connection breaks.
    with pytest.raises(GcoreBadGateway):
        for chunk in chunks:
            received.append(chunk)
    text = b"".join(received).decode("utf-8-sig")
    assert text.rstrip().endswith("# EXPORT INCOMPLETE: Gcore failed after 100 rows. Export again.")
    entry = AuditEntry.objects.get()
    assert entry.outcome == AuditEntry.Outcome.UPSTREAM_ERROR
    assert entry.details["rows"] == 100 and entry.upstream_status == 500


def test_a_gcore_failure_before_the_first_row_is_an_error_page(manager_client, sandbox):
    sandbox.add_fault("status", path="/iam/clients", status=500)
    response = manager_client.get("/clients/export.csv")
    assert response.status_code == 502
    assert not getattr(response, "streaming", False)
    entry = AuditEntry.objects.get()
    assert entry.outcome == AuditEntry.Outcome.UPSTREAM_ERROR and entry.details["rows"] == 0


# Closing a response sends request_finished, which closes a connection inside a test transaction
# (PostgreSQL then loses the test's data): run this one without the wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_an_abandoned_download_is_audited_as_partial(manager_client, sandbox, settings):
    settings.EXPORT_PAGE_SIZE = 100
    response = manager_client.get("/clients/export.csv")
    chunks = iter(response.streaming_content)
    next(chunks), next(chunks)
    response.close()  # the browser went away
    entry = AuditEntry.objects.get()
    assert entry.outcome == AuditEntry.Outcome.PARTIAL and entry.details["rows"] == 100


# -- refusals and permissions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("reseller_id=abc", "Reseller ID"),
        ("cdn=sleeping", "CDN"),
        ("ordering=password", "Sort by"),
        ("q=200001", "Quick search"),
    ],
)
def test_an_invalid_filter_is_refused_by_name_and_nothing_is_fetched(manager_client, sandbox, query, label):
    response = manager_client.get(f"/clients/export.csv?{query}&dns=active")
    assert response.status_code == 400
    body = response.content.decode()
    assert f"<strong>{label}</strong>" in body
    assert list_queries(sandbox) == []
    assert not AuditEntry.objects.exists()


def test_only_roles_with_the_export_permission_may_export(support_client, admin_user, nobody, db):
    assert support_client.get("/clients/export.csv").status_code == 200
    assert logged_in(admin_user).get("/clients/export.csv").status_code == 200
    assert logged_in(nobody).get("/clients/export.csv").status_code == 403
    viewer = make_staff("vic.viewer")
    group = Group.objects.create(name="Viewers")
    group.permissions.add(Permission.objects.get(codename="view_clients"))
    viewer.groups.add(group)
    assert logged_in(viewer).get("/clients/").status_code == 200
    assert logged_in(viewer).get("/clients/export.csv").status_code == 403
    anonymous = DjangoClient().get("/clients/export.csv")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
