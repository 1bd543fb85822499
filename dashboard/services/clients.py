"""Reading and changing Gcore clients on behalf of a staff member."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from pydantic import TypeAdapter

from dashboard.gcore import GcoreError, GcoreValidationError, get_gcore_client
from dashboard.gcore.models import Client, ClientSummary, ClientUpdate, Page
from dashboard.roles import perm
from dashboard.services.audit import Action, FieldChange, Outcome, audit_record
from dashboard.services.cache import (
    Cached,
    cached_lookup,
    cached_read,
    client_versions,
    invalidate_client,
    list_versions,
)
from dashboard.services.changes import (
    SaveResult,
    audit_saved,
    find_changes,
    find_conflicts,
    pending_changes,
    refuse_conflicts,
)
from dashboard.services.concurrency import in_background

T = TypeVar("T")

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = PAGE_SIZES[0]
# Always sent, so that paging is stable whatever the upstream default order is.
DEFAULT_ORDERING = "id"


@dataclass(frozen=True)
class ClientListing:
    """One page of the client list with the arithmetic the pagination controls need."""

    clients: list[ClientSummary]
    count: int
    page: int
    page_size: int
    fetched_at: float = 0.0
    from_cache: bool = False

    @property
    def age_seconds(self) -> int:
        return max(0, int(time.time() - self.fetched_at))

    @cached_property
    def has_created_at(self) -> bool:
        """Gcore's schema has no created_at; show the column only when the upstream sends it."""
        return any(client.created_at for client in self.clients)

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.page_size))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.count else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.page_size, self.count)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def _list_parts(
    filters: Mapping[str, object], ordering: str | None, limit: int, offset: int
) -> dict[str, object]:
    return {"filters": dict(filters), "ordering": ordering, "limit": limit, "offset": offset}


# How a page of the list (count, rows) and a client are written to the cache and read back.
LIST_PAGE = TypeAdapter(tuple[int, list[ClientSummary]])
CLIENT = TypeAdapter(Client)


def _list_page(
    *, filters: Mapping[str, object], ordering: str | None, limit: int, offset: int, fresh: bool
) -> Cached[tuple[int, list[ClientSummary]]]:
    def fetch() -> tuple[int, list[ClientSummary]]:
        result: Page[ClientSummary] = get_gcore_client().list_clients(
            filters=filters, ordering=ordering, limit=limit, offset=offset, model=ClientSummary
        )
        return result.count, result.results

    parts = _list_parts(filters, ordering, limit, offset)
    return cached_read(parts, fetch, versions=list_versions(), adapter=LIST_PAGE, fresh=fresh)


def _listing(
    read: Cached[tuple[int, list[ClientSummary]]],
    *,
    filters: Mapping[str, object],
    ordering: str | None,
    page: int,
    page_size: int,
    fresh: bool,
) -> ClientListing:
    """The listing `read` holds, or the real last page when `page` is past the end."""
    last_page = max(1, math.ceil(read.value[0] / page_size))
    if page > last_page:
        # Only when someone follows an old link past the end: one more call for the real last page.
        page = last_page
        read = _list_page(
            filters=filters, ordering=ordering, limit=page_size, offset=(page - 1) * page_size, fresh=fresh
        )
    count, clients = read.value
    return ClientListing(
        clients=clients,
        count=count,
        page=page,
        page_size=page_size,
        fetched_at=read.fetched_at,
        from_cache=read.from_cache,
    )


def client_list_soon(
    *,
    filters: Mapping[str, object],
    ordering: str | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    fresh: bool = False,
) -> ClientListing:
    """`client_list`, at once from the cache, or else read from Gcore in a worker thread.

    The caller gets a stand-in and renders around it while Gcore answers; a cached page is
    returned directly, because handing it to a thread would only wait for the thread.
    """
    page = max(1, page)
    parts = _list_parts(filters, ordering, page_size, (page - 1) * page_size)
    if not fresh and (hit := cached_lookup(parts, versions=list_versions(), adapter=LIST_PAGE)) is not None:
        return _listing(hit, filters=filters, ordering=ordering, page=page, page_size=page_size, fresh=fresh)
    query = {"filters": filters, "ordering": ordering, "page": page, "page_size": page_size, "fresh": fresh}
    return in_background(partial(client_list, **query))


def client_list(
    *,
    filters: Mapping[str, object],
    ordering: str | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    fresh: bool = False,
) -> ClientListing:
    """One page of clients (cached briefly); a page past the end lands on the last page."""
    page = max(1, page)
    read = _list_page(
        filters=filters, ordering=ordering, limit=page_size, offset=(page - 1) * page_size, fresh=fresh
    )
    return _listing(read, filters=filters, ordering=ordering, page=page, page_size=page_size, fresh=fresh)


def client_get(*, client_id: int, fresh: bool = False) -> Cached[Client]:
    """One client with its users (cached briefly); GcoreNotFound when Gcore has no such client."""
    return cached_read(
        {"client": client_id},
        lambda: get_gcore_client().get_client(client_id),
        versions=client_versions(client_id),
        adapter=CLIENT,
        fresh=fresh,
    )


