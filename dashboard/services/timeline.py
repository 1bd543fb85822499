"""One timeline per client: the dashboard's audit entries, Gcore's requests about the client, its
account status changes and the SPP changes made through the dashboard, newest first, in one list.

The four sources are read with one UNION ALL of (source, id, time) ordered by time and cut to the
page in the database (each part reads an index on client id + time), then only the page's rows
are loaded and put in words. Gcore's account-wide log (`gcore_activity_query`) reads the index
alone, with the portal's filters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, overload

from django.contrib.auth.models import User
from django.db.models import CharField, F, Q, QuerySet, Value
from django.utils import timezone

from dashboard.models import AuditEntry, GcoreRequest, GcoreRequestClient, GcoreStatusChange
from dashboard.services.activity_index import MASK
from dashboard.services.client_services import services_get_soon
from dashboard.services.clients import client_get_soon
from dashboard.services.revert import may_revert, revert_note
from dashboard.services.schedules import schedule_run_now, schedule_state
from dashboard.upstream.errors import UpstreamError


class Source:
    DASHBOARD = "dashboard"
    SPP = "spp"
    GCORE = "gcore"
    STATUS = "status"


SOURCES: dict[str, str] = {
    Source.DASHBOARD: "Dashboard",
    Source.SPP: "SPP (through the dashboard)",
    Source.GCORE: "Gcore's activity log",
    Source.STATUS: "Account status change",
}
OUTSIDE = "outside the dashboard"
# The schedule's kind that indexes Gcore's log (dashboard/tasks.py).
ACTIVITY_KIND = "gcore_activity"
SPP_ACTIONS = Q(action__startswith="billing.")


@dataclass(frozen=True)
class TimelineFilters:
    """What the timeline shows: some sources (none: all), only what was done outside the
    dashboard (Gcore's requests made with another token than the dashboard's), a date range."""

    sources: frozenset[str] = frozenset()
    outside_only: bool = False
    since: date | None = None
    until: date | None = None

    def wants(self, source: str) -> bool:
        if self.outside_only and source != Source.GCORE:
            return False
        return not self.sources or source in self.sources


@dataclass(frozen=True)
class TimelineRow:
    """One line of a timeline, in words."""

    source: str
    at: datetime
    who: str
    what: str
    outcome: str
    ok: bool | None  # None: no outcome to judge (a status change)
    outside: bool = False
    ip: str = ""
    reverted: bool = False
    audit: AuditEntry | None = None
    request: GcoreRequest | None = None
    revertible: bool = False  # a client or user edit its edit form can set back
    revert_note: str = ""  # for what no form can undo: what would be needed instead

    @property
    def source_label(self) -> str:
        return SOURCES[self.source]


def _day_bounds(filters: TimelineFilters) -> tuple[datetime | None, datetime | None]:
    """The date range as moments in the current time zone (so each part keeps to its time index)."""
    zone = timezone.get_current_timezone()
    # A date at the calendar's very edge bounds nothing (and its day's end, or its moment in UTC,
    # would be past what a datetime holds): no bound rather than an error.
    since = filters.since if filters.since and filters.since > date.min + timedelta(days=1) else None
    until = filters.until if filters.until and filters.until < date.max - timedelta(days=1) else None
    start = datetime.combine(since, time.min, tzinfo=zone) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None
    return start, end


def _within(queryset: QuerySet[Any], column: str, filters: TimelineFilters) -> QuerySet[Any]:
    start, end = _day_bounds(filters)
    if start is not None:
        queryset = queryset.filter(**{f"{column}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{column}__lt": end})
    return queryset


def _keys(queryset: QuerySet[Any], source: str, id_column: str, at_column: str) -> QuerySet[Any]:
    keys: QuerySet[Any] = queryset.annotate(
        source=Value(source, output_field=CharField()), key=F(id_column), at=F(at_column)
    ).values_list("source", "key", "at")
    return keys


def _parts(client_id: int, filters: TimelineFilters) -> list[QuerySet[Any]]:
    """(source, id, time) of each wanted source, filtered."""
    audit = AuditEntry.objects.filter(client_id=client_id).order_by()
    requests = GcoreRequestClient.objects.filter(client_id=client_id).order_by()
    if filters.outside_only:
        requests = requests.filter(by_dashboard=False)
    changes = GcoreStatusChange.objects.filter(client=client_id).order_by()
    sources: list[tuple[str, QuerySet[Any], str, str]] = [
        (Source.DASHBOARD, audit.exclude(SPP_ACTIONS), "id", "created_at"),
        (Source.SPP, audit.filter(SPP_ACTIONS), "id", "created_at"),
        (Source.GCORE, requests, "request_id", "requested_at"),
        (Source.STATUS, changes, "id", "status_change_at"),
    ]
    return [
        _keys(_within(queryset, at, filters), source, key, at)
        for source, queryset, key, at in sources
        if filters.wants(source)
    ]


class Timeline:
    """A client's timeline as Django's Paginator reads a list: `count()` and a slice of rows."""

    def __init__(
        self, *, client_id: int, filters: TimelineFilters, service_names: Mapping[int, str] | None = None
    ) -> None:
        self.client_id = client_id
        self.filters = filters
        self.service_names = dict(service_names or {})
        self._parts = _parts(client_id, filters)

    def count(self) -> int:
        return sum(part.count() for part in self._parts)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[TimelineRow]:
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> TimelineRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[TimelineRow]: ...
    def __getitem__(self, index: int | slice) -> TimelineRow | list[TimelineRow]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        if not self._parts:
            return []
        first, *rest = self._parts
        union = first.union(*rest, all=True) if rest else first
        keys = list(union.order_by("-at", "-key")[index])
        return self._rows(keys)

    def _rows(self, keys: Sequence[tuple[str, int, datetime]]) -> list[TimelineRow]:
        wanted: dict[str, list[int]] = {}
        for source, key, _ in keys:
            wanted.setdefault(source, []).append(key)
        audit_ids = wanted.get(Source.DASHBOARD, []) + wanted.get(Source.SPP, [])
        audits = AuditEntry.objects.in_bulk(audit_ids) if audit_ids else {}
        requests = GcoreRequest.objects.in_bulk(wanted[Source.GCORE]) if Source.GCORE in wanted else {}
        changes = GcoreStatusChange.objects.in_bulk(wanted[Source.STATUS]) if Source.STATUS in wanted else {}
        rows: list[TimelineRow] = []
        for source, key, _ in keys:
            if source in (Source.DASHBOARD, Source.SPP) and (entry := audits.get(key)) is not None:
                rows.append(audit_row(entry, source))
            elif source == Source.GCORE and (request := requests.get(key)) is not None:
                rows.append(request_row(request, self.service_names))
            elif source == Source.STATUS and (change := changes.get(key)) is not None:
                rows.append(status_row(change))
        return rows


def client_timeline(
    *, client_id: int, filters: TimelineFilters, service_names: Mapping[int, str] | None = None
) -> Timeline:
    """The client's timeline, newest first, to be paged (`Paginator(timeline, n)`)."""
    return Timeline(client_id=client_id, filters=filters, service_names=service_names)


