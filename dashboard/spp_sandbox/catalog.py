"""Fixed catalogues of the SPP sandbox: API version, client statuses, roles and the employees.

See docs/spp-api-notes.md §4 (the User resource) and §6 (status values).
"""

from __future__ import annotations

from typing import Any

# SPP: responses carry `X-Api-Version: 20231214` (docs/spp-api-notes.md §1).
API_VERSION = "20231214"

# SPP: `status` / `status_id` are integers whose meanings are not documented (docs/spp-api-notes.md §6).
# The sandbox knows three values and attaches no meaning to them.
CLIENT_STATUSES: tuple[int, ...] = (1, 2, 3)

# The workspace the demo data pretends to be (aff_link), a reseller's own domain as SPP allows.
WORKSPACE_HOST = "billing.edge-reseller.example"

_ROLE_TIMESTAMP = "2021-08-31T14:48:00+00:00"
_SETTINGS = (
    "settings_company",
    "settings_payments",
    "settings_team",
    "settings_modules",
    "settings_integrations",
    "settings_orders",
    "settings_tickets",
    "settings_accounts",
    "settings_messages",
    "settings_tags",
    "settings_sidebar",
    "settings_dashboard",
    "settings_templates",
    "settings_emails",
    "settings_language",
    "settings_logs",
)


def _client_role(role_id: int, name: str, *, order_access: int, ticket_access: int) -> dict[str, Any]:
    """A client role with every field of SPP's Role object (docs/spp-api-notes.md §4), in its order;
    clients see only their own orders, invoices and tickets, and no settings."""
    role: dict[str, Any] = {
        "id": role_id,
        "name": name,
        "dashboard_access": 0,
        "affiliates": 0,
        "clients": 0,
        "coupons": 0,
        "created_at": _ROLE_TIMESTAMP,
        "forms": 0,
        "invoice_access": 1,
        "invoice_management": 0,
        "messaging": 1,
        "order_access": order_access,
        "order_management": 0,
        "rank_tracking": 0,
        "services": 0,
        "team": False,
        "settings": False,
        "ticket_access": ticket_access,
        "ticket_management": 0,
    }
    role.update(dict.fromkeys(_SETTINGS, False))
    role["updated_at"] = _ROLE_TIMESTAMP
    return role


# Client roles by id. Employee roles (1 Administrator, 2 Manager, 3 Assistant) appear only as
# the employees' role_id.
CLIENT_ROLES: dict[int, dict[str, Any]] = {
    4: _client_role(4, "Client", order_access=1, ticket_access=1),
    5: _client_role(5, "Client (priority support)", order_access=1, ticket_access=2),
}
DEFAULT_CLIENT_ROLE = 4

# The reseller's staff: SPP users that can be a client's managers (UserManager, docs/spp-api-notes.md §4).
# Employees are users too, so their ids come before the clients'.
_EMPLOYEE_ROWS: tuple[dict[str, Any], ...] = (
    {"id": 25, "name_f": "Marta", "name_l": "Kowalczyk", "role_id": 1},
    {"id": 26, "name_f": "Jonas", "name_l": "Weber", "role_id": 2},
    {"id": 27, "name_f": "Priya", "name_l": "Nair", "role_id": 2},
    {"id": 28, "name_f": "Tomás", "name_l": "Becker", "role_id": 3},
    {"id": 29, "name_f": "Léa", "name_l": "Fontaine", "role_id": 2},
)
EMPLOYEES: dict[int, dict[str, Any]] = {employee["id"]: employee for employee in _EMPLOYEE_ROWS}
for _employee in EMPLOYEES.values():
    _employee["name"] = f"{_employee['name_f']} {_employee['name_l']}"
    _employee["email"] = (
        f"{_employee['name_f'][0].lower()}.{_employee['name_l'].lower()}@edge-reseller.example"
    )


def manager_json(employee_id: int) -> dict[str, Any]:
    """One entry of a client's `managers` (UserManager): id, name, name_f, name_l, email, role_id."""
    employee = EMPLOYEES[employee_id]
    return {key: employee[key] for key in ("id", "name", "name_f", "name_l", "email", "role_id")}
