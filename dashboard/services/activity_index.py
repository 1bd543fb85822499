"""Gcore's activity log, indexed in the dashboard's database: the requests made in the reseller's
account and the accounts' status changes, each tied to the clients it concerns.

One pass (`activity_index_pass`) reads each log newest first, page by page, with `limit` and
`offset` only (the spec documents nothing else: docs/gcore-api-notes.md §13), until it reaches an
entry LATE_ARRIVALS before what an earlier complete pass stored (an entry Gcore logs late is still
found), the log's end, or GCORE_ACTIVITY_DAYS back on the first run. New entries arriving between
two pages shift the offsets, so a page may repeat entries already read: they are told apart by
Gcore's id and the reading goes on until the overlap. A pass cut short (its page budget spent)
leaves the rest to the next one: nothing is marked complete past what was read. Entries older
than GCORE_ACTIVITY_RETENTION_DAYS are pruned.

Request bodies and query strings are masked before they are stored (`mask_body`, `mask_query`):
no value whose key names a password, secret, token or key ever reaches the database.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from dashboard.gcore import get_gcore_client
from dashboard.gcore.factory import dashboard_token_id
from dashboard.gcore.models import AccountStatusChange, ActivityRequest, Page
from dashboard.models import ActivityIndexState, GcoreRequest, GcoreRequestClient, GcoreStatusChange
from dashboard.services.storable import storable_row

log = logging.getLogger("dashboard.activity")

PAGE_SIZE = 100
# A pass started from a page (Refresh) reads at most this many pages of each log; the rest is read
# by the next pass. The command and the scheduled work read until they reach what is stored.
REFRESH_PAGES = 20
# A safety net for an unbounded pass against a log that never ends (1,000 pages of 100).
MAX_PAGES = 1_000
# Each pass reads back this far before what the last complete pass had: an entry logged late (a slow
# request whose entry carries its start, written after quicker ones) is still found; the entries
# read again are told apart by Gcore's id, as repeats.
LATE_ARRIVALS = timedelta(minutes=10)

MASK = "********"
# Gcore: request bodies are logged as sent, secrets included (§13). A value is masked when its key
# names one of these (any case, anywhere in the key: `newPassword`, `api_key`, `refresh_token`).
SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "key",
    "refresh",
    "jwt",
    "otp",
    "credential",
    "authorization",
    "cookie",
)
# Paths whose bodies are secrets whatever their keys (a password change sends `old`, `new`, `double`).
SECRET_PATHS = re.compile(r"/password|/auth/", re.IGNORECASE)
# A JSON web token anywhere in a text (a session refresh, an Authorization copied into a body).
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A `"key": value` or `key=value` pair in a text that is not whole JSON (a body cut at its length
# bound, a form body): the value up to its closing quote, or up to the next separator. The key may
# be a form's nested name, brackets plain or percent-encoded (`user[password]`, `user%5Bpassword%5D`).
_SECRET_WORDS = "|".join(SECRET_KEY_PARTS)
_KEY_CHARS = r"[A-Za-z0-9_.\-\[\]%]*"
_PAIR = re.compile(
    rf"""(?P<key>["']?{_KEY_CHARS}(?:{_SECRET_WORDS}){_KEY_CHARS}["']?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"?|'[^']*'?|[^,&}\]\s]*)""",
    re.IGNORECASE,
)
# An XML element named for a secret: `<password>...</password>`.
_ELEMENT = re.compile(
    rf"(?P<open><[A-Za-z0-9_:.-]*(?:{_SECRET_WORDS})[A-Za-z0-9_:.-]*[^>]*>)[^<]*", re.IGNORECASE
)
# A name/value object names its secret in a value (`{"name": "X-Auth-Token", "value": "..."}`, as
# headers and parameters are often sent): its value keys are masked when its name key names one.
NAME_KEYS = ("name", "key", "header", "field", "param", "parameter")
VALUE_KEYS = ("value", "values", "val", "content", "data")
# A string that is itself JSON or a query string is masked as one (a body inside a body).
_NESTED_DEPTH = 4

# A client id in a path: /iam/clients/5003/..., /iam/v2/clients/5003/...,
# /iam/products/availability/clients/5003 (never /iam/clients/me).
_CLIENT_IN_PATH = re.compile(r"/clients/([0-9]+)(?=/|$)")
CLIENT_ID_KEYS = ("client_id", "clientid", "client")
# The largest client id the index holds (a BigIntegerField).
ID_MAX = 2**63 - 1


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEY_PARTS)


def _mask_value(value: Any, *, everything: bool, depth: int = 0) -> Any:
    if isinstance(value, dict):
        named_secret = any(
            str(key).lower() in NAME_KEYS and isinstance(sub, str) and is_secret_key(sub)
            for key, sub in value.items()
        )
        return {
            key: _mask_all(sub)
            if is_secret_key(str(key)) or (named_secret and str(key).lower() in VALUE_KEYS)
            else _mask_value(sub, everything=everything, depth=depth)
            for key, sub in value.items()
        }
    if isinstance(value, list):
        return [_mask_value(item, everything=everything, depth=depth) for item in value]
    if everything and value is not None:
        return MASK
    if isinstance(value, str):
        return _mask_string(value, depth=depth + 1)
    return value


def _mask_all(value: Any) -> Any:
    """Every value under a secret's key is masked (an object or a list under it too)."""
    if isinstance(value, dict):
        return {key: _mask_all(sub) for key, sub in value.items()}
    if isinstance(value, list):
        return [_mask_all(item) for item in value]
    return MASK if value is not None else None


