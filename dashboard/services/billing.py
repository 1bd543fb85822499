"""The billing link: each Gcore client's SPP record beside it, linked, edited and kept in step.

A Gcore client is linked to at most one SPP client (dashboard.models.BillingLink). The link is
made by email the first time anyone opens the client when exactly one SPP client has that email;
otherwise the person links by SPP id or picks among the matches. Editing an SPP record and syncing
the fields both systems hold go through the one save pipeline (services/saves.py), so they are
checked for conflicts, sent field by field and audited like every Gcore change.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Client, ClientUpdate
from dashboard.models import AuditEntry, BillingLink
from dashboard.roles import perm
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange, Outcome, audit_entry, audit_record
from dashboard.services.clients import client_get
from dashboard.services.saves import Save, SaveResult, Step, normalise, run_save
from dashboard.spp import SppNotFound, get_spp_client, spp_mode
from dashboard.spp.models import ADDRESS_FIELDS, SppClient, SppClientUpdate
from dashboard.upstream.errors import UpstreamNotFound

log = logging.getLogger("dashboard.billing")

# -- the fields both systems hold -------------------------------------------------------------------

# Shared field -> label. Gcore's `name` is one contact name; SPP's is first and last name.
SHARED: dict[str, str] = {"email": "Email", "company": "Company", "phone": "Phone", "contact": "Contact name"}


# Shared field -> the attribute that holds it, on a Gcore client and on an SPP client.
GCORE_FIELDS = {"email": "email", "company": "company_name", "phone": "phone", "contact": "name"}
SPP_FIELDS = {"email": "email", "company": "company", "phone": "phone", "contact": "contact_name"}


def gcore_shared(client: Any) -> dict[str, Any]:
    """A Gcore client's values of the shared fields (a Client or a ClientContact)."""
    return {key: getattr(client, name) for key, name in GCORE_FIELDS.items()}


def spp_shared(record: SppClient) -> dict[str, Any]:
    """An SPP client's values of the shared fields."""
    return {key: getattr(record, name) for key, name in SPP_FIELDS.items()}


def _comparable(key: str, value: Any) -> str:
    """What counts when comparing a shared field: no case in emails, no formatting in phones."""
    text = " ".join(str(value or "").split())
    if key == "email":
        return text.casefold()
    if key == "phone":
        # "+49 30 1234-56" and "+49301234 56" are one number: only digits and a leading + count.
        return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    return text


def differs(key: str, gcore_value: Any, spp_value: Any) -> bool:
    return _comparable(key, gcore_value) != _comparable(key, spp_value)


@dataclass(frozen=True)
class SharedValue:
    key: str
    label: str
    gcore: Any
    spp: Any
    differs: bool


def shared_values(client: Any, record: SppClient) -> list[SharedValue]:
    """The shared fields side by side, each marked when the two systems disagree."""
    ours, theirs = gcore_shared(client), spp_shared(record)
    return [
        SharedValue(key, label, ours[key], theirs[key], differs(key, ours[key], theirs[key]))
        for key, label in SHARED.items()
    ]


def split_contact(name: str | None) -> tuple[str, str]:
    """Gcore's contact name as SPP's first and last name: split at the first space.

    SPP keeps first and last name apart and Gcore one name, so "Mary Ann Lee" becomes "Mary" and
    "Ann Lee"; joined again (SPP's `name`), it reads as it did.
    """
    first, _, last = " ".join((name or "").split()).partition(" ")
    return first, last


def status_name(status: int | None) -> str:
    """An SPP status number with the name the reseller gave it (SPP_STATUS_NAMES), if any."""
    if status is None:
        return "—"
    name = settings.SPP_STATUS_NAMES.get(status)
    return f"{name} ({status})" if name else str(status)


# -- linking ------------------------------------------------------------------------------------


class BillingLinkError(ValueError):
    """A link that cannot be made as asked; the message says why, for the person."""


@dataclass
class BillingState:
    """What the client page's billing panel shows for one Gcore client."""

    client: Client | None  # None: Gcore did not answer
    link: BillingLink | None = None
    record: SppClient | None = None
    gone: bool = False  # linked, but SPP no longer has that client
    matches: list[SppClient] = field(default_factory=list)  # unlinked: SPP clients with this email
    taken: dict[int, int] = field(
        default_factory=dict
    )  # among them: SPP id -> the Gcore client it is linked to
    just_linked: bool = False

    @property
    def shared(self) -> list[SharedValue]:
        if self.record is None:
            return []
        if self.client is None:  # Gcore did not answer: SPP's values, nothing to compare with
            theirs = spp_shared(self.record)
            return [SharedValue(key, label, None, theirs[key], False) for key, label in SHARED.items()]
        return shared_values(self.client, self.record)

    @property
    def free_matches(self) -> list[SppClient]:
        return [match for match in self.matches if match.id not in self.taken]


