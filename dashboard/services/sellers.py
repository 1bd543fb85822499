"""The reseller's sellers (GET/POST/PATCH/DELETE /iam/admin/sellers): the list with how many clients
each carries, and creating, editing and deleting one, every write through the save pipeline.

The list is the one the client forms' seller picker reads (services/onboarding.py `sellers_get`):
both share its cache entry, and every write here makes it stale on every server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from pydantic import TypeAdapter

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Seller, SellerCreate, SellerUpdate
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange
from dashboard.services.cache import Cached, cached_read, read_key
from dashboard.services.overview import client_counts, list_query_filters
from dashboard.services.saves import Act, Save, SaveResult, Step, run_act, run_save
from dashboard.upstream.errors import UpstreamError

SELLERS = TypeAdapter(list[Seller])
# The seller form's fields, Gcore's own names (Seller, iam_reseller_api.yaml), and their labels.
SELLER_LABELS = {"full_name": "Name", "email": "Email", "phone": "Phone"}
# The list's orderings: the address's value -> its label.
ORDERINGS = {
    "full_name": "Name",
    "email": "Email",
    "-date_joined": "Newest first",
    "date_joined": "Oldest first",
    "-clients": "Most clients",
    "activated": "Not activated first",
}


def sellers_key() -> str:
    """The cache key of the sellers list, shared with the client forms' seller picker."""
    return read_key({"sellers": "all"}, [versions.LISTS])


def sellers_get_all(*, fresh: bool = False) -> Cached[list[Seller]]:
    """Every seller Gcore lists, deleted ones included (each carries its own `deleted` flag, §12)."""
    return cached_read(sellers_key(), get_gcore_client().list_sellers, adapter=SELLERS, fresh=fresh)


@dataclass(frozen=True)
class SellerRow:
    """One seller and how many clients carry its id (None when Gcore could not count them)."""

    seller: Seller
    clients: int | None

    @property
    def joined(self) -> datetime | None:
        joined = self.seller.date_joined
        return joined if isinstance(joined, datetime) else None


def seller_client_query(seller_id: int) -> str:
    """The client list's address (query string) that shows the seller's clients."""
    return f"seller_id={int(seller_id)}"


def seller_client_counts(*, seller_ids: list[int]) -> dict[int, int] | None:
    """How many clients the client list shows for each seller (one counted request each), or None
    when Gcore does not answer: the list is still worth showing without its counts."""
    # Kept like a Gcore read (GCORE_CACHE_SECONDS, under the lists' counter, which any change to a
    # client or seller bumps): a list of many sellers costs one counted request per seller.
    key = f"{versions.stamped('sellers:counts', versions.LISTS)}:{','.join(map(str, sorted(seller_ids)))}"
    cached = cache.get(key)
    if isinstance(cached, dict):
        return {int(seller_id): int(count) for seller_id, count in cached.items()}
    filters = {seller_id: list_query_filters(seller_client_query(seller_id)) for seller_id in seller_ids}
    try:
        counts = client_counts(filter_sets=filters)
    except UpstreamError:
        return None
    if settings.GCORE_CACHE_SECONDS > 0:
        cache.set(key, counts, timeout=settings.GCORE_CACHE_SECONDS)
    return counts


def _matches(seller: Seller, search: str) -> bool:
    text = " ".join(filter(None, [seller.full_name, seller.email, seller.phone, seller.company]))
    return search.casefold() in text.casefold()


def _sort_key(ordering: str, row: SellerRow) -> tuple[Any, ...]:
    name = ordering.lstrip("-")
    if name == "date_joined":
        return (row.joined is None, row.joined.timestamp() if row.joined else 0.0)
    if name == "clients":
        return (row.clients is None, row.clients or 0)
    if name == "activated":
        return (row.seller.activated, row.seller.full_name.casefold())
    return ((getattr(row.seller, name) or "").casefold(),)


def sellers_list(
    *, search: str = "", ordering: str = "full_name", show_deleted: bool = False, fresh: bool = False
) -> tuple[Cached[list[Seller]], list[SellerRow], bool]:
    """The sellers matching `search` (name, email, phone or company, any case), in `ordering`, each
    with its client count; and whether the counts are known."""
    read = sellers_get_all(fresh=fresh)
    sellers = [s for s in read.value if show_deleted or not s.deleted]
    sellers = [s for s in sellers if not search or _matches(s, search)]
    counts = seller_client_counts(seller_ids=[s.id for s in sellers if not s.deleted]) if sellers else {}
    rows = [SellerRow(s, None if counts is None or s.deleted else counts.get(s.id, 0)) for s in sellers]
    ordering = ordering if ordering in ORDERINGS else "full_name"
    rows.sort(key=partial(_sort_key, ordering))
    if ordering.startswith("-"):
        rows.reverse()
    return read, rows, counts is not None


def seller_get(*, seller_id: int) -> Seller:
    """One seller as Gcore has it now (a deleted one too); GcoreNotFound if there is none."""
    return get_gcore_client().get_seller(seller_id=seller_id)


def seller_values(seller: Seller) -> dict[str, Any]:
    return {"full_name": seller.full_name, "email": seller.email, "phone": seller.phone}


def _sellers_changed() -> None:
    # The sellers list (and the client forms' picker that reads it) and every client list, whose
    # clients may name the seller, are stale now.
    versions.bump(versions.LISTS)


def seller_create(*, values: Mapping[str, Any], actor: User, ip_address: str | None = None) -> Seller:
    """POST /iam/admin/sellers: Gcore e-mails the new seller an activation link; audited."""
    phone = values.get("phone") or None
    new = SellerCreate(email=values["email"], full_name=values["full_name"], phone=phone)
    act = Act(
        action=Action.SELLER_CREATE,
        send=partial(get_gcore_client().create_seller, new=new),
        invalidate=_sellers_changed,
        done=f"Created the seller {new.full_name} ({new.email}); Gcore e-mails them an activation link.",
        changes=[FieldChange(name, None, value) for name, value in new.model_dump(exclude_none=True).items()],
    )
    return run_act(act, actor=actor, ip_address=ip_address)


def seller_update(
    *,
    seller_id: int,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """PATCH /iam/admin/sellers/{id} with only what the person changed, after the conflict check."""
    gcore = get_gcore_client()

    def send(changes: dict[str, Any], current: Mapping[str, Any]) -> Seller:
        return gcore.update_seller(seller_id=seller_id, changes=SellerUpdate(**changes))

    save = Save(
        action=Action.SELLER_UPDATE,
        labels=SELLER_LABELS,
        read=partial(gcore.get_seller, seller_id=seller_id),
        values=seller_values,
        steps=[Step(SELLER_LABELS, send)],
        invalidate=_sellers_changed,
        details={"seller_id": seller_id},
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


def seller_delete(
    *, seller: Seller, reason: str, clients: int | None, actor: User, ip_address: str | None = None
) -> None:
    """DELETE /iam/admin/sellers/{id}: Gcore takes the seller off every client (204); audited with
    the reason and how many clients carried the seller's id when the person confirmed."""
    act = Act(
        action=Action.SELLER_DELETE,
        send=partial(get_gcore_client().delete_seller, seller_id=seller.id),
        invalidate=_sellers_changed,
        done=f"Deleted the seller {seller.full_name} ({seller.email}).",
        changes=[FieldChange("deleted", False, True)],
        details={"seller_id": seller.id, "email": seller.email, "reason": reason, "clients": clients},
        success_status=204,
    )
    run_act(act, actor=actor, ip_address=ip_address)
