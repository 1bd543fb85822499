"""Creating a client (and its first user) with POST /iam/users.

The first user's sign-in password is generated unless the staff member typed one. It is handed back
once, for the page that shows it, and is never stored, logged or audited: the audit says a password
was set, and how.
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.views.decorators.debug import sensitive_variables
from pydantic import TypeAdapter

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Client, ClientSummary, NewClient, ProductAvailability, Seller
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange, Outcome, audit_failure, audit_record
from dashboard.services.cache import cached_read, read_key
from dashboard.upstream.errors import UpstreamError

log = logging.getLogger("dashboard.onboarding")

# Letters and digits without look-alikes (0/O, 1/l/I), and symbols that survive copy and paste.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "-_.!@#%+="
PASSWORD_LENGTH = 20


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A strong random password (the `secrets` module) with at least one of each kind of character."""
    kinds = (_LOWER, _UPPER, _DIGITS, _SYMBOLS)
    alphabet = "".join(kinds)
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        has_each = all(any(char in kind for char in password) for kind in kinds)
        if has_each and password[0] in string.ascii_letters:
            return password


# The create form's fields -> CreateUserRequest's names and labels (all but the products and password).
NEW_CLIENT_FIELDS: dict[str, tuple[str, str]] = {
    "email": ("email", "Email"),
    "company": ("company", "Company name"),
    "name": ("name", "Contact name"),
    "phone": ("phone", "Phone"),
    "lang": ("lang", "Language"),
    "seller": ("seller", "Seller"),
    "custom_id": ("custom_id", "Custom ID"),
    "country_code": ("country_code", "Country"),
    "is_test": ("is_test", "Test client"),
}


@dataclass(frozen=True)
class CreatedClient:
    """The new client's and user's ids, and the password to hand over (shown once, kept nowhere)."""

    client_id: int
    user_id: int
    email: str
    password: str = field(repr=False)
    generated: bool
    role: str = ""  # the first user's group, as Gcore's answer names it


SELLERS = TypeAdapter(list[Seller])


def sellers_get() -> list[Seller] | None:
    """The reseller's sellers for the form's choice (cached), or None when Gcore does not list them."""
    key = read_key({"sellers": "all"}, [versions.LISTS])
    try:
        sellers = cached_read(key, get_gcore_client().list_sellers, adapter=SELLERS).value
    except UpstreamError as exc:
        log.info("sellers not listed (%s); the form asks for a seller id", type(exc).__name__)
        return None
    return [seller for seller in sellers if not seller.deleted]


def product_overrides(
    products: Mapping[str, bool], defaults: Mapping[str, bool]
) -> list[ProductAvailability]:
    """The products whose choice differs from the reseller's default: only those are personalised.

    Gcore: a product left out (or sent as null) keeps following the default (CreateUserRequest
    `services`), so a form left at the defaults sends none.
    """
    return [
        ProductAvailability(product_name=name, available=available)
        for name, available in products.items()
        if defaults.get(name) is None or bool(defaults.get(name)) != available
    ]


@sensitive_variables()  # every local: the password is in several (the body, the model, the fields)
def client_create(
    *,
    values: Mapping[str, Any],
    products: Mapping[str, bool],
    defaults: Mapping[str, bool],
    password: str | None,
    actor: User,
    ip_address: str | None = None,
) -> CreatedClient:
    """Create the client and its first user; audited, with the password left out.

    `values` are the form's (NEW_CLIENT_FIELDS); empty ones are not sent. `products`: each product's
    availability as chosen; only those differing from `defaults` (the reseller's, empty when Gcore
    could not say) are sent. Raises the upstream's
    error after auditing it (a field error names Gcore's field).
    """
    generated = not password
    password = password or generate_password()
    body = {
        wire: values[name]
        for name, (wire, _) in NEW_CLIENT_FIELDS.items()
        if values.get(name) not in (None, "") and not (name == "is_test" and values[name] is False)
    }
    overrides = product_overrides(products, defaults)
    fields: dict[str, Any] = {**body, "password": password, "user_type": "common"}
    if overrides:
        fields["services"] = overrides
    new = NewClient(**fields)
    changes = [FieldChange(wire, None, value) for wire, value in body.items()]
    changes += [FieldChange(f"services.{item.product_name}", None, item.available) for item in overrides]
    changes.append(FieldChange("password", None, "generated" if generated else "typed by staff"))
    audit = partial(
        audit_record, actor=actor, action=Action.CLIENT_CREATE, ip_address=ip_address, changes=changes
    )
    try:
        user = get_gcore_client().create_client(new)
    except UpstreamError as exc:
        audit_failure(exc, audit=audit)
        raise
    finally:
        versions.bump(versions.LISTS)  # even a timeout may have created it: the lists count again
    if user.client is None:
        # Gcore: the User's `client` is required by the spec; without it the new client cannot be opened.
        log.warning("POST /iam/users answered without the new client's id")
    client_id = int(user.client or 0)
    audit(outcome=Outcome.SAVED, upstream_status=201, client_id=client_id or None, user_id=user.id)
    role = user.role.name if user.role else ""
    return CreatedClient(client_id, user.id, user.email or new.email, password, generated, role)


def client_created_meanwhile(email: str, company: str) -> ClientSummary | None:
    """After a create whose answer never came: the client Gcore now has with this first user's
    e-mail and this company, if any. A re-read, never a second POST (that could create it twice).

    Gcore refuses an e-mail a user already has, so a client found with both is, in all likelihood,
    the one just asked for.
    """
    try:
        page = get_gcore_client().list_clients(filters={"users_email": email}, limit=20, model=Client)
    except UpstreamError:
        return None
    email, company = email.strip().casefold(), company.strip().casefold()
    for client in page.results:
        users = {user.email.strip().casefold() for user in client.users}
        if email in users and client.company_name.strip().casefold() == company:
            return client
    return None