def billing_state(
    *, client_id: int, client: Client | None, actor: User, ip_address: str | None = None
) -> BillingState:
    """The client's SPP record, or the email matches; links by email when exactly one SPP client matches.

    `client` is Gcore's record, or None when Gcore did not answer: a linked record still shows.
    """
    link = BillingLink.objects.filter(gcore_client_id=client_id).first()
    spp = get_spp_client()
    if link is not None:
        try:
            return BillingState(client=client, link=link, record=spp.get_client(link.spp_client_id))
        except SppNotFound:
            return BillingState(client=client, link=link, gone=True)
    if client is None:  # no email to match by
        return BillingState(client=None)
    matches = spp.clients_with_email(client.email) if client.email else []
    taken = dict(
        BillingLink.objects.filter(spp_client_id__in=[m.id for m in matches]).values_list(
            "spp_client_id", "gcore_client_id"
        )
    )
    state = BillingState(client=client, matches=matches, taken=taken)
    if len(matches) == 1 and not taken:
        try:
            state.link = billing_link(
                client_id=client.id,
                spp_id=matches[0].id,
                method=BillingLink.Method.EMAIL,
                actor=actor,
                ip_address=ip_address,
                known_email=matches[0].email or "",
            )
        except BillingLinkError:  # someone linked it a moment ago: show what is there now
            return billing_state(client_id=client_id, client=client, actor=actor, ip_address=ip_address)
        state.record, state.matches, state.just_linked = matches[0], [], True
    return state


