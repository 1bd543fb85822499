"""Overlapping the dashboard's own work with Gcore's latency."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar, cast

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from dashboard.upstream.client import request_sent

T = TypeVar("T")

log = logging.getLogger("dashboard.services")

# How long a worker holds its bookkeeping for the page to be sent before doing it anyway (a fetch
# started outside a request never hears that its page is done).
AFTER_PAGE_WAIT_SECONDS = 2.0


@functools.cache
def _executor() -> ThreadPoolExecutor:
    # Made on first use, so after gunicorn forks its workers; as wide as the Gcore connection pool.
    return ThreadPoolExecutor(max_workers=settings.GCORE_POOL_SIZE, thread_name_prefix="gcore-read")


_worker = threading.local()  # in a worker: the bookkeeping of its current fetch
_requests = threading.local()  # in a request's thread: its fetches' "page sent" events


def in_background(fetch: Callable[[], T]) -> T:
    """Start `fetch()` in a worker thread now; return a stand-in that waits for it on first use.

    A page template renders its header, navigation and forms while Gcore is still answering, and
    blocks only where it first needs the data. An exception from `fetch` is raised at that point,
    inside the view's render, so the usual error handling applies. Work that `fetch` hands to
    `after_page` runs once the response has been sent.
    """
    future: Future[T] = Future()
    sent = threading.Event()
    page_done = threading.Event()
    pending = getattr(_requests, "events", None)
    if pending is None:
        pending = _requests.events = []
    pending.append(page_done)

    def run() -> None:
        request_sent.set(sent.set)
        later: list[Callable[[], object]] = []
        _worker.later = later
        try:
            future.set_result(fetch())
        except BaseException as exc:  # noqa: BLE001 - handed to the page, which raises it
            future.set_exception(exc)
        finally:
            _worker.later = None
            request_sent.set(None)
            sent.set()  # nothing was sent (a cached value), or it failed: the page waits no more
        if later:
            # Bookkeeping would compete with the page's rendering for the GIL: do it once the
            # page has gone out.
            page_done.wait(timeout=AFTER_PAGE_WAIT_SECONDS)
            for task in later:
                _run_logged(task)

    _executor().submit(run)
    # Wait until the worker's request is on the wire. Rendering meanwhile would keep the GIL from
    # the worker for up to Python's 5 ms switch interval at each step it takes (starting, pool,
    # socket writes), so the request would leave milliseconds late; the rendering, for its part,
    # has all of Gcore's latency to spare. Bounded: a new TLS connection or a busy pool does not
    # hold the page up.
    sent.wait(timeout=0.05)
    return cast(T, SimpleLazyObject(future.result))


def after_page(task: Callable[[], object]) -> None:
    """Run `task` (bookkeeping, such as filling the shared cache) once the page that waits for the
    current background fetch has been sent; outside a background fetch, at once."""
    later = getattr(_worker, "later", None)
    if later is None:
        task()
    else:
        later.append(task)


def page_sent(**kwargs: object) -> None:
    """The page of the current thread's request has been sent (Django's request_finished, connected
    in DashboardConfig.ready): its background fetches may do their bookkeeping now."""
    for event in getattr(_requests, "events", None) or ():
        event.set()
    _requests.events = []


def _run_logged(task: Callable[[], object]) -> None:
    try:
        task()
    except Exception as exc:  # noqa: BLE001 - nobody waits for it; the next read fills the cache
        log.warning("deferred task failed: %s: %s", type(exc).__name__, exc)
