"""In-memory records of clients and users, and their JSON rendering in Gcore's shapes."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .catalog import ADMIN_GROUP_ID, FEATURES_BY_ID, GROUPS, SERVICES

# The sandbox's choice: Gcore says only that `deleted_date` is when a `trialend` or `paused` service
# will turn to `deleted`; the sandbox puts it this long after the status changed.
DELETION_GRACE = timedelta(days=30)
STATUSES_WITH_DELETED_DATE = ("trialend", "paused")
# The sandbox's bound on the activity log: the last this many requests are kept.
MAX_LOGGED_REQUESTS = 5_000


@dataclass
class UserRecord:
    """A user and the clients it may use. `fields` holds the stored, emitted values under their API
    names.

    `client_id` is the user's own account (`client` of GET /iam/users/{id}) and `group_id` its role
    there. Gcore's users may use several accounts (UserClientAndRoles, iam_api.yaml): an invitation
    of an existing user adds one to `other_roles`, client id -> group id. Seeded users have none
    (None, so a store stays as cheap to copy as before).
    """

    id: int
    client_id: int
    group_id: int
    fields: dict[str, Any]
    other_roles: dict[int, int] | None = None

    def role_in(self, client_id: int) -> int | None:
        """The user's group id in that client; None if it is not one of the user's clients."""
        if client_id == self.client_id:
            return self.group_id
        return (self.other_roles or {}).get(client_id)

    def roles(self) -> dict[int, int]:
        """Every client of the user and its group id there, its own account first."""
        return {self.client_id: self.group_id, **(self.other_roles or {})}

    def set_role(self, client_id: int, group_id: int) -> None:
        """Give the user this role in that client, adding the client if it is a new one."""
        if client_id == self.client_id:
            self.group_id = group_id
        else:
            self.other_roles = {**(self.other_roles or {}), client_id: group_id}

    def leave(self, client_id: int) -> bool:
        """Drop one of the user's clients; False if it had no other (the caller deletes the user).
        Leaving its own account makes the next one its own."""
        others = dict(self.other_roles or {})
        if client_id != self.client_id:
            others.pop(client_id, None)
        elif others:
            self.client_id, self.group_id = next(iter(others.items()))
            del others[self.client_id]
        else:
            return False
        self.other_roles = others or None
        return True


@dataclass
class ServiceRecord:
    """One of a client's services (iam_reseller_Service). Its `status` and `enabled` live in the
    client's `serviceStatuses` only, so the Client, the service and the list filters cannot
    disagree; this record keeps the rest."""

    id: int
    name: str
    previous_status: str
    status_changed_at: datetime
    start: datetime
    options: list[dict[str, Any]]
    status_transition_options: list[dict[str, Any]]


@dataclass
class ClientRecord:
    """A client. `fields` holds emitted values under their API names; the rest is internal state
    that only the list filters and ordering see (Gcore's Client schema has no such properties,
    docs/gcore-api-notes.md §4), or that other endpoints show (services, product availability)."""

    id: int
    fields: dict[str, Any]
    user_ids: list[int]
    created_at: datetime
    country: str | None
    traffic_gb: float
    hidden_service_statuses: dict[str, str]
    secondary_hostnames: tuple[str, ...]
    promocode: str | None
    # Personal product availability: product name -> available, for the products this client no
    # longer takes from the reseller's defaults (the extra PRODUCTS included).
    product_overrides: dict[str, bool]
    # By ServiceName, in SERVICES order; empty until first used (data.services_of builds them).
    services: dict[str, ServiceRecord] = field(default_factory=dict)
    # The client's API tokens by id; None until first used (data.tokens_of builds the seeded ones).
    tokens: dict[int, TokenRecord] | None = None

    @property
    def personal_products(self) -> frozenset[str]:
        """The products with personal availability (the `personal_product_availability` filter)."""
        return frozenset(self.product_overrides)

    def service_state(self, name: str) -> dict[str, Any]:
        """`{"status", "enabled"}` of one service: the client's `serviceStatuses` entry itself."""
        state: dict[str, Any] = self.fields["serviceStatuses"][name]
        return state

    def set_service_state(self, name: str, *, status: str | None = None, enabled: bool | None = None) -> None:
        """Change a service's status or enabled flag; `capabilities` (the enabled services) follows."""
        state = self.service_state(name)
        if status is not None:
            state["status"] = status
        if enabled is not None:
            state["enabled"] = enabled
        self.fields["capabilities"] = [s for s in SERVICES if self.fields["serviceStatuses"][s]["enabled"]]

    @property
    def feature_ids(self) -> frozenset[int]:
        """The features the client has (the `feature_id_in` filter), from the activations in its JSON."""
        return frozenset(
            item["feature_id"]
            for key in ("paidFeatures", "freeFeatures")
            for items in self.fields[key].values()
            for item in items
        )