def _mask_string(text: str, *, depth: int) -> str:
    """A string value: JSON inside it walked like a body, anything else masked as text."""
    if depth <= _NESTED_DEPTH and text.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            masked = _mask_value(parsed, everything=False, depth=depth)
            return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))
    return _mask_text(text)


def _mask_text(text: str) -> str:
    masked = _PAIR.sub(lambda m: f"{m.group('key')}{_masked_like(m.group('value'))}", text)
    masked = _ELEMENT.sub(lambda m: f"{m.group('open')}{MASK}", masked)
    return JWT.sub(MASK, masked)


def _masked_like(value: str) -> str:
    if value.startswith('"'):
        return f'"{MASK}"'
    if value.startswith("'"):
        return f"'{MASK}'"
    return MASK


def mask_body(data: str | None, *, path: str = "") -> str:
    """The request body with every secret masked: JSON is walked (nested objects and lists too);
    anything else (a body cut short, a form) has each `key: value` / `key=value` of a secret key
    masked. On a path that carries a secret whatever its keys (a password change), every value is."""
    if not data:
        return ""
    everything = bool(SECRET_PATHS.search(path))
    try:
        parsed = json.loads(data)
    except ValueError:
        if everything:
            return MASK
        return _mask_text(data)
    return json.dumps(_mask_value(parsed, everything=everything), ensure_ascii=False, separators=(",", ":"))