# -- in words --------------------------------------------------------------------------------------


def audit_row(entry: AuditEntry, source: str) -> TimelineRow:
    fields = [str(change.get("field", "")) for change in entry.changes if isinstance(change, dict)]
    what = entry.get_action_display()
    if fields:
        what = f"{what}: {', '.join(fields)}"
    outcome = entry.get_outcome_display()
    if entry.upstream_status:
        outcome = f"{outcome} ({entry.upstream_status})"
    ok = entry.outcome in (AuditEntry.Outcome.SAVED, AuditEntry.Outcome.UNCHANGED, AuditEntry.Outcome.STARTED)
    return TimelineRow(
        source=source,
        at=entry.created_at,
        who=entry.actor_username or "(a staff account since deleted)",
        what=what,
        outcome=outcome,
        ok=ok,
        ip=entry.ip_address or "",
        audit=entry,
        revertible=may_revert(entry),
        revert_note=revert_note(entry),
    )


def request_row(request: GcoreRequest, service_names: Mapping[int, str] | None = None) -> TimelineRow:
    status = request.status_code
    return TimelineRow(
        source=Source.GCORE,
        at=request.requested_at,
        who=request.user_email or (f"Gcore user {request.user}" if request.user else "unknown"),
        what=describe_request(request.method, request.path, request.data, service_names or {}),
        outcome=str(status) if status is not None else "",
        ok=None if status is None else status < 400,
        outside=not request.by_dashboard,
        ip=request.remote_ip_address,
        reverted=request.reverted,
        request=request,
    )


