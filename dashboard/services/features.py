"""A client's free and paid features: the reseller's catalogue, what the client has, and switching
one on or off (paid ones are for administrators)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from pydantic import TypeAdapter

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import (
    ActivatedFeature,
    CatalogFeature,
    Client,
    Feature,
)
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange, Outcome, audit_record
from dashboard.services.cache import cached_read, read_key
from dashboard.services.client_services import product_rank
from dashboard.services.saves import Act, run_act

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


def feature_catalogue_get() -> list[CatalogFeature]:
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
    catalogue = sorted(feature_catalogue_get(), key=lambda f: (product_rank(f.service), f.name))
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
