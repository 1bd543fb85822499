"""Overlapping the dashboard's own work with Gcore's latency."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

from django.conf import settings
from django.utils.functional import SimpleLazyObject

T = TypeVar("T")


@functools.cache
def _executor() -> ThreadPoolExecutor:
    # Made on first use, so after gunicorn forks its workers; as wide as the Gcore connection pool.
    return ThreadPoolExecutor(max_workers=settings.GCORE_POOL_SIZE, thread_name_prefix="gcore-read")


def in_background(fetch: Callable[[], T]) -> T:
    """Start `fetch()` in a worker thread now; return a stand-in that waits for it on first use.

    A page template renders its header, navigation and forms while Gcore is still answering, and
    blocks only where it first needs the data. An exception from `fetch` is raised at that point,
    inside the view's render, so the usual error handling applies.
    """
    future = _executor().submit(fetch)
    return cast(T, SimpleLazyObject(future.result))