@dataclass
class TokenRecord:
    """One of a client's permanent API tokens (TokenResponse, iam_api.yaml). The secret is never
    kept: Gcore shows it once, in the answer that creates the token."""

    id: int
    client_id: int
    user_id: int  # who issued it: a user of the client then
    role_id: int  # the token's own role (client_user.role), not its issuer's group
    name: str
    description: str
    exp_date: datetime | None  # None: never expires
    created: datetime
    last_usage: datetime | None  # None: never used
    deleted: bool = False

    def is_expired(self, now: datetime) -> bool:
        return self.exp_date is not None and self.exp_date <= now


@dataclass(frozen=True)
class Activation:
    """One activated feature, as GET /iam/admin/{free,paid}_features lists it."""

    id: int
    client_id: int
    feature_id: int
    created_date: str


@dataclass
class Store:
    """All sandbox data. Callers hold the sandbox lock around every use."""

    clients: dict[int, ClientRecord]
    users: dict[int, UserRecord]
    # What the data was generated from: service records are built from them on first use (data.py).
    seed: int = 0
    now: datetime | None = None
    # The reseller's default availability of the ServiceName products.
    default_availability: dict[str, bool] = field(default_factory=dict)
    sellers: list[dict[str, Any]] = field(default_factory=list)  # Seller objects, by id
    # The next id of each kind of record a write creates ("client", "user", "activation", "token"):
    # like database sequences, an id is never given twice, even after a delete.
    next_ids: dict[str, int] = field(default_factory=dict)
    # Users deleted with their last client (DELETE .../client-users/{uid}): gone from the API, kept
    # only so the tokens they issued can still name them.
    removed_users: dict[int, UserRecord] = field(default_factory=dict)
    # The reseller's notification e-mails (NotificationSettingsRead objects), by id.
    notification_settings: list[dict[str, Any]] = field(default_factory=list)
    # The reseller's BrandingSettings as GET /iam/reselling/settings answers them.
    branding: dict[str, Any] = field(default_factory=dict)
    # Uploaded logo and favicon: field name -> (file name, content type, bytes).
    branding_assets: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    # The activity log: the requests served since the store was made (AccountRequestsItem objects,
    # oldest first, the last activity.MAX_REQUESTS kept), and the seeded history before them (None
    # until first read: data.activity_history builds it, as services and tokens are built).
    recorded_requests: deque[dict[str, Any]] = field(
        default_factory=lambda: deque(maxlen=MAX_LOGGED_REQUESTS)
    )
    seeded_activity: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
    recorded_count: int = 0  # requests recorded so far: the next recorded id follows from it

    def take_id(self, kind: str) -> int:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value

    def is_available(self, client: ClientRecord, product: str) -> bool:
        """The client's effective availability: its personal setting, else the default."""
        if product in client.product_overrides:
            return client.product_overrides[product]
        return self.default_availability[product]

    def availability_json(self, client: ClientRecord) -> list[dict[str, Any]]:
        return [{"product_name": p, "available": self.is_available(client, p)} for p in SERVICES]

    def activations(self, *, free: bool) -> Iterator[Activation]:
        """Every client's free (or paid) activations, read from the Client JSON they live in."""
        key, id_key = feature_keys(free=free)
        for client in self.clients.values():
            for items in client.fields[key].values():
                for item in items:
                    yield Activation(item[id_key], client.id, item["feature_id"], item["create_date"])

    def users_of(self, client: ClientRecord) -> list[UserRecord]:
        return [self.users[user_id] for user_id in client.user_ids]

    def client_json(self, client: ClientRecord) -> dict[str, Any]:
        """The Client object of GET /iam/clients and GET/PATCH /iam/clients/{id}."""
        users = self.users_of(client)
        body: dict[str, Any] = {"id": client.id, "users": [self._base_user_json(u, client) for u in users]}
        body.update(client.fields)
        # Gcore: ClientCountryCode is a non-nullable string, so a client without a country gets ""
        # (docs/gcore-api-notes.md §4).
        body["country_code"] = client.country or ""
        body["has_active_admin"] = any(_is_active_admin(user, client.id) for user in users)
        return body

    def user_json(self, user: UserRecord, *, with_roles: bool) -> dict[str, Any]:
        """The User of GET /iam/users/{id} (as seen in its own account); `with_roles` adds the PATCH
        response's `client_and_roles`, one entry per client of the user."""
        body = self._base_user_json(user, self.clients[user.client_id])
        body["user_type"] = user.fields["user_type"]
        body["is_active"] = user.fields["is_active"]
        if with_roles:
            body["client_and_roles"] = [
                {
                    "client_id": client_id,
                    "client_company_name": self.clients[client_id].fields["companyName"],
                    # Gcore: roles are listed as strings of group ids, e.g. ["2"] (docs/gcore-api-notes.md
                    # §4).
                    "user_roles": [str(group_id)],
                    "user_id": user.id,
                }
                for client_id, group_id in user.roles().items()
            ]
        return body

    def token_json(self, token: TokenRecord, *, now: datetime) -> dict[str, Any]:
        """TokenResponse (iam_api.yaml), `expired` as of `now`."""
        issuer = self.users.get(token.user_id) or self.removed_users[token.user_id]
        return {
            "id": token.id,
            "name": token.name,
            "description": token.description,
            "exp_date": None if token.exp_date is None else api_datetime(token.exp_date),
            "client_user": {
                # Gcore: ClientUser.deleted is described as the token's deletion flag, a copy of the
                # token's own description; as ClientUser is the issuer's membership of the client, the
                # sandbox's reading is "the issuer is deleted or no longer a user of this client".
                "deleted": issuer.fields["deleted"]
                or token.user_id not in self.clients[token.client_id].user_ids,
                "user_id": issuer.id,
                # Gcore: user_name is a non-nullable string (ClientUser, iam_api.yaml): "" for a user
                # without a name (the sandbox's choice).
                "user_name": issuer.fields["name"] or "",
                "user_email": issuer.fields["email"],
                "client_id": token.client_id,
                "role": group_json(token.role_id),
            },
            "deleted": token.deleted,
            # Gcore: "When an API token expires it will be automatically deleted" (TokenResponse), at
            # a time not documented; the sandbox never does, so an expired token stays `deleted:
            # false` (and listed by default) until someone deletes it.
            "expired": token.is_expired(now),
            "created": api_datetime(token.created),
            # Gcore: TokenResponse types last_usage as a non-nullable string; a token never used has
            # no such date, and the sandbox sends null, as a DRF DateTimeField(null=True) would.
            "last_usage": None if token.last_usage is None else api_datetime(token.last_usage),
        }

    @staticmethod
    def _base_user_json(user: UserRecord, client: ClientRecord) -> dict[str, Any]:
        """iam_reseller_BaseUser: the shape of a client's `users[]` items: the user as seen in that
        client (its `client`, `reseller` and `groups` are that client's, for a user of several)."""
        f = user.fields
        return {
            "id": user.id,
            "email": f["email"],
            "name": f["name"],
            "lang": f["lang"],
            "phone": f["phone"],
            "company": f["company"],
            # Derived from the owning client so a PATCH of the client's reseller shows here too.
            "reseller": client.fields["resellers"],
            "client": client.id,
            "deleted": f["deleted"],
            "groups": [group_json(_role(user, client.id))],
            "activated": f["activated"],
            "sso_auth": f["sso_auth"],
            "two_fa": f["two_fa"],
            "auth_types": list(f["auth_types"]),
        }


