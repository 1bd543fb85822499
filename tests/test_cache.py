"""Gcore reads are cached briefly and shared; a change invalidates what it affects at once."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from pydantic import TypeAdapter

from dashboard.services import versions
from dashboard.services.cache import cached_lookup, cached_read, local_copies, read_key
from tests.helpers import client_and_user, first_live_client, form_data, open_form, user_edit_url

pytestmark = pytest.mark.django_db


def upstream_gets(sandbox):
    return [e for e in sandbox.request_log if e["method"] == "GET"]


def test_the_same_list_is_served_from_the_cache_and_says_so(manager_client, sandbox):
    first = manager_client.get("/clients/?cdn=active")
    assert "Fresh from Gcore" in first.content.decode()
    sandbox.clear_request_log()
    second = manager_client.get("/clients/?cdn=active")
    assert upstream_gets(sandbox) == []
    assert "Cached copy from" in second.content.decode()
    assert second.context["listing"].clients == first.context["listing"].clients


def test_refresh_skips_the_cache(manager_client, sandbox):
    manager_client.get("/clients/")
    sandbox.clear_request_log()
    manager_client.get("/clients/", headers={"HX-Request": "true", "X-Refresh": "true"})
    manager_client.get("/clients/?refresh=1")
    assert len(upstream_gets(sandbox)) == 2


def test_a_save_invalidates_the_detail_and_the_lists(support_client, sandbox):
    client_id = first_live_client(sandbox)
    support_client.get("/clients/")
    support_client.get(f"/clients/{client_id}/")
    form = open_form(support_client, f"/clients/{client_id}/edit/")
    support_client.post(f"/clients/{client_id}/edit/", form_data(form, company_name="After The Save"))
    sandbox.clear_request_log()
    detail = support_client.get(f"/clients/{client_id}/").content.decode()
    listing = support_client.get("/clients/").content.decode()
    assert "After The Save" in detail and "After The Save" in listing
    # The client, its services (read with it, under its version) and the list: each once, afresh.
    paths = sorted(entry["path"] for entry in upstream_gets(sandbox))
    assert paths == ["/iam/clients", f"/iam/clients/{client_id}", f"/iam/clients/{client_id}/services"]


def test_a_user_save_invalidates_the_client(support_client, sandbox):
    client_id, user = client_and_user(sandbox)
    support_client.get(f"/clients/{client_id}/")
    form = open_form(support_client, user_edit_url(client_id, user["id"]))
    support_client.post(user_edit_url(client_id, user["id"]), form_data(form, name="Renamed User"))
    assert "Renamed User" in support_client.get(f"/clients/{client_id}/").content.decode()


@override_settings(GCORE_CACHE_SECONDS=0)
def test_caching_can_be_switched_off(manager_client, sandbox):
    manager_client.get("/clients/")
    manager_client.get("/clients/")
    assert len(upstream_gets(sandbox)) == 2


def test_a_read_that_overlapped_a_save_is_not_kept_as_current():
    text = TypeAdapter(str)

    def read_while_someone_saves() -> str:
        versions.client_changed(1)  # the save lands while Gcore is still answering this read
        return "as it was before the save"

    cached_read(read_key({"page": 1}, [versions.LISTS]), read_while_someone_saves, adapter=text)
    assert cached_lookup(read_key({"page": 1}, [versions.LISTS]), adapter=text) is None


def test_a_copy_kept_by_this_process_goes_stale_with_the_shared_one(manager_client, sandbox):
    manager_client.get("/clients/?cdn=active")
    sandbox.clear_request_log()
    cache.clear()  # what an expiry or another server's change does to the shared entries
    assert "Fresh from Gcore" in manager_client.get("/clients/?cdn=active").content.decode()
    assert len(upstream_gets(sandbox)) == 1


def test_a_copy_kept_by_this_process_expires_with_the_shared_one(monkeypatch):
    from dashboard.services.cache import Cached, _LocalCopies

    copies = _LocalCopies(size=4)
    copies.put("key", Cached("value", fetched_at=time.time(), from_cache=True))
    assert copies.get("key", ttl=30) is not None
    later = time.time() + 31  # the shared entry's lifetime (GCORE_CACHE_SECONDS) is over
    monkeypatch.setattr(time, "time", lambda: later)
    assert copies.get("key", ttl=30) is None


def shared_first_page(filters: dict[str, str]) -> str:
    """The shared-cache key of the list's first page for these filters, once its copy is there.

    A page read in the background writes the shared copy just after the page got its value.
    """
    from dashboard.services.client_query import DEFAULT_ORDERING, DEFAULT_PAGE_SIZE
    from dashboard.services.clients import list_page_key

    key = list_page_key(
        filters=filters | {"deleted": "false"}, ordering=DEFAULT_ORDERING, limit=DEFAULT_PAGE_SIZE, offset=0
    )
    deadline = time.monotonic() + 5
    while cache.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cache.get(key) is not None
    return key


def test_a_page_read_in_the_background_fills_the_shared_cache_for_other_servers(manager_client):
    manager_client.get("/clients/?cdn=trial")  # read from Gcore in a worker thread while the page renders
    shared_first_page({"cdn": "trial"})
    local_copies.clear()  # what another server has: only the shared cache
    page = manager_client.get("/clients/?cdn=trial", headers={"HX-Request": "true"}).content.decode()
    assert "Cached copy" in page


def test_an_entry_the_dashboard_cannot_read_is_a_miss_not_an_error(manager_client, sandbox):
    manager_client.get("/clients/?cdn=active")
    local_copies.clear()
    # What another release might have left under the same key: something else than this JSON.
    cache.set(shared_first_page({"cdn": "active"}), (0.0, object()))
    sandbox.clear_request_log()
    response = manager_client.get("/clients/?cdn=active")
    assert response.status_code == 200 and "Fresh from Gcore" in response.content.decode()
    assert len(upstream_gets(sandbox)) == 1


def test_the_redis_backend_keeps_one_client_per_pool():
    """dashboard.cache_backend: Django's backend, without a new redis-py client per call."""
    from dashboard.cache_backend import RedisCache

    backend = RedisCache("redis://127.0.0.1:6379/9", {})
    client = backend._cache.get_client("a")
    assert backend._cache.get_client("b") is client
    assert backend._cache.get_client("c", write=True) is client  # one server: one pool for both
