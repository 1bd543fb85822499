"""The products every client sees unless personalised (GET/PATCH /iam/products/availability/defaults),
how many clients override each, and putting every client back on the defaults (DELETE
/iam/products/availability/clients, no id), both through the save pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import ProductAvailability
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange
from dashboard.services.availability import availability_refusal, product_steps, shown_or_hidden
from dashboard.services.client_services import product_rank
from dashboard.services.overview import client_counts, list_query_filters
from dashboard.services.saves import Act, Save, SaveResult, run_act, run_save
from dashboard.upstream.errors import UpstreamError, UpstreamPermissionDenied

# The personal-availability filter of the client list: the clients with their own setting of a product.
PERSONAL = "personal_product_availability"
EVERY_PRODUCT = "*"  # the key of the count of clients with their own setting of any product


@dataclass(frozen=True)
class DefaultRow:
    """One product: whether clients see it by default, and how many have their own setting."""

    product: str
    available: bool
    overrides: int | None  # None: Gcore did not say just now

    @property
    def clients_query(self) -> str:
        return f"{PERSONAL}={self.product}"


def _values(items: list[ProductAvailability]) -> dict[str, bool]:
    return {item.product_name: bool(item.available) for item in items}


def defaults_read() -> dict[str, bool]:
    """The reseller's defaults as Gcore has them now, in Gcore's product order."""
    values = _values(get_gcore_client().default_availability())
    return {name: values[name] for name in sorted(values, key=lambda name: (product_rank(name), name))}


def personal_query(products: list[str]) -> str:
    """The client list's address (query string) of the clients with their own setting of any of them."""
    return f"{PERSONAL}={','.join(products)}"


def override_counts(*, products: list[str]) -> dict[str, int] | None:
    """How many clients have their own setting of each product (the client list's count for
    `personal_product_availability=<product>`), and of any (`EVERY_PRODUCT`); None when Gcore does
    not answer, so the defaults still show."""
    # Kept like a Gcore read, under the lists' counter, which any change to a client bumps.
    key = f"{versions.stamped('defaults:overrides', versions.LISTS)}:{','.join(products)}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return {str(name): int(count) for name, count in cached.items()}
    queries = {product: f"{PERSONAL}={product}" for product in products}
    queries[EVERY_PRODUCT] = personal_query(products)
    try:
        filter_sets = {name: list_query_filters(query) for name, query in queries.items()}
        counts = client_counts(filter_sets=filter_sets)
    except UpstreamError:
        return None
    if settings.GCORE_CACHE_SECONDS > 0:
        cache.set(key, counts, timeout=settings.GCORE_CACHE_SECONDS)
    return counts


def defaults_get() -> tuple[list[DefaultRow], int | None]:
    """Each product's default with its override count, and how many clients have any own setting."""
    defaults = defaults_read()
    counts = override_counts(products=list(defaults))
    rows = [
        DefaultRow(product, available, None if counts is None else counts.get(product, 0))
        for product, available in defaults.items()
    ]
    return rows, None if counts is None else counts.get(EVERY_PRODUCT, 0)


def _defaults_changed() -> None:
    # The defaults are read under the lists' counter (services/account.py), and the lists' counts
    # of personalised clients move with a reset.
    versions.bump(versions.LISTS)


def defaults_update(
    *,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Show or hide products by default: one PATCH per product changed (a PATCH takes one)."""
    gcore = get_gcore_client()
    products = list(desired)

    def set_default(product: str, available: bool) -> None:
        gcore.set_default_availability(product=product, available=available)

    save = Save(
        action=Action.DEFAULTS_UPDATE,
        labels={product: product for product in products},
        read=defaults_read,
        values=dict,
        steps=product_steps(products, set_default),
        invalidate=_defaults_changed,
        audit_value=shown_or_hidden,
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


def defaults_reset_all(
    *, products: list[str], clients: int | None, reason: str, actor: User, ip_address: str | None = None
) -> None:
    """Every client follows the defaults again for every product: their own settings are lost.
    Audited with the reason and how many clients had their own settings when the person confirmed."""

    def send() -> None:
        try:
            get_gcore_client().reset_all_clients_availability(products=products)
        except UpstreamPermissionDenied as exc:
            exc.message = availability_refusal(exc)  # a client would lose a product in use
            raise

    act = Act(
        action=Action.DEFAULTS_RESET,
        send=send,
        invalidate=_defaults_changed,
        done=f"Every client follows the default products again ({clients} had their own settings).",
        changes=[FieldChange(f"{product} personal settings", "kept", "reset") for product in products],
        details={"products": products, "clients": clients, "reason": reason},
        success_status=204,
    )
    run_act(act, actor=actor, ip_address=ip_address)
