"""Features: the catalogue (GET /iam/admin/feature[/{featureId}]) and the activations of free and
paid features (/iam/admin/free_features, /iam/admin/paid_features; iam_reseller_api.yaml,
"IAM Reseller Features"; docs/gcore-api-notes.md §10).

An activation lives where the Client JSON shows it, in the client's `freeFeatures` /
`paidFeatures` (with `free_feature_id` / `paid_feature_id` = the activation's id); the lists and
lookups here read it from there, as does the client's `feature_ids` (the `feature_id_in` list
filter).
"""

from __future__ import annotations

from typing import cast

from .api import ApiRequest
from .catalog import FEATURES, FEATURES_BY_ID
from .responses import SandboxResponse, empty_response, field_errors, json_response, not_found
from .store import (
    Activation,
    ClientRecord,
    Store,
    activation_item,
    activation_json,
    api_datetime,
    feature_json,
    feature_keys,
)
from .validation import BodyError, FieldError, Validator, parse_json_object, primary_key, validate_fields

# Gcore: IAM answers in DRF's shape (docs/gcore-api-notes.md §5): DRF's UniqueTogetherValidator
# message for (client_id, feature_id).
ALREADY_ACTIVE = "The fields client_id, feature_id must make a unique set."


def list_features(request: ApiRequest, store: Store) -> SandboxResponse:
    return json_response(200, [feature_json(feature.feature_id) for feature in FEATURES])


def get_feature(request: ApiRequest, store: Store, feature_id: int) -> SandboxResponse:
    if feature_id not in FEATURES_BY_ID:
        return not_found()
    return json_response(200, feature_json(feature_id))


def list_activations(request: ApiRequest, store: Store, *, free: bool) -> SandboxResponse:
    # Gcore: every client's activations in one plain array (ActivatedFeatureArray, iam_reseller_api.yaml;
    # docs/gcore-api-notes.md §6); the sandbox orders them by id.
    activations = sorted(store.activations(free=free), key=lambda a: a.id)
    return json_response(200, [activation_json(a) for a in activations])


def get_activation(request: ApiRequest, store: Store, activation_id: int, *, free: bool) -> SandboxResponse:
    found = _find(store, activation_id, free=free)
    if found is None:
        return not_found()
    return json_response(200, activation_json(found[1]))


def activate(request: ApiRequest, store: Store, *, free: bool) -> SandboxResponse:
    validators: dict[str, Validator] = {
        "client_id": primary_key(lambda: store.clients, allow_null=False),
        "feature_id": _feature_of_kind(free=free),
    }
    try:
        data = parse_json_object(request.body)
        cleaned = validate_fields(data, validators, required=("client_id", "feature_id"))
    except BodyError as exc:
        return exc.response
    client = store.clients[cleaned["client_id"]]
    feature = FEATURES_BY_ID[cleaned["feature_id"]]
    if feature.feature_id in client.feature_ids:
        return field_errors({"non_field_errors": [ALREADY_ACTIVE]})
    activation = Activation(
        id=store.take_id("activation"),
        client_id=client.id,
        feature_id=feature.feature_id,
        created_date=api_datetime(request.now),
    )
    key, _ = feature_keys(free=free)
    client.fields[key].setdefault(feature.service, []).append(
        activation_item(feature, activation.id, request.now, free=free)
    )
    return json_response(201, activation_json(activation))


def deactivate(request: ApiRequest, store: Store, activation_id: int, *, free: bool) -> SandboxResponse:
    found = _find(store, activation_id, free=free)
    if found is None:
        return not_found()
    client, _ = found
    key, id_key = feature_keys(free=free)
    features = client.fields[key]
    for service, items in list(features.items()):
        kept = [item for item in items if item[id_key] != activation_id]
        if kept:
            features[service] = kept
        else:  # a service with no activation has no key, as in the seeded data
            del features[service]
    return empty_response(204)


def _feature_of_kind(*, free: bool) -> Validator:
    """A catalogue feature's id, of the endpoint's kind (free or paid)."""
    known = primary_key(lambda: FEATURES_BY_ID, allow_null=False)

    def validate(value: object) -> int:
        feature_id = cast(int, known(value))  # never None: allow_null=False
        if FEATURES_BY_ID[feature_id].is_free is not free:
            # The sandbox's wording: Gcore documents no message for a feature of the other kind.
            kind, other = ("free", "paid_features") if free else ("paid", "free_features")
            raise FieldError(f"Feature {feature_id} is not a {kind} feature; enable it through {other}.")
        return feature_id

    return validate


def _find(store: Store, activation_id: int, *, free: bool) -> tuple[ClientRecord, Activation] | None:
    """The activation of this kind and its client; None if unknown or of the other kind."""
    for activation in store.activations(free=free):
        if activation.id == activation_id:
            return store.clients[activation.client_id], activation
    return None
