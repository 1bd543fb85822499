"""Which products a client sees: read beside the reseller's defaults, changed one product at a
time through the save pipeline, or reset to the defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from pydantic import TypeAdapter

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import (
    SERVICE_NAMES,
    ProductAvailability,
)
from dashboard.services import versions
from dashboard.services.audit import Action
from dashboard.services.cache import cached_read, read_key
from dashboard.services.client_services import product_rank
from dashboard.services.saves import Act, Save, SaveResult, Step, run_act, run_save
from dashboard.upstream.errors import UpstreamError, UpstreamPermissionDenied


@dataclass(frozen=True)
class Availability:
    """Each product: whether this client sees it, and whether the reseller's default would."""

    product: str
    available: bool
    default: bool | None

    @property
    def personal(self) -> bool:
        """Differs from the default: certainly personalised (a match may be personalised too)."""
        return self.default is not None and self.available != self.default


AVAILABILITY = TypeAdapter(list[ProductAvailability])


def _availability_values(items: list[ProductAvailability]) -> dict[str, bool]:
    return {item.product_name: bool(item.available) for item in items}


def availability_defaults_get() -> dict[str, bool]:
    """The reseller's defaults (GET /iam/products/availability/defaults), cached."""
    key = read_key({"availability": "defaults"}, [versions.LISTS])
    read = cached_read(key, get_gcore_client().default_availability, adapter=AVAILABILITY)
    return _availability_values(read.value)


def availability_defaults_or_none() -> dict[str, bool] | None:
    """The reseller's defaults, or None when Gcore cannot say them just now (a form then shows no
    preset rather than failing)."""
    try:
        return availability_defaults_get()
    except UpstreamError:
        return None


def availability_get(*, client_id: int, fresh: bool = False) -> list[Availability]:
    """What the client sees of each product, beside the default, in Gcore's product order."""
    key = read_key({"availability": client_id}, [versions.client(client_id)])
    read = cached_read(
        key, partial(get_gcore_client().client_availability, client_id), adapter=AVAILABILITY, fresh=fresh
    )
    values = _availability_values(read.value)
    try:
        defaults = availability_defaults_get()
    except UpstreamError:  # the client's own values are what matters; the defaults show as unknown
        defaults = {}
    products = sorted(values, key=lambda name: (product_rank(name), name))
    return [Availability(name, values[name], defaults.get(name)) for name in products]


def availability_refusal(exc: UpstreamPermissionDenied) -> str:
    """Gcore's 403 when a product cannot be hidden, with the services that keep it (by status)."""
    body = exc.body if isinstance(exc.body, dict) else {}
    held = []
    for status in ("trial", "activating", "active"):
        names = body.get(status)
        if isinstance(names, list) and names:
            verb = "is" if len(names) == 1 else "are"
            held.append(f"{', '.join(str(name) for name in names)} {verb} {status}")
    text = exc.message
    if held:
        text = f"{text} ({'; '.join(held)}: pause or end those services first.)"
    return text


def product_steps(products: list[str], set_one: Callable[[str, bool], object]) -> list[Step]:
    """One step per product changed (Gcore's PATCH takes one product); a 403 from Gcore names the
    services that keep the product, by status."""

    def step(product: str) -> Step:
        def send(changes: dict[str, Any], current: Mapping[str, Any]) -> None:
            try:
                set_one(product, bool(changes[product]))
            except UpstreamPermissionDenied as exc:
                exc.message = availability_refusal(exc)  # which services keep the product, and why
                raise

        return Step((product,), send)

    return [step(product) for product in products]


def shown_or_hidden(name: str, value: Any) -> str | None:
    """A product's availability as the audit log words it."""
    return None if value is None else ("shown" if value else "hidden")


def availability_update(
    *,
    client_id: int,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Show or hide products for the client: one PATCH per product changed."""
    gcore = get_gcore_client()
    products = list(desired)
    save = Save(
        action=Action.AVAILABILITY_UPDATE,
        client_id=client_id,
        labels={product: product for product in products},
        read=partial(gcore.client_availability, client_id),
        values=_availability_values,
        steps=product_steps(products, partial(gcore.set_client_availability, client_id)),
        invalidate=partial(versions.client_changed, client_id),
        audit_value=shown_or_hidden,
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


def availability_reset(*, client_id: int, actor: User, ip_address: str | None = None) -> None:
    """Every product follows the reseller's defaults again (DELETE with every product's name)."""

    def send() -> None:
        try:
            get_gcore_client().reset_client_availability(client_id, list(SERVICE_NAMES))
        except UpstreamPermissionDenied as exc:
            exc.message = availability_refusal(exc)  # which services keep which products
            raise

    act = Act(
        action=Action.AVAILABILITY_UPDATE,
        send=send,
        invalidate=partial(versions.client_changed, client_id),
        done="Reset to the reseller's defaults.",
        client_id=client_id,
        details={"reset": True},
        success_status=204,
    )
    run_act(act, actor=actor, ip_address=ip_address)
