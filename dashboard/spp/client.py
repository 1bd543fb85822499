"""A thin, typed client for SPP's clients API: list (filtered, sorted, paged), read one, update one.

Auth, the API version header, URLs and parsing live here; timeouts, retries (reads only; a PUT
never once it may have been sent) and the error mapping are the shared plumbing's
(dashboard/upstream/client.py). It knows nothing of Django requests or HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dashboard.upstream.client import UpstreamClient

from .errors import ERROR_CLASSES, REQUEST_ID_HEADER
from .models import SppClient as SppClientRecord
from .models import SppClientUpdate, SppMeta, SppPage

log = logging.getLogger("dashboard.spp")

# SPP: no maximum `limit` is documented (docs/spp-api-notes.md §3); pages are asked at this size.
MAX_PAGE_SIZE = 100


def filter_params(filters: Mapping[str, object]) -> list[tuple[str, str]]:
    """`{"email": "a@b.c", "id": [1, 2]}` as SPP's filters: `filters[email][$eq]=a@b.c`,
    `filters[id][$in][]=1&filters[id][$in][]=2` (docs/spp-api-notes.md §3)."""
    params: list[tuple[str, str]] = []
    for field, value in filters.items():
        if isinstance(value, list | tuple | set | frozenset):
            params += [(f"filters[{field}][$in][]", str(item)) for item in value]
        else:
            params.append((f"filters[{field}][$eq]", str(value)))
    return params


class SppClient(UpstreamClient):
    system = "SPP"
    request_id_header = REQUEST_ID_HEADER
    error_classes = ERROR_CLASSES
    log = log

    def __init__(self, *, api_key: str, api_version: str, **options: Any) -> None:
        headers = {"Authorization": f"Bearer {api_key}", "X-Api-Version": api_version}
        super().__init__(headers=headers, **options)

    def list_clients(
        self,
        *,
        filters: Mapping[str, object] | None = None,
        sort: str | None = None,
        page: int = 1,
        limit: int = MAX_PAGE_SIZE,
    ) -> SppPage:
        """GET /api/clients: one page, with the paginator's `meta` (newest first unless sorted)."""
        params: list[tuple[str, str]] = [("limit", str(limit)), ("page", str(page))]
        if sort:
            params.append(("sort", sort))
        params += filter_params(filters or {})
        response = self._request("GET", "/api/clients", params=tuple(params))
        # SPP: documented as the `{data, links, meta}` envelope; a bare array is read too, as one page.
        if response.content.lstrip()[:1] == b"[":
            clients = self._read(list[SppClientRecord], response)
            return SppPage(data=clients, meta=SppMeta(current_page=page, last_page=page, total=len(clients)))
        return self._read(SppPage, response)

    def get_client(self, spp_id: int) -> SppClientRecord:
        """GET /api/clients/{user}: the full client (bare, no `data` wrapper)."""
        return self._read(SppClientRecord, self._request("GET", f"/api/clients/{int(spp_id)}"))

    def update_client(self, spp_id: int, changes: SppClientUpdate) -> SppClientRecord:
        """PUT /api/clients/{user} with only the fields set on `changes`; SPP leaves the rest."""
        body = changes.model_dump(exclude_unset=True)
        return self._read(SppClientRecord, self._request("PUT", f"/api/clients/{int(spp_id)}", json=body))

    def clients_with_email(self, email: str) -> list[SppClientRecord]:
        """Every SPP client whose email is `email`, compared without regard to case.

        SPP: whether its filters ignore case is not documented (docs/spp-api-notes.md §8): the
        address is asked for as typed and in lower case, and the answer is compared here.
        """
        spellings = sorted({email, email.lower()})
        found = self.list_clients(filters={"email": spellings}, limit=MAX_PAGE_SIZE)
        wanted = email.casefold()
        return [client for client in found.data if (client.email or "").casefold() == wanted]
