"""Overlapping the dashboard's own work with Gcore's latency."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar, cast

from django.conf import settings
from django.utils.functional import SimpleLazyObject

T = TypeVar("T")

log = logging.getLogger("dashboard.services")


@functools.cache
def _executor() -> ThreadPoolExecutor:
    # Made on first use, so after gunicorn forks its workers; as wide as the Gcore connection pool.
    return ThreadPoolExecutor(max_workers=settings.GCORE_POOL_SIZE, thread_name_prefix="gcore-read")


_fetching = threading.local()


def in_background(fetch: Callable[[], T]) -> T:
    """Start `fetch()` in a worker thread now; return a stand-in that waits for it on first use.

    A page template renders its header, navigation and forms while Gcore is still answering, and
    blocks only where it first needs the data. An exception from `fetch` is raised at that point,
    inside the view's render, so the usual error handling applies. Work that `fetch` hands to
    `after_answer` runs once the page has its value.
    """
    future: Future[T] = Future()
    started = threading.Event()

    def run() -> None:
        started.set()
        later: list[Callable[[], object]] = []
        _fetching.later = later
        try:
            future.set_result(fetch())
        except BaseException as exc:  # noqa: BLE001 - handed to the page, which raises it
            future.set_exception(exc)
        finally:
            _fetching.later = None
        if later:
            time.sleep(0)  # give up the GIL, so the page that was waiting goes on first
            for task in later:
                _run_logged(task)

    _executor().submit(run)
    # Wait for the worker to be running: it then keeps the GIL until its request is on the wire,
    # instead of waiting for this thread to pause (up to Python's 5 ms switch interval) while the
    # page renders. The request to Gcore goes out first; the rendering has time to spare. When
    # every worker is busy, the page does not wait for one to free up before rendering.
    started.wait(timeout=0.05)
    return cast(T, SimpleLazyObject(future.result))


def after_answer(task: Callable[[], object]) -> None:
    """Run `task` (bookkeeping, such as filling the cache) after the page waiting for the current
    background fetch has its value; outside a background fetch, at once."""
    later = getattr(_fetching, "later", None)
    if later is None:
        task()
    else:
        later.append(task)


def _run_logged(task: Callable[[], object]) -> None:
    try:
        task()
    except Exception as exc:  # noqa: BLE001 - nobody waits for it; the next read fills the cache
        log.warning("deferred task failed: %s: %s", type(exc).__name__, exc)