def service_json(client: ClientRecord, service: ServiceRecord) -> dict[str, Any]:
    """iam_reseller_Service."""
    state = client.service_state(service.name)
    deleted_date = (
        api_datetime(service.status_changed_at + DELETION_GRACE)
        if state["status"] in STATUSES_WITH_DELETED_DATE
        else None
    )
    return {
        "id": service.id,
        "name": service.name,
        "client": client.id,
        "status": state["status"],
        "previous_status": service.previous_status,
        "status_changed_at": api_datetime(service.status_changed_at),
        "start": api_datetime(service.start),
        "deleted_date": deleted_date,
        "enabled": state["enabled"],
        "options": [dict(option) for option in service.options],
        "status_transition_options": [dict(option) for option in service.status_transition_options],
    }


def feature_json(feature_id: int) -> dict[str, Any]:
    """Feature: an entry of the catalogue."""
    feature = FEATURES_BY_ID[feature_id]
    return {
        "id": feature.feature_id,
        "name": feature.name,
        "service": feature.service,
        "is_free": feature.is_free,
    }


def activation_json(activation: Activation) -> dict[str, Any]:
    """ActivatedFeature."""
    return {
        "id": activation.id,
        "client_id": activation.client_id,
        "feature_id": activation.feature_id,
        "feature": feature_json(activation.feature_id),
        "created_date": activation.created_date,
    }


def feature_keys(*, free: bool) -> tuple[str, str]:
    """Where a client's activations of one kind are, and the name of their id."""
    return ("freeFeatures", "free_feature_id") if free else ("paidFeatures", "paid_feature_id")


def activation_item(feature: Any, activation_id: int, created: datetime, *, free: bool) -> dict[str, Any]:
    """One activation as the Client JSON lists it, in its `freeFeatures` / `paidFeatures`."""
    return {
        "feature_id": feature.feature_id,
        "service": feature.service,
        "name": feature.name,
        "create_date": api_datetime(created),
        feature_keys(free=free)[1]: activation_id,
    }


def api_datetime(moment: datetime) -> str:
    """A UTC date-time as the seeded feature activations write theirs (`create_date`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def group_json(group_id: int) -> dict[str, Any]:
    return {"id": group_id, "name": GROUPS[group_id]}


def _role(user: UserRecord, client_id: int) -> int:
    group_id = user.role_in(client_id)
    if group_id is None:
        raise KeyError(f"user {user.id} is not a user of client {client_id}")
    return group_id


def _is_active_admin(user: UserRecord, client_id: int) -> bool:
    """has_active_admin is derived, so a role change, an invitation, a removal or a user edit keeps
    it truthful."""
    return (
        user.role_in(client_id) == ADMIN_GROUP_ID and user.fields["activated"] and not user.fields["deleted"]
    )
