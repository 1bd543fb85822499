"""Reading and changing Gcore clients on behalf of a staff member."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Client, Page

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = PAGE_SIZES[0]
# Always sent, so that paging is stable whatever the upstream default order is.
DEFAULT_ORDERING = "id"


@dataclass(frozen=True)
class ClientListing:
    """One page of the client list with the arithmetic the pagination controls need."""

    clients: list[Client]
    count: int
    page: int
    page_size: int

    @property
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


def client_list(
    *, filters: Mapping[str, object], ordering: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> ClientListing:
    """One page of clients; a page past the end lands on the last page."""
    gcore = get_gcore_client()
    page = max(1, page)
    result: Page[Client] = gcore.list_clients(
        filters=filters, ordering=ordering, limit=page_size, offset=(page - 1) * page_size
    )
    last_page = max(1, math.ceil(result.count / page_size))
    if page > last_page:
        # Only when someone follows an old link past the end: one more call for the real last page.
        page = last_page
        result = gcore.list_clients(filters=filters, ordering=ordering, limit=page_size, offset=(page - 1) * page_size)
    return ClientListing(clients=result.results, count=result.count, page=page, page_size=page_size)


def client_get(*, client_id: int) -> Client:
    """One client with its users; GcoreNotFound when Gcore has no such client."""
    return get_gcore_client().get_client(client_id)