def billing_link(
    *,
    client_id: int,
    spp_id: int,
    method: str,
    actor: User | None,
    ip_address: str | None = None,
    known_email: str | None = None,
) -> BillingLink:
    """Link a Gcore client to an SPP client (which must exist and be nobody else's); audited.

    `known_email`: the SPP client's email when the caller has just read it (it exists); else SPP
    is asked whether the client exists.
    """
    email = known_email
    if email is None:
        try:
            email = spp_record_get(spp_id).email or ""
        except SppNotFound:
            raise BillingLinkError(f"SPP has no client {spp_id}.") from None
    other = BillingLink.objects.filter(spp_client_id=spp_id).exclude(gcore_client_id=client_id).first()
    if other is not None:
        raise BillingLinkError(
            f"SPP client {spp_id} is already linked to Gcore client {other.gcore_client_id}."
        )
    try:
        with transaction.atomic():
            link = BillingLink.objects.create(
                gcore_client_id=client_id,
                spp_client_id=spp_id,
                method=method,
                created_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        raise BillingLinkError(
            "This client was linked a moment ago; reload to see to which SPP client."
        ) from None
    _link_entry(link, email, actor=actor, ip_address=ip_address).save(force_insert=True)
    return link


def _link_entry(
    link: BillingLink, email: str, *, actor: User | None, ip_address: str | None = None
) -> AuditEntry:
    return audit_entry(
        actor=actor,
        action=Action.BILLING_LINK,
        outcome=Outcome.SAVED,
        client_id=link.gcore_client_id,
        changes=[FieldChange("spp_client", None, link.spp_client_id)],
        message=f"{link.get_method_display()}: SPP client {link.spp_client_id} ({email or 'no email'}).",
        ip_address=ip_address,
        details={"spp_client_id": link.spp_client_id, "method": link.method},
    )


def link_by_email_batch(pairs: list[tuple[int, int, str]], *, actor: User | None) -> list[tuple[int, int]]:
    """Links by email for many clients at once (Gcore id, SPP id, email), each audited: the drift
    build's, a page at a time, in one transaction. If any was linked meanwhile (a person, another
    run), they are made one by one instead, leaving that one out. The (Gcore, SPP) pairs linked."""
    by = actor if actor is not None and actor.is_authenticated else None
    links = [
        BillingLink(
            gcore_client_id=gcore_id, spp_client_id=spp_id, method=BillingLink.Method.EMAIL, created_by=by
        )
        for gcore_id, spp_id, _ in pairs
    ]
    try:
        with transaction.atomic():
            BillingLink.objects.bulk_create(links)
            AuditEntry.objects.bulk_create(
                [
                    _link_entry(link, email, actor=actor)
                    for link, (_, _, email) in zip(links, pairs, strict=True)
                ]
            )
    except IntegrityError:
        made = []
        for gcore_id, spp_id, email in pairs:
            try:
                billing_link(
                    client_id=gcore_id,
                    spp_id=spp_id,
                    method=BillingLink.Method.EMAIL,
                    actor=actor,
                    known_email=email,
                )
            except BillingLinkError:
                continue
            made.append((gcore_id, spp_id))
        return made
    return [(gcore_id, spp_id) for gcore_id, spp_id, _ in pairs]


def billing_unlink(*, client_id: int, actor: User, ip_address: str | None = None) -> int | None:
    """Remove a Gcore client's link; the SPP id it had, or None when it had none. Audited."""
    link = BillingLink.objects.filter(gcore_client_id=client_id).first()
    if link is None:
        return None
    link.delete()
    audit_record(
        actor=actor,
        action=Action.BILLING_UNLINK,
        outcome=Outcome.SAVED,
        client_id=client_id,
        changes=[FieldChange("spp_client", link.spp_client_id, None)],
        message=f"Unlinked from SPP client {link.spp_client_id}.",
        ip_address=ip_address,
        details={"spp_client_id": link.spp_client_id},
    )
    return link.spp_client_id


def linked_spp_id(client_id: int) -> int | None:
    return (
        BillingLink.objects.filter(gcore_client_id=client_id).values_list("spp_client_id", flat=True).first()
    )


# -- editing an SPP record ---------------------------------------------------------------------------

# Form field -> (SPP's name for it in the audit log, label). Contact fields: support agents.
CONTACT_FIELDS: dict[str, tuple[str, str]] = {
    "name_f": ("name_f", "First name"),
    "name_l": ("name_l", "Last name"),
    "email": ("email", "Email"),
    "company": ("company", "Company"),
    "tax_id": ("tax_id", "Tax ID"),
    "phone": ("phone", "Phone"),
    "line_1": ("address.line_1", "Address"),
    "city": ("address.city", "City"),
    "state": ("address.state", "State"),
    "postcode": ("address.postcode", "Postcode"),
    "country": ("address.country", "Country"),
    "note": ("note", "Note"),
}
# The account: administrators only (change_billing_account).
ACCOUNT_FIELDS: dict[str, tuple[str, str]] = {
    "balance": ("balance", "Balance"),
    "status_id": ("status_id", "Status"),
    "stripe_id": ("stripe_id", "Stripe ID"),
    "employee_ids": ("employee_id", "Assigned employees"),
}
BILLING_FIELDS = CONTACT_FIELDS | ACCOUNT_FIELDS
BILLING_LABELS = {name: label for name, (_, label) in BILLING_FIELDS.items()}


def spp_values(record: SppClient) -> dict[str, Any]:
    """The editable values of an SPP client, under the form's names."""
    address = record.address
    return {
        "name_f": record.name_f,
        "name_l": record.name_l,
        "email": record.email,
        "company": record.company,
        "tax_id": record.tax_id,
        "phone": record.phone,
        **{name: getattr(address, name) if address is not None else None for name in ADDRESS_FIELDS},
        "note": record.note,
        "balance": record.balance,
        "status_id": record.status,
        "stripe_id": record.stripe_id,
        "employee_ids": record.employee_ids,
    }


def billing_compare(value: Any) -> Any:
    """Like the pipeline's, with amounts compared as amounts ("10.0" is 10.00)."""
    if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
        return Decimal(str(value)).normalize()
    return normalise(value)


def spp_update_body(changes: Mapping[str, Any], current: Mapping[str, Any]) -> SppClientUpdate:
    """The PUT body for these changes: plain fields as they are; the address whole.

    SPP: whether an address sent in part replaces the stored one or is merged into it is not
    documented (docs/spp-api-notes.md §8): every address field is sent, the unchanged ones with
    their current values, which is right under either reading.
    """
    body: dict[str, Any] = {}
    for name, value in changes.items():
        if name in ADDRESS_FIELDS:
            continue
        if name == "balance":
            body["balance"] = float(value) if value is not None else None
        elif name == "employee_ids":
            body["employee_id"] = list(value or [])
        else:
            body[name] = value
    if any(name in ADDRESS_FIELDS for name in changes):
        body["address"] = {name: changes.get(name, current.get(name)) for name in ADDRESS_FIELDS}
    return SppClientUpdate(**body)


def billing_update(
    *,
    client_id: int,
    spp_id: int,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Save an SPP client's fields with one PUT of only what changed (the save pipeline's rules)."""
    spp = get_spp_client()

    def authorize(changes: Mapping[str, Any]) -> None:
        if ACCOUNT_FIELDS.keys() & changes.keys() and not actor.has_perm(perm("change_billing_account")):
            raise PermissionDenied(
                "Only administrators may change an SPP client's balance, status, Stripe ID or employees."
            )

    save = Save(
        action=Action.BILLING_UPDATE,
        client_id=client_id,
        labels=BILLING_LABELS,
        read=partial(spp.get_client, spp_id),
        values=spp_values,
        steps=[
            Step(
                BILLING_FIELDS,
                lambda changes, current: spp.update_client(spp_id, spp_update_body(changes, current)),
                system="SPP",
            )
        ],
        invalidate=lambda: None,  # SPP reads are not cached
        audit_name=lambda name: BILLING_FIELDS[name][0],
        authorize=authorize,
        compare=billing_compare,
        details={"spp_client_id": spp_id},
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


# -- syncing the shared fields ---------------------------------------------------------------------

LEAVE, TO_SPP, TO_GCORE = "leave", "to_spp", "to_gcore"
SYNC_LABELS: dict[str, str] = {
    **{f"gcore.{key}": f"{label} in Gcore" for key, label in SHARED.items()},
    **{f"spp.{key}": f"{label} in SPP" for key, label in SHARED.items()},
}


def sync_values(client: Client, record: SppClient) -> dict[str, Any]:
    """Both systems' shared fields, as one record: `gcore.email`, `spp.email`, ..."""
    return {
        **{f"gcore.{key}": value for key, value in gcore_shared(client).items()},
        **{f"spp.{key}": value for key, value in spp_shared(record).items()},
    }


def sync_desired(original: Mapping[str, Any], choices: Mapping[str, str]) -> dict[str, Any]:
    """What each system should hold after the sync: each chosen field copied across."""
    desired = dict(original)
    for key in SHARED:
        choice = choices.get(key, LEAVE)
        if choice == TO_SPP:
            desired[f"spp.{key}"] = original.get(f"gcore.{key}")
        elif choice == TO_GCORE:
            desired[f"gcore.{key}"] = original.get(f"spp.{key}")
    return desired


def _copied_from(changes: Collection[str]) -> list[str]:
    """The fields the changes copy from: a value copied must still be what the form showed."""
    sources = []
    for name in changes:
        system, _, key = name.partition(".")
        sources.append(f"{'spp' if system == 'gcore' else 'gcore'}.{key}")
    return sources


def _gcore_sync_body(changes: Mapping[str, Any]) -> ClientUpdate:
    return ClientUpdate(
        **{GCORE_FIELDS[name.removeprefix("gcore.")]: value for name, value in changes.items()}
    )


def _spp_sync_body(changes: Mapping[str, Any]) -> SppClientUpdate:
    body: dict[str, Any] = {}
    for name, value in changes.items():
        key = name.removeprefix("spp.")
        if key == "contact":
            body["name_f"], body["name_l"] = split_contact(value)
        else:
            body[key] = value or ""  # SPP: text is a string; "" for none (docs/spp-api-notes.md §8)
    return SppClientUpdate(**body)


def spp_record_get(spp_id: int) -> SppClient:
    """An SPP client as SPP holds it now (SPP reads are not cached)."""
    return get_spp_client().get_client(spp_id)


def billing_records_get(*, client_id: int, spp_id: int) -> tuple[Client, SppClient]:
    """Both sides of a link as they are now: Gcore's client (read fresh) and SPP's record."""
    return client_get(client_id=client_id, fresh=True).value, spp_record_get(spp_id)


def billing_records_find(*, client_id: int, spp_id: int) -> tuple[Client, SppClient] | None:
    """`billing_records_get`, or None when either side is gone (deleted in its system)."""
    try:
        return billing_records_get(client_id=client_id, spp_id=spp_id)
    except UpstreamNotFound:
        return None


def billing_sync(
    *,
    client_id: int,
    spp_id: int,
    original: Mapping[str, Any],
    choices: Mapping[str, str],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """Copy each chosen shared field across: one PATCH to Gcore and one PUT to SPP, each with only
    what changes, each tried on its own; one audit entry tells both outcomes."""
    gcore, spp = get_gcore_client(), get_spp_client()
    save = Save(
        action=Action.BILLING_SYNC,
        client_id=client_id,
        labels=SYNC_LABELS,
        read=lambda: (gcore.get_client(client_id), spp.get_client(spp_id)),
        values=lambda records: sync_values(*records),
        steps=[
            Step(
                [f"gcore.{key}" for key in SHARED],
                lambda changes, _: gcore.update_client(client_id, _gcore_sync_body(changes)),
                system="Gcore",
            ),
            Step(
                [f"spp.{key}" for key in SHARED],
                lambda changes, _: spp.update_client(spp_id, _spp_sync_body(changes)),
                system="SPP",
            ),
        ],
        invalidate=partial(versions.client_changed, client_id),
        sources=_copied_from,
        independent_steps=True,
        details={"spp_client_id": spp_id},
    )
    desired = sync_desired(original, choices)
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


def billing_connected() -> bool:
    """Whether the billing features are on: SPP configured, or its sandbox in development."""
    return spp_mode() != "off"
