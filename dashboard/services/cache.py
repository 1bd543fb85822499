"""A short-lived cache of Gcore reads, shared by every app server through Django's cache (Redis).

Keys carry the numbers of version counters (services/versions.py): a change bumps the counters it
affects, so every server stops using the old entries at once.

Values are kept as JSON (pydantic's own encoder and validator, both in Rust): reading a page of
50 clients back that way takes about a third of the time unpickling 50 models does, and a cached
page is served in a few milliseconds, so that third counts.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from pydantic import TypeAdapter

from dashboard.services.concurrency import after_page, in_background
from dashboard.services.versions import stamped

T = TypeVar("T")


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A value read from Gcore, when it was read, and whether this answer came from the cache."""

    value: T
    fetched_at: float
    from_cache: bool

    @property
    def age_seconds(self) -> int:
        return max(0, int(time.time() - self.fetched_at))


def read_key(parts: Mapping[str, object], versions: list[str]) -> str:
    """The cache key of one Gcore read: what was asked (`parts`), under the counters' current numbers.

    Take it before asking Gcore: a change saved during the call bumps a counter, so what the call
    read (perhaps from before the change) is never filed as current after it.
    """
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
    # "v2": values are pydantic JSON since this format; entries an older release pickled are never read.
    return f"{stamped('gcore:read:v2', *versions)}:{digest}"


class _LocalCopies:
    """Values this process has already read from the shared cache, kept parsed for re-use.

    A key carries the version numbers, so a local copy stays current exactly as long as the
    shared entry it came from: a change anywhere bumps the version and the next lookup asks for
    another key. Reading a page back from Redis and parsing it took a fifth of a cached page's
    time; a local hit takes neither. The values are frozen pydantic models, safe to share
    between threads. Bounded, oldest out first.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Cached[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, ttl: int) -> Cached[Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if time.time() - found.fetched_at >= ttl:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return found

    def put(self, key: str, value: Cached[Any]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


local_copies = _LocalCopies(size=64)


def cached_lookup(key: str, *, adapter: TypeAdapter[T]) -> Cached[T] | None:
    """The cached value under this key (`read_key`), if there is a current one; never asks Gcore."""
    ttl = settings.GCORE_CACHE_SECONDS
    if ttl <= 0:
        return None
    if (local := local_copies.get(key, ttl)) is not None:
        return local
    hit = cache.get(key)
    if hit is None:
        return None
    try:
        fetched_at, raw = hit
        found = Cached(adapter.validate_json(raw), fetched_at, from_cache=True)
    except (TypeError, ValueError):  # pydantic's ValidationError is a ValueError
        return None  # not what this release writes (an unreadable entry is a miss, never an error page)
    local_copies.put(key, found)
    return found


def cached_read(
    key: str, fetch: Callable[[], T], *, adapter: TypeAdapter[T], fresh: bool = False
) -> Cached[T]:
    """`fetch()`'s value, from the cache while it is younger than GCORE_CACHE_SECONDS.

    `key` comes from `read_key`, taken before this call; `adapter` (pydantic) writes the value as
    JSON and reads it back; `fresh` skips the cache (but still stores the new value for the next
    reader).
    """
    ttl = settings.GCORE_CACHE_SECONDS
    if ttl <= 0:
        return Cached(fetch(), time.time(), from_cache=False)
    if not fresh and (hit := cached_lookup(key, adapter=adapter)) is not None:
        return hit
    value = fetch()
    fetched_at = time.time()
    local_copies.put(key, Cached(value, fetched_at, from_cache=True))
    # The shared copy (JSON, then a round trip to Redis) is written once the page has gone out.
    after_page(lambda: cache.set(key, (fetched_at, adapter.dump_json(value)), timeout=ttl))
    return Cached(value, fetched_at, from_cache=False)


def cached_read_soon(
    key: str, read: Callable[[str], Cached[T]], *, adapter: TypeAdapter[T], fresh: bool = False
) -> Cached[T]:
    """At once from the cache, or else `read(key)` in a worker thread (`in_background`): a cached
    value is returned directly, because handing it to a thread would only wait for the thread.
    `read` goes straight to Gcore (the cache was just asked) and fills the cache under `key`."""
    if not fresh and (hit := cached_lookup(key, adapter=adapter)) is not None:
        return hit
    return in_background(partial(read, key))
