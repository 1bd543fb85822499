"""Gcore IAM reseller API sandbox: a faithful in-memory stand-in for https://api.gcore.com.

It knows nothing of Django or of the dashboard (stdlib + httpx only), and it runs two ways:

* in-process: ``httpx.Client(transport=SandboxTransport(sb), base_url="https://api.gcore.com")``;
* over loopback: ``server = make_server(sb, port=0)``; ``server.serve_forever()`` in a thread
  (or ``python manage.py gcore_sandbox``).

Endpoints (auth ``Authorization: APIKey <token>`` on all of them, the scheme word case-insensitive;
each follows Gcore's ``iam_reseller_api.yaml``, or ``iam_api.yaml`` for the user and token calls)::

    GET    /iam/clients                               every documented filter; plain array without `limit`,
                                                      {count, next, previous, results} with it
    GET    /iam/clients/{id}                          the Client with users[] (invited ones too)
    PATCH  /iam/clients/{id}                          UpdateClientRequest
    POST   /iam/users                                 CreateUserRequest: new client + first user -> 201
    GET    /iam/users/{id}                            the User in its own account (without client_and_roles)
    PATCH  /iam/users/{id}                            email, name, lang, phone, company, auth_types; the
                                                      answer lists every client of the user
    POST   /iam/clients/invite_user                   InviteUserRequest -> {"status": "sent", "user_id"}: a
                                                      new user (not activated), or a user of another
                                                      client added to this one; 400 ["User N has already
                                                      been invited to client M"] or ["This user cannot be
                                                      added to this client."]
    GET    /iam/clients/{cid}/client-users/{uid}      {"user_role": {"id", "name"}}
    PUT    /iam/clients/{cid}/client-users/{uid}      {"user_role": {"id", "name"}} -> 204
    DELETE /iam/clients/{cid}/client-users/{uid}      revoke access -> 200, no body; the user is deleted with
                                                      their last client; 403 while they hold tokens there
    POST   /iam/auth/renew_invitation                 {"email"} -> 200, no body; 400 once activated; 404
    POST   /iam/auth/reset_password                   {"email"} -> 200, no body; 404 (no mail is sent)
    GET    /iam/v2/clients/{cid}/tokens               plain array; role, issued_by, not_issued_by, deleted
                                                      (without it: the tokens not deleted)
    POST   /iam/v2/clients/{cid}/tokens               Token-2 -> 200 with "token": "<id>_<secret>", shown once
    GET    /iam/v2/clients/{cid}/tokens/{tid}         one TokenResponse (a deleted one too)
    DELETE /iam/v2/clients/{cid}/tokens/{tid}         -> 204; the token stays, `deleted: true`
    ...    /iam/clients/{cid}/tokens[/{tid}]          deprecated v1: the same four, "<id>$<secret>"
    GET    /iam/clients/{cid}/services                plain array of the client's six services
    GET    /iam/clients/{cid}/services/{sid}          one service (404 if it is another client's)
    PUT    /iam/clients/{cid}/services/{sid}          UpdateServiceRequest (`status` required)
    PATCH  /iam/clients/{cid}/services/{sid}          deprecated: the same fields, all optional
    GET    /iam/products/availability/defaults        [{product_name, available}] of the six products
    PATCH  /iam/products/availability/defaults        one ProductAvailability; 403 if it would turn off a
                                                      product in use by a client that follows the default
    GET    /iam/products/availability/clients/{cid}   the client's effective availability
    PATCH  /iam/products/availability/clients/{cid}   one ProductAvailability, personalised; 403 as above
    DELETE /iam/products/availability/clients/{cid}   {"product_names": [...]}: follow the defaults -> 204
    DELETE /iam/products/availability/clients         the same for every client -> 204
    GET    /iam/admin/feature                         the feature catalogue (plain array)
    GET    /iam/admin/feature/{id}                    one Feature
    GET    /iam/admin/free_features                   every client's activated free features (plain array)
    POST   /iam/admin/free_features                   {client_id, feature_id} -> 201 ActivatedFeature
    GET    /iam/admin/free_features/{id}              one activation
    DELETE /iam/admin/free_features/{id}              -> 204
    ...    /iam/admin/paid_features[/{id}]            the same four for paid features
    GET    /iam/admin/sellers                         the sellers; plain array without `limit`, a page
                                                      with it; every documented filter and ordering
    POST   /iam/admin/sellers                         Seller (email, full_name, phone) -> 200, not activated
    GET    /iam/admin/sellers/{id}                    one Seller (a deleted one too, `deleted: true`)
    PATCH  /iam/admin/sellers/{id}                    email, full_name, phone
    DELETE /iam/admin/sellers/{id}                    -> 204; flagged deleted, taken off every client
    GET    /iam/clients/me                            the reseller's own account (ClientBase), id 1001
    GET    /iam/reselling/resellers/{rid}/notification_settings       always a page; 403 for another rid
    POST   /iam/reselling/resellers/{rid}/notification_settings       NotificationSettingsWrite -> 201
    GET|PUT|PATCH|DELETE  .../notification_settings/{id}             DELETE -> 204
    GET    /iam/reselling/settings                    BrandingSettings (public settings, mail server)
    PUT    /iam/reselling/settings                    the whole BrandingSettings, replaced
    POST   /iam/reselling/settings/upload             multipart `logo` and/or `favicon` images -> 200
    GET    /iam/activity_log/requests                 newest first, `limit`/`offset` only, under `result`
    GET    /iam/activity_log/requests/{id}            one AccountRequestsItem
    GET    /iam/activity_log/account_status_changes   newest first, `limit`/`offset` only, under `result`

Writes stamp their times (created_at, status_changed_at, created_date, a token's created) from
``Sandbox(clock=...)``, real UTC time by default, and a token's `expired` is read on it; the seeded
data stays anchored on ``now``. About a third of the live clients have seeded API tokens (data.py).
A password sent to POST /iam/users is checked and not stored with the user; the control API's
request log holds method, path and query only; a created token's secret is in its answer only.

The activity log (activity.py) records every request served with a valid key, body included, as
Gcore's `data` ("Request body") is documented: a password sent in a body is in it, as it is in the
seeded history (data.activity_history), so whoever shows the log must mask it. Reads of the log
itself are not recorded, and only the last 5,000 requests are kept.

Any other method (TRACE, PROPFIND, any token) on those paths answers DRF's 405 with ``Allow``, after
the key is checked (401 first); an unknown path answers 404. In-process and over the socket alike.

Faults (``Sandbox.add_fault``; checked in the order added, the first match with uses left fires):

* ``status``: answer ``status`` with a JSON ``{"detail": ...}`` body, plus ``Retry-After`` when given;
  the request is not processed.
* ``timeout``: the request IS processed, then the in-process transport raises ``httpx.ReadTimeout``
  and the socket server answers only after ``seconds`` (default 30).
* ``disconnect``: the request is NOT processed; the transport raises ``httpx.ConnectError``, the
  socket server closes the connection without a response.
* ``malformed``: the request is processed and answered 200 with a truncated JSON body.

Control API, over the socket only (no auth, no faults, not logged)::

    POST   /__sandbox__/faults      JSON body = add_fault kwargs including "kind"   -> 201
    DELETE /__sandbox__/faults      clear_faults()                                  -> 204
    POST   /__sandbox__/latency     {"ms": 50}: set_latency                         -> 204
    GET    /__sandbox__/requests    the request log as a JSON array                 -> 200
    DELETE /__sandbox__/requests    clear_request_log()                             -> 204
    POST   /__sandbox__/reset       reset()                                         -> 204

A bad control request answers 400 ``{"error": "..."}``.
"""

from __future__ import annotations

from .core import Sandbox
from .faults import SimulatedDisconnect, SimulatedTimeout
from .responses import SandboxResponse
from .server import SandboxServer, make_server
from .transport import SandboxTransport

__all__ = [
    "Sandbox",
    "SandboxResponse",
    "SandboxServer",
    "SandboxTransport",
    "SimulatedDisconnect",
    "SimulatedTimeout",
    "make_server",
]