def status_row(change: GcoreStatusChange) -> TimelineRow:
    old, new = change.old_status or "?", change.new_status or "?"
    return TimelineRow(
        source=Source.STATUS,
        at=change.status_change_at,
        who="Gcore",
        what=f"Account status: {old} → {new}",
        outcome="",
        ok=None,
    )


_ID = r"([0-9]+)"
# (method or None for any, path pattern, words); {1}, {2} are the path's numbers.
_WORDS: tuple[tuple[str | None, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(f"^{pattern}/?$"), words)
    for method, pattern, words in (
        ("GET", rf"/iam/clients/{_ID}", "read client {1}"),
        ("PATCH", rf"/iam/clients/{_ID}", "client {1}"),
        ("GET", rf"/iam/clients/{_ID}/services", "read the services of client {1}"),
        (None, rf"/iam/clients/{_ID}/services/{_ID}", "service {service}"),
        ("GET", r"/iam/clients", "list clients"),
        ("GET", r"/iam/clients/me", "read own account"),
        ("PATCH", rf"/iam/users/{_ID}", "user {1}"),
        ("PUT", rf"/iam/users/{_ID}/password", "password of user {1}"),
        ("POST", r"/iam/users", "create a client"),
        ("POST", r"/iam/auth/jwt/login", "sign in to the portal"),
        ("POST", r"/iam/auth/jwt/refresh", "renew the portal session"),
        ("POST", r"/iam/clients/invite_user", "invite a user"),
        ("PUT", rf"/iam/clients/{_ID}/client-users/{_ID}", "role of user {2}"),
        ("DELETE", rf"/iam/clients/{_ID}/client-users/{_ID}", "remove user {2}"),
        (
            "POST",
            rf"/iam/clients/{_ID}/client-users/{_ID}/resend-invite",
            "resend the invitation of user {2}",
        ),
        ("GET", rf"/iam/v2/clients/{_ID}/tokens", "list API tokens"),
        ("POST", rf"/iam/v2/clients/{_ID}/tokens", "create an API token"),
        ("DELETE", rf"/iam/v2/clients/{_ID}/tokens/{_ID}", "revoke API token {2}"),
        ("PATCH", rf"/iam/products/availability/clients/{_ID}", "product availability"),
        ("DELETE", rf"/iam/products/availability/clients/{_ID}", "reset product availability"),
        ("POST", r"/iam/admin/free_features", "enable a free feature"),
        ("POST", r"/iam/admin/paid_features", "enable a paid feature"),
        ("DELETE", rf"/iam/admin/free_features/{_ID}", "disable free feature {1}"),
        ("DELETE", rf"/iam/admin/paid_features/{_ID}", "disable paid feature {1}"),
    )
)
# Body keys worth naming, in the order they are named.
_SHOWN_KEYS = 4


