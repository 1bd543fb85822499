"""SPP (Service Provider Pro) clients API sandbox: an in-memory stand-in for a reseller's SPP workspace.

It knows nothing of Django or of the dashboard (stdlib + httpx, and the Gcore sandbox's machinery in
`dashboard.sandbox`), and it follows what SPP documents (docs/spp-api-notes.md); where SPP is silent
it makes one named choice (§8 there). It runs two ways, like the Gcore sandbox:

* in-process: ``httpx.Client(transport=SandboxTransport(sb), base_url="https://billing.example")``;
* over loopback: ``server = make_server(sb, port=0)``; ``server.serve_forever()`` in a thread
  (or ``python manage.py spp_sandbox``).

Endpoints (auth ``Authorization: Bearer <token>`` on all of them; a missing or wrong token answers
401 ``{"message": "Unauthenticated."}``)::

    GET  /api/clients           limit (1-100, default 20), page, sort=field:asc|desc,
                                filters[field][$eq|$lt|$gt]=v, filters[field][$in][]=v;
                                {data, links, meta}, newest first by default
    GET  /api/clients/{user}    the full User, bare
    PUT  /api/clients/{user}    the documented fields, all optional; fields not sent stay

HEAD is answered wherever GET is. Any other method on those paths answers Laravel's 405 with
``Allow`` (before the token is checked, as Laravel rejects it while routing); an unknown path, a
trailing slash included, answers 404. SPP's POST /api/clients and DELETE /api/clients/{user} are
out of the sandbox's scope and answer 405 too. Every answer is JSON in Laravel's shapes
(``{"message": ...}``, validation ``{"message", "errors"}`` with SPP's 400) and carries
``X-Api-Version: 20231214`` and a fresh ``X-Api-Identifier``.

Faults, latency, the request log and the ``/__sandbox__/`` control API are the Gcore sandbox's
(see ``dashboard.sandbox``), with the same kinds and semantics; a "status" fault answers
``{"message": ...}`` (the reason phrase; Laravel's own words for 429 and 500) plus ``Retry-After``
when given.
"""

from __future__ import annotations

from dashboard.sandbox import (
    SandboxResponse,
    SandboxServer,
    SandboxTransport,
    SimulatedDisconnect,
    SimulatedTimeout,
    make_server,
)

from .core import SppSandbox

__all__ = [
    "SandboxResponse",
    "SandboxServer",
    "SandboxTransport",
    "SimulatedDisconnect",
    "SimulatedTimeout",
    "SppSandbox",
    "make_server",
]
