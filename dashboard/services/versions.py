"""Version counters in the shared cache: how a change on one app server makes every server's copies stale.

Anything cached under a key that includes a counter's number is current until the counter is
bumped; a bump makes the next lookup ask for another key, on every server at once, without anyone
having to find and delete the old entries (they expire on their own). Three families use them:
the Gcore read cache (services/cache.py), the counts (overview, saved views) and each staff
member's permission set (dashboard/permissions.py).
"""

from __future__ import annotations

import time

from django.core.cache import cache

# Every client list, count and overview: bumped by any change to any client.
LISTS = "gcore:v:lists"
# Staff permission sets: bumped by any change to who holds which permission.
PERMISSIONS = "auth:perms:v"


def client(client_id: int) -> str:
    """The counter of one client's own reads (its detail, with its users)."""
    return f"gcore:v:client:{client_id}"


def _new_count() -> int:
    # Counts start from the clock, so a count restarted after an eviction never meets old keys.
    return int(time.time() * 1000)


def version_of(counter: str) -> int:
    """The counter's current number (started if missing)."""
    version = cache.get(counter)
    if version is None:
        cache.add(counter, _new_count(), timeout=None)
        version = cache.get(counter, 0)
    return int(version)


def bump(counter: str) -> None:
    """Make everything cached under the counter's current number stale, on every app server."""
    try:
        cache.incr(counter)
    except ValueError:  # not there yet (or evicted): any new number invalidates the old keys
        cache.set(counter, _new_count(), timeout=None)


def stamped(prefix: str, *counters: str) -> str:
    """`prefix` with the counters' current numbers: a key that goes stale when any of them is bumped."""
    return ":".join([prefix, *(str(version_of(counter)) for counter in counters)])


def client_changed(client_id: int) -> None:
    """After a change to a client or one of its users: its own reads and every list are stale."""
    bump(client(client_id))
    bump(LISTS)