def mask_query(query: str | None) -> str:
    """The query string with the value of every secret-named parameter masked."""
    if not query:
        return ""
    query = query.removeprefix("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return _mask_text(query)
    masked = [(key, MASK if is_secret_key(key) else _mask_string(value, depth=1)) for key, value in pairs]
    return urlencode(masked, safe="*")


def mask_path(path: str) -> str:
    """The path with a query string written into it masked too, and any JSON web token in it."""
    head, mark, query = path.partition("?")
    return JWT.sub(MASK, head) + (f"{mark}{mask_query(query)}" if mark else "")


def client_ids_of(entry: ActivityRequest) -> set[int]:
    """Every client a request concerns: its account, each client its path names, and `client_id`
    in its query or its body."""
    found: set[int] = set()
    if entry.client is not None:
        found.add(entry.client)
    found.update(_ids(_CLIENT_IN_PATH.findall(entry.path or "")))
    found.update(
        _ids(
            value
            for key, value in parse_qsl(entry.query_params or "", keep_blank_values=True)
            if key.lower() in CLIENT_ID_KEYS
        )
    )
    if entry.data:
        try:
            body = json.loads(entry.data)
        except ValueError:
            body = None
        found.update(_client_ids_in(body))
    return found


def _client_ids_in(value: Any) -> set[int]:
    found: set[int] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            if str(key).lower() in ("client_id", "clientid") and _client_id(sub) is not None:
                found.update(_ids([sub]))
            else:
                found.update(_client_ids_in(sub))
    elif isinstance(value, list):
        for item in value:
            found.update(_client_ids_in(item))
    return found


def _ids(values: Iterable[Any]) -> set[int]:
    return {found for value in values if (found := _client_id(value)) is not None}


def _client_id(value: Any) -> int | None:
    """A client id, if `value` can be one: anyone's request may name any number as a client, and
    one past what the database holds (or digits that are not ASCII) would stop the indexing."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= len(str(ID_MAX))):
            return None
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= ID_MAX else None


# -- one pass -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogPass:
    """What one pass did with one log."""

    read: int  # entries read, repeats included
    stored: int  # entries new to the database
    pages: int
    complete: bool  # reached what was stored, the log's end or the horizon
    pruned: int


@dataclass(frozen=True)
class IndexPass:
    requests: LogPass
    status_changes: LogPass

    @property
    def summary(self) -> str:
        def part(name: str, done: LogPass) -> str:
            rest = "" if done.complete else " (more to read on the next pass)"
            read = f"{done.stored} new of {done.read} read in {done.pages} pages"
            return f"{name}: {read}{rest}, {done.pruned} pruned"

        return f"{part('requests', self.requests)}; {part('status changes', self.status_changes)}"


E = TypeVar("E", ActivityRequest, AccountStatusChange)


def activity_index_pass(
    *, max_pages: int | None = None, now: datetime | None = None, beat: Callable[[], None] | None = None
) -> IndexPass:
    """Index both logs once: read what is new, store it masked and tied to its clients, prune what
    is past retention. `max_pages` bounds the pages read of each log (a pass from a page); None
    reads until what is stored. Twice at once: each entry is stored under Gcore's id once (the
    second insert is ignored), and each log's state moves forward only. `beat` is called after
    each page (a worker's heartbeat)."""
    now = now or timezone.now()
    client = get_gcore_client()
    requests = _index_log(
        ActivityIndexState.Log.REQUESTS,
        lambda limit, offset: client.list_activity_requests(limit=limit, offset=offset),
        lambda entry: entry.requested_at,
        _store_requests,
        max_pages=max_pages,
        now=now,
        beat=beat,
    )
    changes = _index_log(
        ActivityIndexState.Log.STATUS_CHANGES,
        lambda limit, offset: client.list_account_status_changes(limit=limit, offset=offset),
        lambda entry: entry.status_change_at,
        _store_status_changes,
        max_pages=max_pages,
        now=now,
        beat=beat,
    )
    done = IndexPass(requests=requests, status_changes=changes)
    log.info("gcore activity indexed: %s", done.summary)
    return done


def _index_log(
    name: str,
    read_page: Callable[[int, int], Page[E]],
    moment: Callable[[E], datetime | None],
    store: Callable[[Sequence[E]], int],
    *,
    max_pages: int | None,
    now: datetime,
    beat: Callable[[], None] | None,
) -> LogPass:
    state, _ = ActivityIndexState.objects.get_or_create(log=name)
    retention = now - timedelta(days=settings.GCORE_ACTIVITY_RETENTION_DAYS)
    # The first run reads back GCORE_ACTIVITY_DAYS; later ones until what the last complete one had.
    floor = state.complete_through - LATE_ARRIVALS if state.complete_through is not None else None
    horizon = (
        max(now - timedelta(days=settings.GCORE_ACTIVITY_DAYS), retention) if floor is None else retention
    )
    seen: set[int] = set()
    newest: datetime | None = None
    read = stored = pages = 0
    offset = 0
    complete = False
    budget = min(max_pages, MAX_PAGES) if max_pages is not None else MAX_PAGES
    while pages < budget:
        page = read_page(PAGE_SIZE, offset)
        pages += 1
        items = page.results
        if not items:
            complete = True  # the log's end
            break
        read += len(items)
        offset += len(items)
        fresh: list[E] = []
        reached = False
        for entry in items:
            at = moment(entry)
            if at is None:
                continue  # Gcore: a dated log with an undated entry; nothing to place it by
            if newest is None or at > newest:
                newest = at
            if (floor is not None and at < floor) or at < horizon:
                reached = True  # what an earlier complete pass stored, or the horizon
                continue
            if entry.id not in seen:
                seen.add(entry.id)
                fresh.append(entry)
        stored += store(fresh)
        if beat is not None:
            beat()
        if reached or offset >= page.count:
            complete = True
            break
    pruned = _prune(name, retention)
    with transaction.atomic():
        state = ActivityIndexState.objects.select_for_update().get(pk=state.pk)
        state.last_run_at = now
        if complete:
            # Everything up to the newest entry this pass read is stored now. Entries of the same
            # second as it that arrive later are read again next time (and ignored as repeats).
            if newest is not None and (state.complete_through is None or newest > state.complete_through):
                state.complete_through = newest
            elif state.complete_through is None:
                state.complete_through = horizon
            state.last_complete_at = now
        state.last_message = f"{stored} new of {read} read in {pages} pages" + (
            "" if complete else "; the next pass reads on"
        )
        state.save()
    return LogPass(read=read, stored=stored, pages=pages, complete=complete, pruned=pruned)


def _store_requests(entries: Sequence[ActivityRequest]) -> int:
    if not entries:
        return 0
    ours = dashboard_token_id()
    existing = set(GcoreRequest.objects.filter(id__in=[e.id for e in entries]).values_list("id", flat=True))
    rows: list[GcoreRequest] = []
    links: list[GcoreRequestClient] = []
    for entry in entries:
        if entry.id in existing or entry.requested_at is None:
            continue
        by_dashboard = ours is not None and entry.token == ours
        rows.append(
            storable_row(  # what a customer sent may hold a NUL, which PostgreSQL refuses
                GcoreRequest(
                    id=entry.id,
                    actions=(entry.actions or "")[:64],
                    data=mask_body(entry.data, path=entry.path),
                    user_email=(entry.user_email or "")[:254],
                    client=entry.client,
                    token=entry.token,
                    requested_at=entry.requested_at,
                    path=mask_path(entry.path)[:2000],
                    remote_ip_address=(entry.remote_ip_address or "")[:64],
                    host=(entry.host or "")[:255],
                    method=entry.method.upper()[:16],
                    query_params=mask_query(entry.query_params),
                    status_code=entry.status_code,
                    reverted=entry.reverted,
                    user=entry.user,
                    by_dashboard=by_dashboard,
                )
            )
        )
        links.extend(
            GcoreRequestClient(
                request_id=entry.id,
                client_id=client_id,
                requested_at=entry.requested_at,
                by_dashboard=by_dashboard,
            )
            for client_id in sorted(client_ids_of(entry))
        )
    with transaction.atomic():
        created = GcoreRequest.objects.bulk_create(rows, ignore_conflicts=True)
        GcoreRequestClient.objects.bulk_create(links, ignore_conflicts=True)
    return len(created)


def _store_status_changes(entries: Sequence[AccountStatusChange]) -> int:
    if not entries:
        return 0
    existing = set(
        GcoreStatusChange.objects.filter(id__in=[e.id for e in entries]).values_list("id", flat=True)
    )
    rows = [
        storable_row(
            GcoreStatusChange(
                id=entry.id,
                status_change_at=entry.status_change_at,
                old_status=(entry.old_status or "")[:32],
                new_status=(entry.new_status or "")[:32],
                federation_id=(entry.federation_id or "")[:64],
                client=entry.client,
            )
        )
        for entry in entries
        if entry.id not in existing and entry.status_change_at is not None
    ]
    return len(GcoreStatusChange.objects.bulk_create(rows, ignore_conflicts=True))


def _prune(name: str, before: datetime) -> int:
    """Delete what is past GCORE_ACTIVITY_RETENTION_DAYS."""
    if name == ActivityIndexState.Log.REQUESTS:
        _, by_model = GcoreRequest.objects.filter(requested_at__lt=before).delete()
        return by_model.get(GcoreRequest._meta.label, 0)
    _, by_model = GcoreStatusChange.objects.filter(status_change_at__lt=before).delete()
    return by_model.get(GcoreStatusChange._meta.label, 0)


def activity_indexed_as_of() -> datetime | None:
    """When both logs were last read through to what was stored: the timelines' "as of"."""
    moments = [
        state.last_complete_at
        for state in ActivityIndexState.objects.all()
        if state.last_complete_at is not None
    ]
    if len(moments) < len(ActivityIndexState.Log):
        return None
    return min(moments)


def activity_index_occurrence(beat: Callable[[], None], actor: User | None) -> str:
    """One scheduled (or asked-for) pass, on a worker: what the Background work page says of it.
    A pass asked for from a page reads at most REFRESH_PAGES pages of each log, the scheduled ones
    until what is stored."""
    done = activity_index_pass(max_pages=REFRESH_PAGES if actor is not None else None, beat=beat)
    return done.summary