def describe_request(method: str, path: str, data: str, service_names: Mapping[int, str]) -> str:
    """A request in words where it is known ("PUT service CDN: status paused"), else its method and
    path; the body's (masked) fields follow, values of plain ones included."""
    words = ""
    for wanted, pattern, text in _WORDS:
        if wanted is not None and wanted != method:
            continue
        if match := pattern.match(path):
            numbers = match.groups()
            service = ""
            if "{service}" in text and len(numbers) >= 2:
                service = service_names.get(int(numbers[1]), numbers[1])
            words = text.replace("{service}", service)
            for index, number in enumerate(numbers, start=1):
                words = words.replace(f"{{{index}}}", number)
            break
    head = f"{method} {words}" if words else f"{method} {path}"
    details = _body_words(data)
    return f"{head}: {details}" if details else head


def _body_words(data: str) -> str:
    if not data:
        return ""
    try:
        body = json.loads(data)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    for key, value in list(body.items())[:_SHOWN_KEYS]:
        if value == MASK:
            parts.append(f"{key} (hidden)")
        elif isinstance(value, bool):
            parts.append(f"{key} {'yes' if value else 'no'}")
        elif isinstance(value, str | int | float) and len(str(value)) <= 60:
            parts.append(f"{key} {value}")
        else:
            parts.append(str(key))
    if len(body) > _SHOWN_KEYS:
        parts.append(f"and {len(body) - _SHOWN_KEYS} more")
    return ", ".join(parts)


# -- the account-wide log ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GcoreLogFilters:
    """The portal's filters of its Activity logs: account, user, method, path, status code, dates."""

    client: int | None = None
    user: str = ""  # an e-mail, or part of one
    method: str = ""
    path: str = ""  # path contains
    status_code: int | None = None
    since: date | None = None
    until: date | None = None
    origin: str = ""  # "outside" (another token than the dashboard's, or the portal), "dashboard"


def gcore_activity_query(*, filters: GcoreLogFilters) -> QuerySet[GcoreRequest]:
    """Gcore's indexed log, newest first, filtered like the portal's Activity logs."""
    requests = GcoreRequest.objects.all()
    if filters.client is not None:
        requests = requests.filter(client=filters.client)
    if filters.user:
        requests = requests.filter(user_email__icontains=filters.user)
    if filters.method:
        requests = requests.filter(method=filters.method.upper())
    if filters.path:
        requests = requests.filter(path__icontains=filters.path)
    if filters.status_code is not None:
        requests = requests.filter(status_code=filters.status_code)
    if filters.origin in ("outside", "dashboard"):
        requests = requests.filter(by_dashboard=filters.origin == "dashboard")
    return _within(requests, "requested_at", TimelineFilters(since=filters.since, until=filters.until))


# -- what the pages need around the list ---------------------------------------------------------------


@dataclass(frozen=True)
class ClientLabels:
    """The client's name and its services' names, when Gcore answers: the timeline reads well
    without them (the client's id, a service's id), so a failure to read them is no failure."""

    company_name: str = ""
    service_names: Mapping[int, str] = field(default_factory=dict)


def timeline_labels(*, client_id: int) -> ClientLabels:
    """The client's name and services (from the shared cache when there), or none on any failure."""
    client = client_get_soon(client_id=client_id)
    services = services_get_soon(client_id=client_id)
    try:
        company = client.value.company_name
    except UpstreamError:
        company = ""
    try:
        names = {service.id: service.name for service in services.value}
    except UpstreamError:
        names = {}
    return ClientLabels(company_name=company, service_names=names)


def activity_refresh(*, actor: User) -> bool:
    """Have Gcore's activity log indexed now, as a person asked (Refresh): a pass queued for a
    worker (at most REFRESH_PAGES pages of each log; the next pass reads the rest). False when one
    is queued or running already."""
    return schedule_run_now(ACTIVITY_KIND, actor=actor)


def activity_refresh_state() -> str:
    """ "queued", "running" or "" for the indexing pass now."""
    return schedule_state(ACTIVITY_KIND)
