"""Saved views: named client-list queries, private or shared with the team, with live counts."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from dashboard.gcore import GcoreError
from dashboard.models import SavedView
from dashboard.services import versions
from dashboard.services.client_query import ClientQuery
from dashboard.services.overview import client_counts

log = logging.getLogger("dashboard.saved_views")


class SavedViewError(ValueError):
    """A view that cannot be saved as asked; `field` names the form field at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


QUICK_ID_NOT_A_VIEW = (
    "A client ID in quick search opens that one client; search by name or email to save a view."
)


@dataclass(frozen=True)
class ListQuery:
    """A client-list query string, tidied: known parameters only, no empties, no page."""

    query: str
    errors: dict[str, list[str]]


def list_query_parse(raw: str) -> ListQuery:
    """Tidy a list query string and check it with the list's own parser (ClientQuery)."""
    parsed = ClientQuery.from_data(raw)
    errors = {name: [message] for name, message in parsed.errors.items()}
    if not errors and parsed.quick_client_id is not None:
        errors = {"q": [QUICK_ID_NOT_A_VIEW]}
    return ListQuery(query=parsed.tidy(), errors=errors)


def saved_views_visible(*, user: User) -> list[SavedView]:
    """The user's own views and everyone's shared ones, by name."""
    return list(SavedView.objects.visible_to(user))


def saved_view_get(*, view_id: int, user: User) -> SavedView:
    """A view this user may see; SavedView.DoesNotExist for someone else's private view too."""
    return SavedView.objects.visible_to(user).get(pk=view_id)


def saved_view_can_change(*, view: SavedView, user: User) -> bool:
    return view.owner_id == user.pk or bool(getattr(user, "is_superuser", False))


def _check_name(name: str, *, owner_id: int, exclude_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise SavedViewError("Give the view a name.", field="name")
    taken = SavedView.objects.filter(owner_id=owner_id, name__iexact=name)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise SavedViewError(f"There is already a view called “{name}”.", field="name")
    return name


def saved_view_create(*, owner: User, name: str, query: str, shared: bool = False) -> SavedView:
    """Save the list query under a name; SavedViewError when the name or the query is not usable."""
    parsed = list_query_parse(query)
    if parsed.errors:
        field, messages = next(iter(parsed.errors.items()))
        raise SavedViewError(
            f"Fix the filters before saving the view ({field}: {messages[0]})", field="query"
        )
    name = _check_name(name, owner_id=owner.pk)
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name, query=parsed.query, shared=shared)
    except IntegrityError:  # the same name saved a moment ago from another tab
        raise SavedViewError(f"There is already a view called “{name}”.", field="name") from None


def saved_view_update(*, view: SavedView, user: User, name: str, shared: bool) -> SavedView:
    """Rename a view or change who sees it: its owner or a superuser only (PermissionDenied)."""
    if not saved_view_can_change(view=view, user=user):
        raise PermissionDenied("Only the owner of a view or an administrator can change it.")
    view.name = _check_name(name, owner_id=view.owner_id, exclude_id=view.pk)
    view.shared = shared
    try:
        with transaction.atomic():
            view.save(update_fields=["name", "shared", "updated_at"])
    except IntegrityError:
        raise SavedViewError(f"There is already a view called “{view.name}”.", field="name") from None
    return view


def saved_view_delete(*, view: SavedView, user: User) -> None:
    if not saved_view_can_change(view=view, user=user):
        raise PermissionDenied("Only the owner of a view or an administrator can delete it.")
    view.delete()


# -- live counts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountedView:
    view: SavedView
    count: int | None  # None: Gcore could not be asked, or the saved filters are no longer valid
    invalid: bool = False


def _count_key(query: str) -> str:
    # Stale on every app server as soon as a change through the dashboard bumps the lists' counter.
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"{versions.stamped('saved-view-count', versions.LISTS)}:{digest}"


def saved_view_counts(*, views: Iterable[SavedView]) -> list[CountedView]:
    """Each view with the number of clients it shows now (`limit=1` queries, concurrent, cached briefly).

    The counts are a sidebar's extra: when Gcore fails they are left out rather than failing the page.
    """
    views = list(views)
    filter_sets: dict[str, dict[str, object]] = {}
    invalid: set[str] = set()
    for view in views:
        parsed = ClientQuery.from_data(view.query)
        if parsed.is_valid and parsed.quick_client_id is None:
            filter_sets[view.query] = parsed.filters
        else:
            invalid.add(view.query)
    keys = {query: _count_key(query) for query in filter_sets}
    cached = cache.get_many(list(keys.values()))
    counts: dict[str, int] = {query: cached[key] for query, key in keys.items() if key in cached}
    missing = {query: filters for query, filters in filter_sets.items() if query not in counts}
    try:
        fresh = client_counts(filter_sets=missing)
    except GcoreError as exc:
        log.warning("saved view counts unavailable: %s", type(exc).__name__)
        fresh = {}
    if fresh and (ttl := settings.SAVED_VIEW_COUNT_CACHE_SECONDS) > 0:
        cache.set_many({keys[query]: count for query, count in fresh.items()}, ttl)
    counts |= fresh
    return [
        CountedView(view=view, count=counts.get(view.query), invalid=view.query in invalid) for view in views
    ]