def client_get_soon(*, client_id: int, fresh: bool = False) -> Cached[Client]:
    """`client_get`, at once from the cache, or else read from Gcore in a worker thread."""
    if (
        not fresh
        and (hit := cached_lookup({"client": client_id}, versions=client_versions(client_id), adapter=CLIENT))
        is not None
    ):
        return hit
    return in_background(partial(client_get, client_id=client_id, fresh=fresh))


# -- editing ------------------------------------------------------------------------------------

# Editable fields of PATCH /iam/clients/{id}, Pythonic name -> (Gcore name, label).
CLIENT_FIELDS: dict[str, tuple[str, str]] = {
    "email": ("email", "Email"),
    "company_name": ("companyName", "Company name"),
    "name": ("name", "Contact name"),
    "phone": ("phone", "Phone"),
    "custom_id": ("custom_id", "Custom ID"),
    "is_test": ("is_test", "Test client"),
    "seller": ("seller", "Seller ID"),
    "reseller": ("reseller", "Reseller ID"),
}
# Moving a client between resellers or sellers is for superusers (reassign_clients).
REASSIGN_FIELDS = frozenset({"seller", "reseller"})
CLIENT_LABELS = {name: label for name, (_, label) in CLIENT_FIELDS.items()}


def client_values(client: Client) -> dict[str, Any]:
    """The editable values of a client, under the form's names."""
    return {name: getattr(client, name) for name in CLIENT_FIELDS}


def client_update(
    *,
    client_id: int,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: AbstractBaseUser,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Send only what the person changed, after checking nobody changed the same fields upstream.

    `original` holds the values the form was opened with. A field changed upstream since then and
    also by the person is a conflict, saved only with `overwrite`; fields the person did not touch
    are never sent, so their upstream changes are never reverted. Every attempt is audited.
    Gcore errors are audited, then re-raised for the view to show.
    """
    changes = find_changes(original, desired)
    if not changes:
        return SaveResult(outcome=Outcome.UNCHANGED)
    if REASSIGN_FIELDS & changes.keys() and not actor.has_perm(perm("reassign_clients")):
        raise PermissionDenied("Only administrators may move a client to another reseller or seller.")
    gcore = get_gcore_client()
    current_client = read_or_audit(
        partial(gcore.get_client, client_id),
        actor=actor, action=Action.CLIENT_UPDATE, client_id=client_id, ip_address=ip_address,
        changes=[FieldChange(CLIENT_FIELDS[name][0], original.get(name), value) for name, value in changes.items()],
    )  # fmt: skip
    current = client_values(current_client)
    conflicts = find_conflicts(changes, original, current, CLIENT_LABELS)
    # A value Gcore already has is not sent again (someone made the same change meanwhile).
    changes = pending_changes(changes, current)
    if not changes:
        return SaveResult(outcome=Outcome.UNCHANGED, record=current_client)
    audit = partial(
        audit_record,
        actor=actor,
        action=Action.CLIENT_UPDATE,
        client_id=client_id,
        ip_address=ip_address,
        changes=[
            FieldChange(CLIENT_FIELDS[name][0], current[name], value) for name, value in changes.items()
        ],
    )
    if (
        refused := refuse_conflicts(conflicts, overwrite=overwrite, audit=audit, record=current_client)
    ) is not None:
        return refused
    try:
        client = gcore.update_client(client_id, ClientUpdate(**changes))
    except GcoreError as exc:
        audit_failure(exc, audit=audit)
        raise
    finally:
        # Even a failed write may have reached Gcore (a timeout): never serve the old copy again.
        invalidate_client(client_id)
    audit_saved(audit, conflicts)
    return SaveResult(outcome=Outcome.SAVED, record=client, saved=[CLIENT_LABELS[name] for name in changes])


def read_or_audit(read: Callable[[], T], **audit_fields: Any) -> T:
    """Gcore's current record before a change; a failed read is audited (nothing was sent), then re-raised."""
    try:
        return read()
    except GcoreError as exc:
        audit_failure(exc, **audit_fields)
        raise


def audit_failure(exc: GcoreError, *, audit: Callable[..., object] = audit_record, **fields: Any) -> None:
    """Record a Gcore failure: rejected by validation, or an upstream error, with Gcore's status."""
    outcome = Outcome.REJECTED if isinstance(exc, GcoreValidationError) else Outcome.UPSTREAM_ERROR
    audit(outcome=outcome, upstream_status=exc.status_code, message=error_text(exc), **fields)


def error_text(exc: GcoreError) -> str:
    """Gcore's own messages, flattened, for the audit log (never the request or its token)."""
    if isinstance(exc, GcoreValidationError):
        parts = [
            f"{name}: {'; '.join(msgs)}" for name, msgs in exc.field_errors.items()
        ] + exc.non_field_errors
        return " | ".join(parts) or exc.message
    return f"{type(exc).__name__}: {exc.message}"


def audit_rejected_form(
    *,
    action: str,
    client_id: int,
    actor: AbstractBaseUser,
    errors: Mapping[str, list[str]],
    user_id: int | None = None,
    ip_address: str | None = None,
) -> None:
    """Record a change the dashboard's own validation refused before anything was sent."""
    message = " | ".join(f"{name}: {'; '.join(msgs)}" for name, msgs in errors.items())
    audit_record(
        actor=actor,
        action=action,
        outcome=Outcome.REJECTED,
        client_id=client_id,
        user_id=user_id,
        message=f"Refused by the dashboard: {message}",
        ip_address=ip_address,
    )
