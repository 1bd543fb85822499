"""Running a client's account: its services' statuses, the products it sees, its features.

Every change goes through the save pipeline (services/saves.py): read current, compare, send only
what changed, audit, invalidate. Reads are cached under the client's version, so a change made
through any server shows at once on every other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from pydantic import TypeAdapter

from dashboard.gcore import GcoreNotFound, get_gcore_client
from dashboard.gcore.models import (
    SERVICE_NAMES,
    ActivatedFeature,
    CatalogFeature,
    Client,
    Feature,
    ProductAvailability,
    Service,
    ServiceStatus,
    ServiceUpdate,
)
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange, Outcome, audit_record
from dashboard.services.cache import Cached, cached_read, cached_read_soon, read_key
from dashboard.services.saves import Act, Save, SaveResult, Step, run_act, run_save
from dashboard.upstream.errors import UpstreamError, UpstreamPermissionDenied

# -- services --------------------------------------------------------------------------------------

# Statuses that stop the customer's resources: they need a reason and a plain-words confirmation.
STOPPING_STATUSES = frozenset({ServiceStatus.PAUSED, ServiceStatus.TRIALEND, ServiceStatus.DELETED})
# What each status means for the customer, as Gcore's reseller guide ("Product statuses") puts it.
STATUS_MEANINGS: dict[str, str] = {
    ServiceStatus.NEW: "signed up, e-mail not yet confirmed",
    ServiceStatus.TRIAL: "on trial: the customer can use the product",
    ServiceStatus.TRIALEND: "trial ended: the product's resources are suspended",
    ServiceStatus.ACTIVE: "active: the customer uses the product under contract",
    ServiceStatus.PAUSED: "paused: the product's resources are suspended",
    ServiceStatus.ACTIVATING: "being activated",
    ServiceStatus.DELETED: "deleted: the product's resources and data are deleted",
}
SERVICE_LABELS = {"status": "Status", "enabled": "Enabled"}


def consequence(status: str, service: str, company: str) -> str:
    """What setting `service` to `status` does to the customer, in plain words (stopping statuses)."""
    if status == ServiceStatus.DELETED:
        return (
            f"{service} is deleted for {company}: its resources and data are deleted by Gcore. "
            "This cannot be undone."
        )
    if status == ServiceStatus.TRIALEND:
        return (
            f"{company}'s {service} trial ends now: all of its {service} resources are suspended and "
            "the customer is e-mailed that the trial is over. After the number of days Gcore has set, "
            "the status turns to deleted and the resources are deleted."
        )
    if status == ServiceStatus.PAUSED:
        return (
            f"{company}'s {service} is paused: all of its {service} resources stop working until the "
            "service is made active again. If it stays paused, Gcore deletes the resources after the "
            "number of days it has set."
        )
    return ""


SERVICES = TypeAdapter(list[Service])


_PRODUCT_ORDER = {name: index for index, name in enumerate(SERVICE_NAMES)}


def product_rank(product: str | None) -> int:
    """Where a product comes in Gcore's own order (services, products, features); unknown ones last."""
    return _PRODUCT_ORDER.get(product or "", len(_PRODUCT_ORDER))


def services_key(client_id: int) -> str:
    return read_key({"services": client_id}, [versions.client(client_id)])


def services_get(*, client_id: int, fresh: bool = False, key: str | None = None) -> Cached[list[Service]]:
    """The client's services (GET /iam/clients/{id}/services) in Gcore's product order, cached."""

    def fetch() -> list[Service]:
        services = get_gcore_client().list_services(client_id)
        return sorted(services, key=lambda service: (product_rank(service.name), service.name))

    return cached_read(key or services_key(client_id), fetch, adapter=SERVICES, fresh=fresh)


def services_get_soon(*, client_id: int, fresh: bool = False) -> Cached[list[Service]]:
    """`services_get`, at once from the cache, or else read from Gcore in a worker thread."""
    read = partial(services_get, client_id=client_id, fresh=True)
    return cached_read_soon(services_key(client_id), lambda key: read(key=key), adapter=SERVICES, fresh=fresh)


def service_get(*, client_id: int, service_id: int, fresh: bool = False) -> Service:
    """One of the client's services; GcoreNotFound when it has no such service."""
    for service in services_get(client_id=client_id, fresh=fresh).value:
        if service.id == service_id:
            return service
    if not fresh:  # created since the list was cached?
        return service_get(client_id=client_id, service_id=service_id, fresh=True)
    raise GcoreNotFound(f"Client {client_id} has no service {service_id}.")


def service_values(service: Service) -> dict[str, Any]:
    return {"status": service.status, "enabled": service.enabled}


def may_set_status(actor: User, status: str) -> bool:
    """Setting a service to `deleted` is for administrators; any other status for service changers."""
    needed = "delete_services" if status == ServiceStatus.DELETED else "change_services"
    return actor.has_perm(perm(needed))


def service_update(
    *,
    client_id: int,
    service: Service,
    reason: str,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Change a service's status and enabled flag with one PUT (its status always goes with it).

    A status changed in Gcore since the form was opened is a conflict even when the person only
    touched `enabled`, because the PUT carries the status: nothing is sent until they confirm.
    """
    gcore = get_gcore_client()

    def authorize(changes: Mapping[str, Any]) -> None:
        if "status" in changes and not may_set_status(actor, changes["status"]):
            raise PermissionDenied("Only administrators may set a service to deleted.")

    def send(changes: dict[str, Any], current: Mapping[str, Any]) -> Service:
        body = ServiceUpdate(status=changes.get("status", current["status"]), enabled=changes.get("enabled"))
        return gcore.update_service(client_id, service.id, body)

    save = Save(
        action=Action.SERVICE_UPDATE,
        client_id=client_id,
        labels=SERVICE_LABELS,
        read=partial(gcore.get_service, client_id, service.id),
        values=service_values,
        steps=[Step(SERVICE_LABELS, send)],
        invalidate=partial(versions.client_changed, client_id),
        audit_name=lambda name: f"{service.name}.{name}",
        authorize=authorize,
        sources=lambda changes: () if "status" in changes else ("status",),
        details={"service": service.name, "service_id": service.id, "reason": reason},
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


# -- product availability ------------------------------------------------------------------------


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


def default_availability() -> dict[str, bool]:
    """The reseller's defaults (GET /iam/products/availability/defaults), cached."""
    key = read_key({"availability": "defaults"}, [versions.LISTS])
    read = cached_read(key, get_gcore_client().default_availability, adapter=AVAILABILITY)
    return _availability_values(read.value)


def availability_get(*, client_id: int, fresh: bool = False) -> list[Availability]:
    """What the client sees of each product, beside the default, in Gcore's product order."""
    key = read_key({"availability": client_id}, [versions.client(client_id)])
    read = cached_read(
        key, partial(get_gcore_client().client_availability, client_id), adapter=AVAILABILITY, fresh=fresh
    )
    values = _availability_values(read.value)
    try:
        defaults = default_availability()
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

    def step(product: str) -> Step:
        def send(changes: dict[str, Any], current: Mapping[str, Any]) -> None:
            try:
                gcore.set_client_availability(client_id, product, bool(changes[product]))
            except UpstreamPermissionDenied as exc:
                exc.message = availability_refusal(exc)  # which services keep the product, and why
                raise

        return Step((product,), send)

    save = Save(
        action=Action.AVAILABILITY_UPDATE,
        client_id=client_id,
        labels={product: product for product in products},
        read=partial(gcore.client_availability, client_id),
        values=_availability_values,
        steps=[step(product) for product in products],
        invalidate=partial(versions.client_changed, client_id),
        audit_value=lambda name, value: None if value is None else ("shown" if value else "hidden"),
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


# -- features --------------------------------------------------------------------------------------

CATALOGUE = TypeAdapter(list[CatalogFeature])
ACTIVATIONS = TypeAdapter(list[ActivatedFeature])


@dataclass(frozen=True)
class FeatureRow:
    """One catalogue feature and whether the client has it (with the activation's id to disable it)."""

    feature: CatalogFeature
    activation_id: int | None
    since: str | None

    @property
    def enabled(self) -> bool:
        return self.activation_id is not None


def feature_catalogue() -> list[CatalogFeature]:
    """The reseller's feature catalogue (GET /iam/admin/feature), cached."""
    key = read_key({"features": "catalogue"}, [versions.LISTS])
    return cached_read(key, get_gcore_client().feature_catalogue, adapter=CATALOGUE).value


def _activations(client: Client, *, paid: bool) -> dict[int, tuple[int | None, str | None]]:
    """feature id -> (activation id, since) as the client record lists them.

    Gcore: the client's `paidFeatures`/`freeFeatures` carry the activation id as
    `paid_feature_id`/`free_feature_id` (PaidFeature/FreeFeature); an implementation that leaves it
    out is read through GET /iam/admin/{paid,free}_features instead (docs/gcore-api-notes.md §10).
    """
    groups = client.paid_features if paid else client.free_features
    listed: list[Feature] = [feature for group in groups.values() for feature in group]
    found: dict[int, tuple[int | None, str | None]] = {}
    for feature in listed:
        if feature.feature_id is None:
            continue
        activation = feature.paid_feature_id if paid else feature.free_feature_id
        found[feature.feature_id] = (activation, feature.create_date)
    if any(activation is None for activation, _ in found.values()):
        for item in get_gcore_client().activated_features(paid=paid):
            if item.client_id == client.id and item.feature_id in found:
                since = item.created_date.isoformat() if item.created_date else found[item.feature_id][1]
                found[item.feature_id] = (item.id, since)
    return found


def features_get(*, client: Client) -> tuple[list[FeatureRow], list[FeatureRow]]:
    """The catalogue split into free and paid features, each marked as the client has it or not."""
    free = _activations(client, paid=False)
    paid = _activations(client, paid=True)
    rows: dict[bool, list[FeatureRow]] = {True: [], False: []}
    catalogue = sorted(feature_catalogue(), key=lambda f: (product_rank(f.service), f.name))
    for feature in catalogue:
        activation, since = (free if feature.is_free else paid).get(feature.id, (None, None))
        rows[feature.is_free].append(FeatureRow(feature, activation, since))
    # A feature the client has that the catalogue no longer lists is still shown, so it can be disabled.
    known = {feature.id for feature in catalogue}
    for is_free, activations in ((True, free), (False, paid)):
        for feature_id, (activation, since) in activations.items():
            if feature_id not in known:
                missing = CatalogFeature(id=feature_id, name=f"Feature {feature_id}", is_free=is_free)
                rows[is_free].append(FeatureRow(missing, activation, since))
    return rows[True], rows[False]


def may_manage_feature(actor: User, *, paid: bool) -> bool:
    """Paid features cost the reseller money: administrators only."""
    return actor.has_perm(perm("manage_paid_features" if paid else "manage_free_features"))


def feature_toggle(
    *,
    client_id: int,
    feature: CatalogFeature,
    enable: bool,
    activation_id: int | None,
    actor: User,
    ip_address: str | None = None,
) -> str:
    """Enable (POST) or disable (DELETE by activation id) one feature for the client; audited.

    `activation_id` is the client's activation as just read (None: it does not have the feature).
    A feature already as asked (another tab, another person) sends nothing: UNCHANGED, audited.
    """
    paid = not feature.is_free
    if not may_manage_feature(actor, paid=paid):
        raise PermissionDenied("Only administrators may switch paid features on or off.")
    kind = "free" if feature.is_free else "paid"
    changes = [FieldChange(f"{kind} feature {feature.id}", not enable, enable)]
    details = {"feature_id": feature.id, "feature": feature.name, "paid": paid}
    action = Action.FEATURE_ENABLE if enable else Action.FEATURE_DISABLE
    if (activation_id is not None) == enable:
        state = "enabled" if enable else "disabled"
        audit_record(
            actor=actor, action=action, client_id=client_id, ip_address=ip_address, changes=changes,
            details=details, outcome=Outcome.UNCHANGED,
            message=f"{feature.name} was already {state}: nothing was sent.",
        )  # fmt: skip
        return Outcome.UNCHANGED
    gcore = get_gcore_client()
    send: Callable[[], object]
    if activation_id is None:  # enabling: had it been on, the check above would have returned
        send = partial(gcore.enable_feature, client_id, feature.id, paid=paid)
    else:
        send = partial(gcore.disable_feature, activation_id, paid=paid)
    verb = "Enabled" if enable else "Disabled"
    act = Act(
        action=action,
        send=send,
        invalidate=partial(versions.client_changed, client_id),
        done=f"{verb} {feature.name}.",
        client_id=client_id,
        changes=changes,
        details=details,
        success_status=201 if enable else 204,
    )
    run_act(act, actor=actor, ip_address=ip_address)
    return Outcome.SAVED
