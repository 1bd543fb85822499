"""In-memory records of clients and users, and their JSON rendering in Gcore's shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .catalog import ADMIN_GROUP_ID, GROUPS


@dataclass
class UserRecord:
    """A user of one client. `fields` holds the stored, emitted values under their API names."""

    id: int
    client_id: int
    group_id: int
    fields: dict[str, Any]


@dataclass
class ClientRecord:
    """A client. `fields` holds emitted values under their API names; the rest is internal state
    that only the list filters and ordering see (Gcore's Client schema has no such properties,
    docs/gcore-api-notes.md §4)."""

    id: int
    fields: dict[str, Any]
    user_ids: list[int]
    created_at: datetime
    country: str | None
    traffic_gb: float
    hidden_service_statuses: dict[str, str]
    secondary_hostnames: tuple[str, ...]
    promocode: str | None
    personal_products: frozenset[str]
    feature_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass
class Store:
    """All sandbox data. Callers hold the sandbox lock around every use."""

    clients: dict[int, ClientRecord]
    users: dict[int, UserRecord]

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
        body["has_active_admin"] = any(_is_active_admin(user) for user in users)
        return body

    def user_json(self, user: UserRecord, *, with_roles: bool) -> dict[str, Any]:
        """The User of GET /iam/users/{id}; `with_roles` adds the PATCH response's `client_and_roles`."""
        client = self.clients[user.client_id]
        body = self._base_user_json(user, client)
        body["user_type"] = user.fields["user_type"]
        body["is_active"] = user.fields["is_active"]
        if with_roles:
            body["client_and_roles"] = [
                {
                    "client_id": client.id,
                    "client_company_name": client.fields["companyName"],
                    # Gcore: roles are listed as strings of group ids, e.g. ["2"] (docs/gcore-api-notes.md
                    # §4).
                    "user_roles": [str(user.group_id)],
                    "user_id": user.id,
                }
            ]
        return body

    @staticmethod
    def _base_user_json(user: UserRecord, client: ClientRecord) -> dict[str, Any]:
        """iam_reseller_BaseUser: the shape of a client's `users[]` items."""
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
            "groups": [group_json(user.group_id)],
            "activated": f["activated"],
            "sso_auth": f["sso_auth"],
            "two_fa": f["two_fa"],
            "auth_types": list(f["auth_types"]),
        }


def group_json(group_id: int) -> dict[str, Any]:
    return {"id": group_id, "name": GROUPS[group_id]}


def _is_active_admin(user: UserRecord) -> bool:
    """has_active_admin is derived, so a role change or a user edit keeps it truthful."""
    return user.group_id == ADMIN_GROUP_ID and user.fields["activated"] and not user.fields["deleted"]
