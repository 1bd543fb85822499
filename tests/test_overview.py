"""The managers' overview at `/`: counts against the sandbox's data, chart links, caching, refresh."""

from __future__ import annotations

import re
import threading

import pytest
from django.test import Client as DjangoClient

from dashboard.gcore.models import ClientType, ServiceStatus
from dashboard.services.overview import list_query_filters
from tests.helpers import list_queries, logged_in

pytestmark = pytest.mark.django_db

SERVICES = ("cdn", "storage", "ddos", "dns", "cloud", "infrastructure_protection", "connect")


def every_tally(overview):
    yield overview.total
    for group in overview.groups():
        yield from group.tallies


def test_every_count_is_what_gcore_matches_for_its_own_link(manager_client, sandbox):
    response = manager_client.get("/")
    assert response.status_code == 200
    overview = response.context["overview"]
    tallies = list(every_tally(overview))
    assert len(tallies) == 1 + 2 + 3 + 2 + 3 + 7 * 7  # total, new, account, test/prod, types, services
    for tally in tallies:
        # The same query string makes the count and the link: the list's parser turns it into filters.
        assert tally.count == sandbox.matching_count(**list_query_filters(dict(tally.query))), tally.key


def test_counts_against_the_sandbox_data_directly(manager_client, sandbox):
    overview = manager_client.get("/").context["overview"]
    by_key = {tally.key: tally.count for tally in every_tally(overview)}
    clients = [sandbox.client_json(i) for i in sandbox.client_ids()]
    live = [c for c in clients if not c["deleted"]]
    assert by_key["total"] == len(live) > 0
    assert by_key["deleted"] == sum(c["deleted"] for c in clients) > 0
    assert by_key["test"] == sum(c["is_test"] for c in live)
    assert by_key["production"] == sum(not c["is_test"] for c in live)
    for client_type in ClientType:
        assert by_key[f"type-{client_type.value}"] == sum(c["client_type"] == client_type.value for c in live)
    for status in ServiceStatus:
        assert by_key[f"cdn-{status.value}"] == sum(
            c["serviceStatuses"]["CDN"]["status"] == status.value for c in live
        )
    # Partitions of the same (non-deleted) clients add up to the total.
    assert by_key["activated"] + by_key["not-activated"] == by_key["total"]
    for service in SERVICES:
        assert sum(by_key[f"{service}-{s.value}"] for s in ServiceStatus) == by_key["total"], service
    assert 0 < by_key["new-7"] <= by_key["new-30"] < by_key["total"]


def test_counts_use_limit_1_queries_that_hide_deleted_clients_like_the_list(manager_client, sandbox):
    manager_client.get("/")
    calls = list_queries(sandbox)
    assert len(calls) == 60
    assert all(call["limit"] == "1" for call in calls)
    deleted = [call for call in calls if call.get("deleted") == "true"]
    assert len(deleted) == 1 and set(deleted[0]) == {"limit", "offset", "deleted"}
    assert all(call.get("deleted") == "false" for call in calls if call not in deleted)
    assert {"limit": "1", "offset": "0", "deleted": "false", "cdn": "trialend"} in calls
    assert {"limit": "1", "offset": "0", "deleted": "false", "activated": "false"} in calls


def test_counts_are_asked_concurrently_over_a_small_pool(manager_client, sandbox, monkeypatch):
    in_flight = peak = 0
    lock = threading.Lock()
    handle = sandbox.handle

    def counting_handle(*args, **kwargs):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return handle(*args, **kwargs)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(sandbox, "handle", counting_handle)
    sandbox.set_latency(20)  # slept outside the sandbox's lock, as a network would
    assert manager_client.get("/").status_code == 200
    assert 2 <= peak <= 8, peak  # several at once, never more than OVERVIEW_CONCURRENCY (8)


def test_each_bar_and_number_opens_the_list_with_that_filter(manager_client, sandbox):
    response = manager_client.get("/")
    body = response.content.decode()
    overview = response.context["overview"]
    for tally in every_tally(overview):
        href = "/clients/" + (f"?{tally.querystring}" if tally.querystring else "")
        assert f'href="{href}"' in body, href
    # A bar: an SVG link with a title and its number as text.
    cdn_active = next(t for t in overview.services[0].tallies if t.key == "cdn-active")
    bar = re.search(r'<a href="/clients/\?cdn=active" class="bar-link">(.*?)</a>', body, re.S)
    assert bar, "no bar for CDN active"
    assert f"<title>CDN, active: {cdn_active.count} clients</title>" in bar.group(1)
    assert '<text class="bar-value"' in bar.group(1) and f">{cdn_active.count}</text>" in bar.group(1)
    assert "style=" not in body


