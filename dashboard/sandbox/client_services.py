"""A client's services: GET /iam/clients/{clientId}/services, and GET, PUT and the deprecated
PATCH of /iam/clients/{clientId}/services/{serviceId} (iam_reseller_api.yaml, "Services";
docs/gcore-api-notes.md §10)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .api import ApiRequest
from .catalog import SERVICE_STATUSES
from .data import services_of
from .responses import SandboxResponse, json_response, not_found
from .store import ClientRecord, ServiceRecord, Store, service_json
from .validation import BodyError, Validator, boolean, choice, object_list, parse_json_object, validate_fields

# Gcore: UpdateServiceRequest (iam_reseller_api.yaml): `status` required, the rest optional.
# Options are kept as sent: the sandbox checks only that they are lists of objects (ServiceOption's
# own fields go unchecked).
SERVICE_UPDATE: dict[str, Validator] = {
    "status": choice(SERVICE_STATUSES),
    "enabled": boolean,
    "options": object_list(),
    "status_transition_options": object_list(),
}


def list_services(request: ApiRequest, store: Store, client_id: int) -> SandboxResponse:
    client = store.clients.get(client_id)
    if client is None:
        return not_found()
    # Gcore: a plain array (ServiceArray), never a page (docs/gcore-api-notes.md §6).
    return json_response(200, [service_json(client, s) for s in services_of(store, client).values()])


def get_service(request: ApiRequest, store: Store, client_id: int, service_id: int) -> SandboxResponse:
    found = _find(store, client_id, service_id)
    if found is None:
        return not_found()
    return json_response(200, service_json(*found))


def put_service(request: ApiRequest, store: Store, client_id: int, service_id: int) -> SandboxResponse:
    return _update(request, store, client_id, service_id, required=("status",))


def patch_service(request: ApiRequest, store: Store, client_id: int, service_id: int) -> SandboxResponse:
    # Gcore: deprecated; its body is a partial iam_reseller_Service (iam_reseller_api.yaml), whose
    # writable properties are the same four as PUT's (the read-only ones are ignored, as DRF ignores
    # them).
    return _update(request, store, client_id, service_id, required=())


def _update(
    request: ApiRequest, store: Store, client_id: int, service_id: int, *, required: tuple[str, ...]
) -> SandboxResponse:
    found = _find(store, client_id, service_id)
    if found is None:
        return not_found()
    client, service = found
    try:
        changes = validate_fields(parse_json_object(request.body), SERVICE_UPDATE, required=required)
    except BodyError as exc:
        return exc.response
    apply_changes(client, service, changes, now=request.now)
    return json_response(200, service_json(client, service))


def apply_changes(
    client: ClientRecord, service: ServiceRecord, changes: dict[str, Any], *, now: datetime
) -> None:
    """A new status moves the old one to previous_status and stamps status_changed_at (and `start`,
    the trial start, when the new status is `trial`); sending the current status changes neither."""
    status = changes.get("status")
    if status is not None and status != client.service_state(service.name)["status"]:
        service.previous_status = client.service_state(service.name)["status"]
        service.status_changed_at = now
        if status == "trial":
            service.start = now
    client.set_service_state(service.name, status=status, enabled=changes.get("enabled"))
    if "options" in changes:
        service.options = changes["options"]
    if "status_transition_options" in changes:
        service.status_transition_options = changes["status_transition_options"]


def _find(store: Store, client_id: int, service_id: int) -> tuple[ClientRecord, ServiceRecord] | None:
    """The client and its service; None if either is unknown or the service is another client's."""
    client = store.clients.get(client_id)
    if client is None:
        return None
    service = next((s for s in services_of(store, client).values() if s.id == service_id), None)
    return None if service is None else (client, service)
