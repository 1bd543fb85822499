"""The client list as CSV: every page of it, streamed, spreadsheet-safe, and audited.

Memory stays flat whatever the number of clients: one upstream page is held at a time and each
page is written out before the next is fetched. The first page is fetched before the response
starts, so a Gcore failure at the start is an ordinary error page; a failure later can only cut
the download short (the status line is long gone), so the file then ends with a line that says
so, the connection is broken off, and the audit log records how many rows were written.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from dashboard.gcore import GcoreError, get_gcore_client
from dashboard.gcore.models import Client, Feature, Page, ServiceName
from dashboard.services.audit import Action, Outcome, audit_failure, audit_record, error_text

log = logging.getLogger("dashboard.export")

# Excel and LibreOffice read a UTF-8 file as UTF-8 (accents intact) only when it starts with a BOM.
BOM = "\ufeff"
# Cells a spreadsheet would run as a formula (OWASP "CSV injection"); tab and CR start one too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_page_size() -> int:
    # Gcore: the largest `limit` is undocumented; 1000 is the documented maximum elsewhere
    # (docs/gcore-api-notes.md §6).
    return min(1000, max(1, settings.EXPORT_PAGE_SIZE))


def safe_cell(value: str) -> str:
    """A text value that no spreadsheet will run: a leading formula character is quoted with '."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return safe_cell(str(value))


def _features(features: Mapping[str, list[Feature]]) -> str:
    return "; ".join(
        f"{service}: {f.name} ({f.feature_id})" for service, items in features.items() for f in items
    )


# One column per field of Gcore's Client (docs/gcore-api-notes.md §4), under Gcore's own names, then
# serviceStatuses split into a status and an enabled column per documented service.
CLIENT_COLUMNS: tuple[tuple[str, Callable[[Client], Any]], ...] = (
    ("id", lambda c: c.id),
    ("companyName", lambda c: c.company_name),
    ("email", lambda c: c.email),
    ("name", lambda c: c.name),
    ("phone", lambda c: c.phone),
    ("status", lambda c: c.status),
    ("website", lambda c: c.website),
    ("custom_id", lambda c: c.custom_id),
    ("country_code", lambda c: c.country_code),
    ("client_type", lambda c: c.client_type),
    ("is_test", lambda c: c.is_test),
    ("deleted", lambda c: c.deleted),
    ("has_active_admin", lambda c: c.has_active_admin),
    ("bill_type", lambda c: c.bill_type),
    ("signup_process", lambda c: c.signup_process),
    ("entryBaseDomain", lambda c: c.entry_base_domain),
    ("capabilities", lambda c: ", ".join(c.capabilities)),
    ("currentUser", lambda c: c.current_user),
    ("owner", lambda c: c.owner),
    ("seller", lambda c: c.seller),
    ("resellers", lambda c: c.reseller),
    ("paidFeatures", lambda c: _features(c.paid_features)),
    ("freeFeatures", lambda c: _features(c.free_features)),
    ("users", lambda c: "; ".join(user.email for user in c.users)),
)


def _service_columns() -> tuple[tuple[str, Callable[[Client], Any]], ...]:
    columns: list[tuple[str, Callable[[Client], Any]]] = []
    for service in ServiceName:
        name = service.value

        def status(c: Client, name: str = name) -> str | None:
            state = c.service_statuses.get(name)
            return state.status if state else None

        def enabled(c: Client, name: str = name) -> bool | None:
            state = c.service_statuses.get(name)
            return state.enabled if state else None

        columns += [(f"{name} status", status), (f"{name} enabled", enabled)]
    return tuple(columns)


# Gcore: a service Gcore adds to serviceStatuses later gets no column; the header is written first
# (docs/gcore-api-notes.md §4).
COLUMNS = CLIENT_COLUMNS + _service_columns()
HEADER = tuple(name for name, _ in COLUMNS)


def client_row(client: Client) -> list[str]:
    return [_cell(read(client)) for _, read in COLUMNS]


def _csv_text(rows: list[list[str]] | list[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _jsonable(filters: Mapping[str, object]) -> dict[str, str]:
    return {name: _cell(value) if not isinstance(value, str) else value for name, value in filters.items()}


def clients_export_csv(
    *,
    filters: Mapping[str, object],
    ordering: str,
    actor: User,
    ip_address: str | None = None,
    page_size: int | None = None,
) -> Iterator[bytes]:
    """The clients matching `filters` (GET /iam/clients names), in `ordering`, as CSV bytes.

    Fetches the first page at once (a Gcore error raises here, audited), and returns an iterator
    that writes it and fetches each further page as the previous one has been consumed. The audit
    entry is written when the iterator ends: saved with the row count, a Gcore error with the rows
    written so far, or "partial" when the download was abandoned.
    """
    page_size = page_size or export_page_size()
    gcore = get_gcore_client()
    details = {"filters": _jsonable(filters), "ordering": ordering}
    audit = partial(audit_record, actor=actor, action=Action.CLIENTS_EXPORT, ip_address=ip_address)
    try:
        first = gcore.list_clients(filters=filters, ordering=ordering, limit=page_size, offset=0)
    except GcoreError as exc:
        audit_failure(exc, audit=audit, details={**details, "rows": 0})
        raise

    def fetch(offset: int) -> Page[Client]:
        return gcore.list_clients(filters=filters, ordering=ordering, limit=page_size, offset=offset)

    return _stream(first, fetch, audit=audit, details=details)


def _stream(
    first: Page[Client],
    fetch: Callable[[int], Page[Client]],
    *,
    audit: Callable[..., object],
    details: dict[str, Any],
) -> Iterator[bytes]:
    rows = 0
    page: Page[Client] | None = first
    try:
        yield (BOM + _csv_text([HEADER])).encode("utf-8")
        while page is not None:
            chunk = _csv_text([client_row(client) for client in page.results]).encode("utf-8")
            rows += len(page.results)  # counted as handed over: a stop after this yield has sent them
            yield chunk
            del chunk
            offset = page.offset + len(page.results)
            # Gcore may cap `limit` below what was asked: step by what came back, stop at `count`
            # (docs/gcore-api-notes.md §6).
            more = bool(page.results) and offset < page.count
            page = None  # let the page go before the next one arrives: one page in memory at a time
            if more:
                page = fetch(offset)
    except GcoreError as exc:
        log.warning("export cut short after %d rows: %s", rows, type(exc).__name__)
        audit(
            outcome=Outcome.UPSTREAM_ERROR,
            upstream_status=exc.status_code,
            upstream_request_id=exc.request_id,
            message=f"Gcore failed after {rows} rows: {error_text(exc)}",
            details={**details, "rows": rows},
        )
        # A file that ends early must not pass for a complete one, whatever the HTTP client does
        # with the broken connection that follows.
        yield _csv_text([[f"# EXPORT INCOMPLETE: Gcore failed after {rows} rows. Export again."]]).encode(
            "utf-8"
        )
        raise
    except GeneratorExit:
        audit(
            outcome=Outcome.PARTIAL,
            message=f"The download was stopped after {rows} rows.",
            details={**details, "rows": rows},
        )
        raise
    audit(outcome=Outcome.SAVED, details={**details, "rows": rows})