@pytest.mark.parametrize(
    "key",
    [
        "total",
        "deleted",
        "activated",
        "not-activated",
        "test",
        "type-sales",
        "new-7",
        "new-30",
        "connect-paused",
        "cdn-new",
    ],
)
def test_the_list_behind_a_number_shows_that_many_clients(manager_client, sandbox, key):
    overview = manager_client.get("/").context["overview"]
    tally = next(t for t in every_tally(overview) if t.key == key)
    listing = manager_client.get(f"/clients/?{tally.querystring}").context["listing"]
    assert listing.count == tally.count


def test_the_overview_is_cached_and_refresh_counts_again(manager_client, sandbox):
    first = manager_client.get("/").context["overview"]
    assert len(list_queries(sandbox)) == 60
    again = manager_client.get("/")
    assert again.context["overview"].as_of == first.as_of
    assert len(list_queries(sandbox)) == 60  # from the cache

    refreshed = manager_client.get("/?refresh=1")
    assert refreshed.status_code == 302 and refreshed["Location"] == "/"
    assert len(list_queries(sandbox)) == 120
    assert manager_client.get("/").context["overview"].as_of > first.as_of


def test_htmx_refresh_swaps_only_the_counts(manager_client, sandbox):
    manager_client.get("/")
    response = manager_client.get("/?refresh=1", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode().lstrip()
    assert body.startswith('<section id="overview-body"')
    assert "<html" not in body
    assert "HX-Request" in response["Vary"]
    assert len(list_queries(sandbox)) == 120


def test_the_page_says_as_of_when_and_how_deleted_clients_count(manager_client):
    body = manager_client.get("/").content.decode()
    assert re.search(r'As of <time datetime="\d{4}-\d\d-\d\dT[\d:.]+\+00:00">', body)
    assert "Deleted clients are left out of every number" in body
    assert "activated and deleted filters" in body  # no account-status filter upstream


def test_a_change_made_meanwhile_shows_after_refresh(manager_client, sandbox, settings):
    before = manager_client.get("/").context["overview"]
    target = next(
        c
        for c in (sandbox.client_json(i) for i in sandbox.client_ids())
        if not c["deleted"] and not c["is_test"]
    )
    sandbox.handle(
        "PATCH",
        f"/iam/clients/{target['id']}",
        headers={"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"},
        body=b'{"is_test": true}',
    )
    cached = manager_client.get("/").context["overview"]
    assert cached.environment.tallies[1].count == before.environment.tallies[1].count
    manager_client.get("/?refresh=1")
    after = manager_client.get("/").context["overview"]
    assert after.environment.tallies[1].count == before.environment.tallies[1].count + 1


def test_a_change_made_through_the_dashboard_shows_at_once(manager_client, sandbox, settings):
    from dashboard.services.versions import client_changed

    before = manager_client.get("/").context["overview"]
    target = next(
        c
        for c in (sandbox.client_json(i) for i in sandbox.client_ids())
        if not c["deleted"] and not c["is_test"]
    )
    sandbox.handle(
        "PATCH",
        f"/iam/clients/{target['id']}",
        headers={"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"},
        body=b'{"is_test": true}',
    )
    client_changed(target["id"])  # what every edit through the dashboard does
    after = manager_client.get("/").context["overview"]
    assert after.environment.tallies[1].count == before.environment.tallies[1].count + 1


def test_a_gcore_failure_shows_the_error_page_and_is_not_cached(manager_client, sandbox):
    sandbox.add_fault("status", path="/iam/clients", status=500, times=1)
    response = manager_client.get("/")
    assert response.status_code == 502
    assert "Gcore" in response.content.decode()
    assert len(list_queries(sandbox)) < 60  # the first failure cancels the counts not yet asked
    assert manager_client.get("/").status_code == 200


def test_every_role_with_view_clients_sees_it_and_others_do_not(support_client, admin_user, nobody):
    assert support_client.get("/").status_code == 200
    assert logged_in(admin_user).get("/").status_code == 200
    assert logged_in(nobody).get("/").status_code == 403
    anonymous = DjangoClient().get("/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert DjangoClient().post("/").status_code == 302  # login first; then 405


def test_the_overview_accepts_only_get(manager_client):
    assert manager_client.post("/").status_code == 405


def test_the_nav_links_to_the_overview(manager_client):
    assert '<a href="/">Overview</a>' in manager_client.get("/clients/").content.decode()
