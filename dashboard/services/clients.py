"""Reading and changing Gcore clients on behalf of a staff member."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from pydantic import TypeAdapter

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Client, ClientSummary, ClientUpdate, Page
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action
from dashboard.services.cache import Cached, cached_lookup, cached_read, cached_read_soon, read_key
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


def list_page_key(*, filters: Mapping[str, object], ordering: str, limit: int, offset: int) -> str:
    """The cache key of one page of GET /iam/clients, under the lists' current version."""
    parts = {"filters": dict(filters), "ordering": ordering, "limit": limit, "offset": offset}
    return read_key(parts, [versions.LISTS])


def client_key(client_id: int) -> str:
    """The cache key of GET /iam/clients/{id}, under that client's current version."""
    return read_key({"client": client_id}, [versions.client(client_id)])


# How a page of the list (count, rows) and a client are written to the cache and read back.
LIST_PAGE = TypeAdapter(tuple[int, list[ClientSummary]])
CLIENT = TypeAdapter(Client)


def _list_page(
    *,
    filters: Mapping[str, object],
    ordering: str,
    page: int,
    page_size: int,
    fresh: bool,
    key: str | None = None,
) -> Cached[tuple[int, list[ClientSummary]]]:
    limit, offset = page_size, (page - 1) * page_size

    def fetch() -> tuple[int, list[ClientSummary]]:
        result: Page[ClientSummary] = get_gcore_client().list_clients(
            filters=filters, ordering=ordering, limit=limit, offset=offset, model=ClientSummary
        )
        return result.count, result.results

    key = key or list_page_key(filters=filters, ordering=ordering, limit=limit, offset=offset)
    return cached_read(key, fetch, adapter=LIST_PAGE, fresh=fresh)


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
            filters=query.filters, ordering=query.ordering, page=page, page_size=page_size, fresh=fresh
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


def client_list(*, query: ClientQuery, fresh: bool = False, key: str | None = None) -> ClientListing:
    """One page of the clients the query asks for (cached briefly); past the end, the last page.

    `key`: the page's cache key when the caller has already taken it (`list_page_key`).
    """
    read = _list_page(
        filters=query.filters,
        ordering=query.ordering,
        page=query.page,
        page_size=query.page_size,
        fresh=fresh,
        key=key,
    )
    return _listing(read, query=query, fresh=fresh)


def client_list_soon(*, query: ClientQuery, fresh: bool = False) -> ClientListing:
    """`client_list`, at once from the cache, or else read from Gcore in a worker thread.

    The caller gets a stand-in and renders around it while Gcore answers; a cached page is
    returned directly, because handing it to a thread would only wait for the thread. The key is
    taken here, once: the worker then has nothing to do before its request leaves.
    """
    offset = (query.page - 1) * query.page_size
    key = list_page_key(filters=query.filters, ordering=query.ordering, limit=query.page_size, offset=offset)
    if not fresh and (hit := cached_lookup(key, adapter=LIST_PAGE)) is not None:
        return _listing(hit, query=query, fresh=fresh)
    # `fresh`: the cache was just asked; the worker goes straight to Gcore (and fills it).
    return in_background(partial(client_list, query=query, fresh=True, key=key))


def client_get(*, client_id: int, fresh: bool = False, key: str | None = None) -> Cached[Client]:
    """One client with its users (cached briefly); GcoreNotFound when Gcore has no such client."""
    fetch = partial(get_gcore_client().get_client, client_id)
    return cached_read(key or client_key(client_id), fetch, adapter=CLIENT, fresh=fresh)


def client_get_soon(*, client_id: int, fresh: bool = False) -> Cached[Client]:
    """`client_get`, at once from the cache, or else read from Gcore in a worker thread."""
    read = partial(client_get, client_id=client_id, fresh=True)
    return cached_read_soon(client_key(client_id), lambda key: read(key=key), adapter=CLIENT, fresh=fresh)


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
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
    reverts: int | None = None,
) -> SaveResult:
    """Save a client's details with one PATCH of only the changed fields (the save pipeline's rules);
    `reverts` names the audit entry this change undoes (services/revert.py)."""
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
        steps=[
            Step(CLIENT_FIELDS, lambda changes, _: gcore.update_client(client_id, ClientUpdate(**changes)))
        ],
        invalidate=partial(versions.client_changed, client_id),
        audit_name=lambda name: CLIENT_FIELDS[name][0],
        authorize=authorize,
        details={"reverts": reverts} if reverts is not None else {},
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )
