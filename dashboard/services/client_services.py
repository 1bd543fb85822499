"""A client's services (CDN, Cloud, ...): their statuses and enabled flags, read and changed.

A change goes through the save pipeline (services/saves.py): read current, compare, send only
what changed, audit, invalidate. Reads are cached under the client's version, so a change made
through any server shows at once on every other.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from pydantic import TypeAdapter

from dashboard.gcore import GcoreNotFound, get_gcore_client
from dashboard.gcore.models import (
    SERVICE_NAMES,
    Service,
    ServiceStatus,
    ServiceUpdate,
)
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action
from dashboard.services.cache import Cached, cached_read, cached_read_soon, read_key
from dashboard.services.saves import Save, SaveResult, Step, run_save

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
