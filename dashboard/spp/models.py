"""Typed SPP payloads (pydantic v2), read defensively where SPP's documents are thin.

SPP's reference marks most User fields as required strings, but says nothing about empty values,
so every text field is optional here; `spent` is "a string or null" (a number is read as text);
`employee_id` is an integer in responses and an array in requests; `custom_fields` may arrive as
`[]` when empty (PHP). See docs/spp-api-notes.md §4 and §8.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _text_or_none(value: Any) -> Any:
    """A number where text is documented (`spent`), read as the text it would be."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return str(value)
    return value


Text = Annotated[str | None, BeforeValidator(_text_or_none)]


class SppModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, validate_by_name=True, serialize_by_alias=True)


class SppAddress(SppModel):
    line_1: Text = None
    line_2: Text = None
    city: Text = None
    state: Text = None
    postcode: Text = None
    country: Text = None
    name_f: Text = None
    name_l: Text = None
    tax_id: Text = None
    company_name: Text = None
    company_vat: Text = None

    def one_line(self) -> str:
        """The postal address on one line: street, postcode and city, state, country."""
        town = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.line_1, self.line_2, town, self.state, self.country) if part)


# The address fields an update may set (the seed's UpdateUserRequest `address` object).
ADDRESS_FIELDS: tuple[str, ...] = ("line_1", "city", "state", "postcode", "country")


class SppManager(SppModel):
    """An SPP team member assigned to the client (UserManager)."""

    id: int
    name: Text = None
    name_f: Text = None
    name_l: Text = None
    email: Text = None
    role_id: int | None = None


class SppClient(SppModel):
    """SPP's User resource: a client (list items carry the fields up to `name` and `spent`)."""

    id: int
    name_f: Text = None
    name_l: Text = None
    name: Text = None
    email: Text = None
    company: Text = None
    tax_id: Text = None
    phone: Text = None
    address: SppAddress | None = None
    note: Text = None
    balance: Decimal | None = None
    spent: Text = None
    optin: Text = None
    stripe_id: Text = None
    custom_fields: dict[str, Any] | list[Any] | None = None
    status: int | None = None
    role_id: int | None = None
    employee_id: int | list[int] | None = None
    managers: list[SppManager] = []
    created_at: datetime | str | None = None

    @property
    def contact_name(self) -> str:
        """First and last name, as one name (what Gcore keeps in a client's `name`)."""
        parts = [(part or "").strip() for part in (self.name_f, self.name_l)]
        return " ".join(part for part in parts if part) or (self.name or "").strip()

    @property
    def employee_ids(self) -> list[int]:
        """The assigned employees: from `managers`, else from `employee_id` (an int or a list)."""
        if self.managers:
            return [manager.id for manager in self.managers]
        if isinstance(self.employee_id, int):
            return [self.employee_id]
        return list(self.employee_id or [])


class SppMeta(SppModel):
    """The Laravel paginator's `meta`: where this page sits among all of them."""

    current_page: int = 1
    last_page: int = 1
    per_page: int | None = None
    total: int | None = None
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None


class SppPage(SppModel):
    """One page of GET /api/clients."""

    data: list[SppClient]
    meta: SppMeta = SppMeta()


class SppClientUpdate(SppModel):
    """PUT /api/clients/{user} body: only the fields set are sent (SPP leaves the others unchanged)."""

    name_f: str | None = None
    name_l: str | None = None
    email: str | None = None
    company: str | None = None
    tax_id: str | None = None
    phone: str | None = None
    address: dict[str, str | None] | None = None
    note: str | None = None
    # SPP: a JSON number (the seed's example "10.00" is a number of two decimals).
    balance: float | None = None
    status_id: int | None = None
    stripe_id: str | None = None
    employee_id: list[int] | None = None
