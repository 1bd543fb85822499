"""In-memory SPP clients and their JSON rendering as SPP's User resource."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .catalog import CLIENT_ROLES, manager_json

# SPP: the User resource's fields in SPP's order; a list item stops after `spent`
# (docs/spp-api-notes.md §3, §4).
LIST_ITEM_KEYS: tuple[str, ...] = (
    "id",
    "aff_id",
    "aff_link",
    "created_at",
    "name_f",
    "name_l",
    "email",
    "company",
    "tax_id",
    "phone",
    "address",
    "note",
    "balance",
    "optin",
    "stripe_id",
    "custom_fields",
    "status",
    "role_id",
    "role",
    "name",
    "spent",
)


@dataclass
class SppClient:
    """One client. `fields` holds the stored values under their API names, except what is derived
    when rendering: `id`, `name`, `role`, `employee_id` and `managers`. `created_at` is a datetime."""

    id: int
    fields: dict[str, Any]
    employee_ids: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        """SPP: `name` is the full name (docs/spp-api-notes.md §4); recomputed from name_f/name_l."""
        return f"{self.fields['name_f']} {self.fields['name_l']}".strip()

    def value(self, key: str) -> Any:
        """A scalar of the list item, as the list's filters and sort compare it."""
        if key == "id":
            return self.id
        if key == "name":
            return self.name
        return self.fields[key]

    def list_json(self) -> dict[str, Any]:
        """An item of GET /api/clients."""
        f = self.fields
        body: dict[str, Any] = {"id": self.id}
        for key in LIST_ITEM_KEYS[1:]:
            if key == "created_at":
                body[key] = iso(f[key])
            elif key == "role":
                body[key] = copy.deepcopy(CLIENT_ROLES[f["role_id"]])
            elif key == "name":
                body[key] = self.name
            else:
                body[key] = copy.deepcopy(f[key])
        return body

    def full_json(self) -> dict[str, Any]:
        """GET /api/clients/{user} and the PUT's answer: the whole User."""
        body = self.list_json()
        # SPP: `employee_id` is one integer in responses though the update takes an array
        # (docs/spp-api-notes.md §8); the sandbox answers the first assigned employee, or null.
        body["employee_id"] = self.employee_ids[0] if self.employee_ids else None
        body["managers"] = [manager_json(employee_id) for employee_id in self.employee_ids]
        body["ga_cid"] = self.fields["ga_cid"]
        body["team_owner_ids"] = list(self.fields["team_owner_ids"])
        body["team_member_ids"] = list(self.fields["team_member_ids"])
        return body


@dataclass
class SppStore:
    """All SPP sandbox data. Callers hold the sandbox lock around every use."""

    clients: dict[int, SppClient]

    def with_email(self, email: str, *, case_sensitive: bool = False) -> list[SppClient]:
        """Every client with this e-mail address, in id order."""
        if case_sensitive:
            return [c for c in self.clients.values() if c.fields["email"] == email]
        wanted = email.lower()
        return [c for c in self.clients.values() if c.fields["email"].lower() == wanted]


def iso(moment: datetime) -> str:
    """SPP's date-time format: seconds precision, UTC, `+00:00` (docs/spp-api-notes.md §4)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
