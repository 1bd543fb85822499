"""SppSandbox: the SPP data and endpoints on the Gcore sandbox's machinery (faults, latency, log)."""

from __future__ import annotations

import copy
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from dashboard.sandbox.core import SandboxBase
from dashboard.sandbox.faults import Fault
from dashboard.sandbox.responses import SandboxResponse

from .catalog import EMPLOYEES, manager_json
from .data import seeded_store
from .handlers import SppRequest, resolve
from .listing import parse_php_query
from .responses import UNAUTHENTICATED, message_error, status_fault, with_api_headers
from .store import SppStore


class SppSandbox(SandboxBase[SppStore]):
    """An in-memory SPP clients API. Every public method is safe to call from many threads.

    `gcore_clients` and `seed` name the Gcore sandbox data the SPP data is made from; with the same
    `now` (default: today, midnight UTC, as the Gcore `Sandbox` defaults) the e-mails line up with a
    Gcore `Sandbox(seed=seed, clients=gcore_clients)`. `case_sensitive_filters` makes text filters and
    the e-mail uniqueness check compare exactly instead of as MySQL's `_ci` collations do.
    """

    def __init__(
        self,
        seed: int = 42,
        gcore_clients: int = 600,
        token: str | None = None,
        *,
        now: datetime | None = None,
        case_sensitive_filters: bool = False,
    ) -> None:
        self.seed = seed
        self.gcore_clients = gcore_clients
        self.token = token
        self.now = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.case_sensitive_filters = case_sensitive_filters
        super().__init__()

    # -- inspection (for tests) ----------------------------------------------------------------

    def client_json(self, client_id: int) -> dict[str, Any]:
        """The client as GET /api/clients/{user} returns it (the full User); KeyError if unknown."""
        with self._lock:
            return self._store.clients[client_id].full_json()

    def client_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._store.clients)

    def ids_with_email(self, email: str) -> list[int]:
        """Ids of the clients with this e-mail address, compared case-insensitively, ascending."""
        with self._lock:
            return sorted(client.id for client in self._store.with_email(email))

    @staticmethod
    def employees() -> list[dict[str, Any]]:
        """The employees PUT accepts in `employee_id`, as `managers` lists them."""
        return [copy.deepcopy(manager_json(employee_id)) for employee_id in EMPLOYEES]

    # -- the API --------------------------------------------------------------------------------

    def _respond(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, scheme: str
    ) -> SandboxResponse:
        return with_api_headers(self._route(method, path, query, headers, body, scheme))

    def _route(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, scheme: str
    ) -> SandboxResponse:
        # Laravel matches the decoded path, and names the raw one, trimmed of slashes, in messages.
        route_name = path.strip("/") or "/"
        resolved = resolve(unquote(path))
        if resolved is None:
            return message_error(404, f"The route {route_name} could not be found.")
        route, path_params = resolved
        # Laravel rejects a method while routing, before any middleware: no token needed for a 405.
        handler = route.methods.get(method)
        if handler is None:
            allowed = ", ".join(route.methods)
            return message_error(
                405,
                f"The {method} method is not supported for route {route_name}. Supported methods: {allowed}.",
                {"Allow": allowed},
            )
        if not self._authenticated(headers.get("authorization")):
            return message_error(401, UNAUTHENTICATED)
        host = headers.get("host") or "localhost"
        request = SppRequest(
            params=parse_php_query(query),
            body=body,
            path_url=f"{scheme}://{host}{path}",
            case_sensitive=self.case_sensitive_filters,
        )
        with self._lock:
            return handler(request, self._store, **path_params)

    def _authenticated(self, header: str | None) -> bool:
        """SPP: `Authorization: Bearer <api key>` (docs/spp-api-notes.md §1). The scheme word is
        matched case-sensitively, as Laravel's `bearerToken()` does; `token` None accepts any key."""
        if not header or not header.startswith("Bearer "):
            return False
        key = header[len("Bearer ") :].strip()
        if not key:
            return False
        return self.token is None or hmac.compare_digest(key.encode("utf-8"), self.token.encode("utf-8"))

    def _status_fault_response(self, fault: Fault) -> SandboxResponse:
        return with_api_headers(status_fault(fault))

    def _malformed(self, response: SandboxResponse) -> SandboxResponse:
        return with_api_headers(super()._malformed(response))

    def _fresh_store(self) -> SppStore:
        """This sandbox's own copy of the seeded data (see `data.seeded_store`)."""
        return seeded_store(seed=self.seed, gcore_clients=self.gcore_clients, now=self.now)
