"""Reading and changing Gcore clients on behalf of a staff member."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from pydantic import TypeAdapter

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Client, ClientSummary, ClientUpdate, Page
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action
from dashboard.services.cache import Cached, cached_lookup, cached_read
from dashboard.services.client_query import ClientQuery
from dashboard.services.concurrency import in_background
from dashboard.services.saves import Save, SaveResult, Step, run_save


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
    return cached_read(parts, fetch, versions=[versions.LISTS], adapter=LIST_PAGE, fresh=fresh)


def _listing(
    read: Cached[tuple[int, list[ClientSummary]]], *, query: ClientQuery, fresh: bool
) -> ClientListing:
    """The listing `read` holds, or the real last page when the query's page is past the end."""
    page, page_size = query.page, query.page_size
    last_page = max(1, math.ceil(read.value[0] / page_size))
    if page > last_page:
        # Only when someone follows an old link past the end: one more call for the real last page.
        page = last_page
        read = _list_page(
            filters=query.filters,
            ordering=query.ordering,
            limit=page_size,
            offset=(page - 1) * page_size,
            fresh=fresh,
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


def client_list(*, query: ClientQuery, fresh: bool = False) -> ClientListing:
    """One page of the clients the query asks for (cached briefly); past the end, the last page."""
    offset = (query.page - 1) * query.page_size
    read = _list_page(
        filters=query.filters, ordering=query.ordering, limit=query.page_size, offset=offset, fresh=fresh
    )
    return _listing(read, query=query, fresh=fresh)


def client_list_soon(*, query: ClientQuery, fresh: bool = False) -> ClientListing:
    """`client_list`, at once from the cache, or else read from Gcore in a worker thread.

    The caller gets a stand-in and renders around it while Gcore answers; a cached page is
    returned directly, because handing it to a thread would only wait for the thread.
    """
    parts = _list_parts(query.filters, query.ordering, query.page_size, (query.page - 1) * query.page_size)
    if not fresh and (hit := cached_lookup(parts, versions=[versions.LISTS], adapter=LIST_PAGE)) is not None:
        return _listing(hit, query=query, fresh=fresh)
    return in_background(partial(client_list, query=query, fresh=fresh))


def client_get(*, client_id: int, fresh: bool = False) -> Cached[Client]:
    """One client with its users (cached briefly); GcoreNotFound when Gcore has no such client."""
    return cached_read(
        {"client": client_id},
        lambda: get_gcore_client().get_client(client_id),
        versions=[versions.client(client_id)],
        adapter=CLIENT,
        fresh=fresh,
    )


def client_get_soon(*, client_id: int, fresh: bool = False) -> Cached[Client]:
    """`client_get`, at once from the cache, or else read from Gcore in a worker thread."""
    if (
        not fresh
        and (
            hit := cached_lookup({"client": client_id}, versions=[versions.client(client_id)], adapter=CLIENT)
        )
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
    """Save a client's details with one PATCH of only the changed fields (the save pipeline's rules)."""
    gcore = get_gcore_client()

    def authorize(changes: Mapping[str, Any]) -> None:
        if REASSIGN_FIELDS & changes.keys() and not actor.has_perm(perm("reassign_clients")):
            raise PermissionDenied("Only administrators may move a client to another reseller or seller.")

    save = Save(
        action=Action.CLIENT_UPDATE,
        client_id=client_id,
        labels=CLIENT_LABELS,
        read=partial(gcore.get_client, client_id),
        values=client_values,
        steps=[Step(CLIENT_FIELDS, lambda changes: gcore.update_client(client_id, ClientUpdate(**changes)))],
        invalidate=partial(versions.client_changed, client_id),
        audit_name=lambda name: CLIENT_FIELDS[name][0],
        authorize=authorize,
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )
