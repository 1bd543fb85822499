"""A service's status across many clients: the preview, the run (bounded, never re-sent, stoppable),
retrying one client, the result page and the activity log, against the sandbox."""

from __future__ import annotations

import html

import pytest
from django.test import override_settings

from dashboard.models import AuditEntry, BulkChange, BulkItem
from dashboard.services.bulk import bulk_run, bulk_stop
from tests.helpers import PREVIEW, finished, live_ids, preview, services_of


def cdn_statuses(sandbox, client_ids):
    return {client_id: services_of(sandbox, client_id)["CDN"]["status"] for client_id in client_ids}


# -- preview ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_preview_counts_what_will_change_what_already_is_and_what_is_excluded(admin_client_, sandbox, wire):
    deleted = next(i for i in sandbox.client_ids() if sandbox.client_json(i)["deleted"])
    chosen = [*live_ids(sandbox, 12), deleted]
    bulk = preview(admin_client_, scope="ids", client=chosen)
    assert bulk.state == "draft" and bulk.selection == "ids"
    statuses = cdn_statuses(sandbox, chosen[:-1])
    page = admin_client_.get(f"/clients/bulk/?batch={bulk.pk}")
    assert page.context["already"] == sum(1 for s in statuses.values() if s == "paused")
    assert page.context["will_change"] == sum(1 for s in statuses.values() if s != "paused")
    excluded = bulk.items.get(state=BulkItem.State.EXCLUDED)
    assert excluded.client_id == deleted and excluded.message == "The client is deleted at Gcore."
    body = html.unescape(page.content.decode())
    assert "The client is deleted at Gcore." in body and "Start the change" in body
    assert "all of its CDN resources stop working" in body  # the consequence, before anything is sent
    assert not [call for call in wire if call[0] not in ("GET",)]  # a preview only reads


@pytest.mark.django_db
def test_all_matching_takes_every_page_of_the_filters(admin_client_, sandbox):
    bulk = preview(admin_client_, scope="query", query="cdn=active&page_size=25&ordering=-id")
    expected = sandbox.matching_count(cdn="active", deleted="false")
    assert bulk.items.count() == expected > 25
    assert bulk.query == "cdn=active&ordering=-id&page_size=25"  # the filters, without the page number


@pytest.mark.django_db
def test_more_matching_clients_than_the_cap_are_refused_with_a_way_out(admin_client_, sandbox):
    with override_settings(BULK_MAX_CLIENTS=5):
        response = admin_client_.post("/clients/bulk/", PREVIEW | {"scope": "query", "query": "cdn=active"})
    assert response.status_code == 302 and response["Location"] == "/clients/?cdn=active"  # the filters kept
    page = html.unescape(admin_client_.get(response["Location"]).content.decode())
    assert "at most 5 (BULK_MAX_CLIENTS). Narrow the filters" in page
    assert not BulkChange.objects.exists()


@pytest.mark.django_db
def test_nothing_ticked_is_refused(admin_client_):
    response = admin_client_.post("/clients/bulk/", PREVIEW | {"scope": "ids"}, follow=True)
    assert "Tick at least one client" in response.content.decode()


@pytest.mark.django_db
def test_bulk_changes_are_for_administrators(support_client, manager_client):
    for http in (support_client, manager_client):
        assert http.get("/clients/bulk/").status_code == 403
        assert 'form="bulk-form"' not in http.get("/clients/").content.decode()


@pytest.mark.django_db
def test_a_doctored_batch_or_client_number_is_a_404(admin_client_):
    for batch in ("²", "٣", "9" * 5000, str(10**30), "-1"):
        assert admin_client_.get(f"/clients/bulk/?batch={batch}").status_code == 404, batch
        for action in ("stop", "retry"):
            response = admin_client_.post("/clients/bulk/", {"action": action, "batch": batch, "item": "²"})
            assert response.status_code == 404, (action, batch)


@pytest.mark.django_db
def test_the_list_offers_the_boxes_and_the_bar_to_administrators(admin_client_, sandbox):
    body = admin_client_.get("/clients/?cdn=active").content.decode()
    assert body.count('form="bulk-form"') == 25 and 'id="bulk-form"' in body
    assert "Preview for all" in body


# -- the run -----------------------------------------------------------------------------------------


def started(http, bulk, reason="Unpaid since March"):
    response = http.post(
        "/clients/bulk/", {"action": "start", "batch": bulk.pk, "reason": reason, "confirm": "on"}
    )
    assert response.status_code == 302
    return response


@pytest.mark.django_db
def test_starting_needs_a_reason_and_the_confirmation(admin_client_, sandbox):
    bulk = preview(admin_client_, scope="ids", client=live_ids(sandbox, 3))
    response = admin_client_.post("/clients/bulk/", {"action": "start", "batch": bulk.pk, "reason": ""})
    assert response.status_code == 422
    assert set(response.context["start_form"].errors) == {"reason", "confirm"}
    bulk.refresh_from_db()
    assert bulk.state == "draft"


@pytest.mark.django_db(transaction=True)
def test_a_run_changes_each_client_once_reports_each_and_audits_all(admin_client_, sandbox, wire):
    chosen = live_ids(sandbox, 8)
    before = cdn_statuses(sandbox, chosen)
    failing = next(i for i in chosen if before[i] != "paused")
    failing_service = services_of(sandbox, failing)["CDN"]["id"]
    sandbox.add_fault(
        "status", status=400, method="PUT", path=f"/iam/clients/{failing}/services/{failing_service}"
    )
    bulk = preview(admin_client_, scope="ids", client=chosen)
    with override_settings(BULK_CONCURRENCY=3):
        started(admin_client_, bulk)
        bulk = finished(bulk)
    assert bulk.state == "done"
    states = dict(bulk.items.values_list("client_id", "state"))
    assert states[failing] == "failed"
    for client_id in chosen:
        if client_id != failing:
            assert states[client_id] == ("unchanged" if before[client_id] == "paused" else "changed")
    after = cdn_statuses(sandbox, chosen)
    assert all(after[i] == "paused" for i in chosen if i != failing) and after[failing] == before[failing]
    puts = [call for call in wire if call[0] == "PUT"]
    assert sorted(path for _, path, _ in puts) == sorted(
        f"/iam/clients/{i}/services/{services_of(sandbox, i)['CDN']['id']}"
        for i in chosen
        if before[i] != "paused"
    )  # each once, the failed one too: never re-sent
    assert all(body == {"status": "paused"} for _, _, body in puts)
    entries = AuditEntry.objects.filter(details__bulk=bulk.pk)
    assert entries.filter(action="service.update").count() == len(chosen)
    started_entry, batch = entries.filter(action="bulk.service").order_by("id")
    assert started_entry.outcome == "started" and f"for up to {len(chosen)} clients" in started_entry.message
    assert batch.outcome == "partial" and "1 failed" in batch.message
    assert batch.details["reason"] == "Unpaid since March"
    page = html.unescape(admin_client_.get(f"/clients/bulk/?batch={bulk.pk}").content.decode())
    assert "Bad Request" in page and "Retry" in page


@pytest.mark.django_db(transaction=True)
def test_a_failed_client_is_retried_only_when_asked(admin_client_, sandbox, wire):
    chosen = [i for i in live_ids(sandbox, 20) if services_of(sandbox, i)["CDN"]["status"] == "active"][:2]
    service = services_of(sandbox, chosen[0])["CDN"]["id"]
    sandbox.add_fault(
        "status", status=503, method="PUT", path=f"/iam/clients/{chosen[0]}/services/{service}", times=1
    )
    bulk = preview(admin_client_, scope="ids", client=chosen)
    started(admin_client_, bulk)
    bulk = finished(bulk)
    item = bulk.items.get(client_id=chosen[0])
    assert item.state == "failed" and item.attempts == 1
    assert len([c for c in wire if c[0] == "PUT" and c[1].startswith(f"/iam/clients/{chosen[0]}/")]) == 1
    response = admin_client_.post(
        "/clients/bulk/", {"action": "retry", "batch": bulk.pk, "item": item.pk}, follow=True
    )
    item.refresh_from_db()
    assert item.state == "changed" and item.attempts == 2
    assert "Tried" in response.content.decode()
    assert services_of(sandbox, chosen[0])["CDN"]["status"] == "paused"


@pytest.mark.django_db(transaction=True)
def test_a_timeout_during_a_put_is_re_read_never_re_sent(admin_client_, sandbox, wire):
    chosen = [i for i in live_ids(sandbox, 20) if services_of(sandbox, i)["CDN"]["status"] == "active"][:1]
    service = services_of(sandbox, chosen[0])["CDN"]["id"]
    path = f"/iam/clients/{chosen[0]}/services/{service}"
    sandbox.add_fault("timeout", method="PUT", path=path, times=1)
    bulk = preview(admin_client_, scope="ids", client=chosen)
    started(admin_client_, bulk)
    bulk = finished(bulk)
    item = bulk.items.get()
    # The sandbox applied it before the answer was lost: the re-read says so.
    assert item.state == "changed" and "a re-read shows the change was applied" in item.message
    assert [c[1] for c in wire if c[0] == "PUT"] == [path]
    assert [c[1] for c in wire if c[0] == "GET" and c[1] == path] == [path]


@pytest.mark.django_db(transaction=True)
def test_a_stopped_run_sends_nothing_more(admin_user, sandbox, wire, monkeypatch):
    from dashboard.sandbox import SandboxTransport
    from dashboard.services.bulk import bulk_preview

    bulk = bulk_preview(service="CDN", status="paused", actor=admin_user, client_ids=live_ids(sandbox, 10))
    BulkChange.objects.filter(pk=bulk.pk).update(state="running", reason="test")
    original = SandboxTransport.handle_request

    def stop_on_first_read(self, request):
        if request.url.path.endswith("/services"):
            bulk_stop(bulk)  # asked (on another server, say) while the first two clients are at Gcore
        return original(self, request)

    monkeypatch.setattr(SandboxTransport, "handle_request", stop_on_first_read)
    with override_settings(BULK_CONCURRENCY=2):
        bulk = bulk_run(bulk, admin_user)
    assert bulk.state == "stopped"
    states = list(bulk.items.values_list("state", flat=True))
    sent = [c for c in wire if c[0] == "GET" and c[1].endswith("/services")]
    assert 1 <= len(sent) <= 2  # the ones in flight (two at most) finished; nothing was claimed after
    assert states.count("skipped") == 10 - len(sent) and len(states) == 10
    assert AuditEntry.objects.get(action="bulk.service").message.startswith("CDN to paused, stopped")
    assert AuditEntry.objects.get(action="bulk.stop").details == {"bulk": bulk.pk}


@pytest.mark.django_db(transaction=True)
def test_a_change_stopped_before_any_worker_took_it_sends_nothing(admin_user, sandbox, wire):
    from dashboard.services.bulk import bulk_preview

    bulk = bulk_preview(service="CDN", status="paused", actor=admin_user, client_ids=live_ids(sandbox, 3))
    BulkChange.objects.filter(pk=bulk.pk).update(state="running", reason="test")
    bulk_stop(bulk)
    bulk = bulk_run(bulk, admin_user)
    assert bulk.state == "stopped" and set(bulk.items.values_list("state", flat=True)) == {"skipped"}
    assert not [c for c in wire if c[1].endswith("/services")]


@pytest.mark.django_db
def test_a_preview_without_a_service_or_status_says_what_to_choose(admin_client_):
    data = {"action": "preview", "scope": "ids", "client": [1], "query": "cdn=active"}
    response = admin_client_.post("/clients/bulk/", data, follow=True)
    assert response.redirect_chain == [("/clients/?cdn=active", 302)]
    assert "Choose a service and its new status" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_put_whose_answer_never_came_and_did_not_land_is_in_doubt(
    admin_client_, sandbox, wire, monkeypatch
):
    """An implementation that loses the PUT before applying it: the re-read shows the old status, the
    client is reported in doubt, nothing is sent again, and Retry (asked for) re-reads first."""
    import httpx

    from dashboard.sandbox import SandboxTransport

    original = SandboxTransport.handle_request
    lost = {"times": 1}

    def losing(self, request):
        if request.method == "PUT" and lost["times"]:
            lost["times"] -= 1
            wire.append(("PUT", request.url.path, None))
            raise httpx.ReadTimeout("no answer", request=request)
        return original(self, request)

    chosen = [i for i in live_ids(sandbox, 20) if services_of(sandbox, i)["CDN"]["status"] == "active"][:1]
    bulk = preview(admin_client_, scope="ids", client=chosen)
    monkeypatch.setattr(SandboxTransport, "handle_request", losing)
    started(admin_client_, bulk)
    bulk = finished(bulk)
    item = bulk.items.get()
    assert item.state == "unknown"
    assert "may or may not have been applied in Gcore (a re-read shows active)" in item.message
    assert len([c for c in wire if c[0] == "PUT"]) == 1
    admin_client_.post("/clients/bulk/", {"action": "retry", "batch": bulk.pk, "item": item.pk})
    item.refresh_from_db()
    assert item.state == "changed" and item.attempts == 2
    assert services_of(sandbox, chosen[0])["CDN"]["status"] == "paused"


@pytest.mark.django_db
def test_a_retry_is_claimed_once_so_two_clicks_send_one_put(admin_user, sandbox, wire):
    from dashboard.services.bulk import bulk_preview, bulk_retry

    chosen = [i for i in live_ids(sandbox, 20) if services_of(sandbox, i)["CDN"]["status"] == "active"][:1]
    bulk = bulk_preview(service="CDN", status="paused", actor=admin_user, client_ids=chosen)
    BulkChange.objects.filter(pk=bulk.pk).update(state="done", reason="test")
    bulk.refresh_from_db()
    BulkItem.objects.filter(bulk=bulk).update(state="failed")
    first, second = BulkItem.objects.get(bulk=bulk), BulkItem.objects.get(bulk=bulk)  # two requests' copies
    bulk_retry(bulk, first, actor=admin_user)
    bulk_retry(bulk, second, actor=admin_user)  # the other click: its copy still says "failed"
    assert len([c for c in wire if c[0] == "PUT"]) == 1


def stalled(bulk, sandbox, *, sending_landed):
    """A change as a killed worker leaves it: one client changed, one claimed and in flight (its PUT
    landed at Gcore or not), the rest waiting; nobody has touched it for ten minutes."""
    from datetime import timedelta

    from django.utils import timezone

    items = list(bulk.items.order_by("position"))
    BulkItem.objects.filter(pk=items[0].pk).update(state="changed")
    if sending_landed:
        service = services_of(sandbox, items[1].client_id)["CDN"]["id"]
        sandbox_put(sandbox, items[1].client_id, service, "paused")
    long_ago = timezone.now() - timedelta(minutes=10)
    BulkItem.objects.filter(pk=items[1].pk).update(state="sending", runner="run-dead", updated_at=long_ago)
    BulkChange.objects.filter(pk=bulk.pk).update(state="running", reason="r", updated_at=long_ago)
    return items


def sandbox_put(sandbox, client_id, service_id, status):
    from tests.helpers import gcore_call

    path = f"/iam/clients/{client_id}/services/{service_id}"
    assert gcore_call(sandbox, "PUT", path, {"status": status})[0] == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("landed", [False, True])
def test_a_change_whose_worker_died_is_resumed_by_the_sweep_and_its_in_flight_client_re_read(
    admin_client_, sandbox, wire, landed
):
    from dashboard.tasks import sweep_bulk_changes

    chosen = [i for i in live_ids(sandbox, 40) if services_of(sandbox, i)["CDN"]["status"] == "active"][:4]
    bulk = preview(admin_client_, scope="ids", client=chosen)
    items = stalled(bulk, sandbox, sending_landed=landed)
    page = html.unescape(admin_client_.get(f"/clients/bulk/?batch={bulk.pk}").content.decode())
    assert "No worker has reported on this change for a while" in page
    wire.clear()
    sweep_bulk_changes.enqueue("not-the-schedule's")  # a stale token does nothing
    assert not wire
    from dashboard.services.schedules import schedule_run_now

    assert schedule_run_now("bulk_sweep")
    bulk.refresh_from_db()
    assert bulk.state == "done"
    states = list(bulk.items.order_by("position").values_list("state", flat=True))
    assert states == ["changed", "changed" if landed else "unknown", "changed", "changed"]
    in_flight = BulkItem.objects.get(pk=items[1].pk)
    if landed:
        assert "a re-read shows the change applied" in in_flight.message
    else:
        assert "may or may not have been applied in Gcore (a re-read shows active)" in in_flight.message
    puts = [path for method, path, _ in wire if method == "PUT"]
    assert len(puts) == 2  # the two waiting clients; the one in flight is re-read, never re-sent
    assert not any(f"/iam/clients/{items[1].client_id}/" in path for path in puts)
    body = html.unescape(admin_client_.get(f"/clients/bulk/?batch={bulk.pk}").content.decode())
    assert ("Retry" in body) is not landed and "No worker has reported" not in body


@pytest.mark.django_db(transaction=True)
def test_a_worker_told_to_stop_sends_no_more_and_hands_the_rest_on(admin_user, sandbox, wire, monkeypatch):
    """A deploy's SIGTERM: the run sends nothing new, and queues a run for the waiting clients."""
    import threading

    from django_tasks import default_task_backend

    from dashboard import worker
    from dashboard.services.bulk import bulk_preview, bulk_work

    bulk = bulk_preview(service="CDN", status="paused", actor=admin_user, client_ids=live_ids(sandbox, 5))
    BulkChange.objects.filter(pk=bulk.pk).update(state="running", reason="r")
    monkeypatch.setattr(worker, "stopping", threading.Event())
    worker.stopping.set()
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        assert "handed to another task" in bulk_work(bulk_id=bulk.pk)
        queued = [(r.task.name, r.args) for r in default_task_backend.results]
    assert queued == [("run_bulk_change", [bulk.pk])] and not [c for c in wire if c[0] == "PUT"]
    bulk.refresh_from_db()
    assert bulk.state == "running" and set(bulk.items.values_list("state", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_a_second_run_of_the_same_change_only_continues_what_nobody_claimed(admin_user, sandbox, wire):
    from dashboard.services.bulk import bulk_preview, bulk_work

    chosen = [i for i in live_ids(sandbox, 40) if services_of(sandbox, i)["CDN"]["status"] == "active"][:3]
    bulk = bulk_preview(service="CDN", status="paused", actor=admin_user, client_ids=chosen)
    BulkChange.objects.filter(pk=bulk.pk).update(state="running", reason="r", started_by=admin_user)
    first = bulk.items.order_by("position").first()
    BulkItem.objects.filter(pk=first.pk).update(state="sending", runner="run-alive")  # fresh: a live run's
    bulk_work(bulk_id=bulk.pk)
    bulk.refresh_from_db()
    assert bulk.state == "running"  # the live run's client is still at Gcore: that run settles it
    assert len([c for c in wire if c[0] == "PUT"]) == 2
    assert "Nothing to do" not in bulk_work(bulk_id=bulk.pk)
    assert len([c for c in wire if c[0] == "PUT"]) == 2  # run twice: nothing sent again
    BulkItem.objects.filter(pk=first.pk).update(state="changed")
    bulk_work(bulk_id=bulk.pk)
    bulk.refresh_from_db()
    assert bulk.state == "done"
    assert "Nothing to do" in bulk_work(bulk_id=bulk.pk)
    assert AuditEntry.objects.filter(action="bulk.service", details__bulk=bulk.pk).count() == 1


@pytest.mark.django_db
def test_a_change_started_after_a_long_look_at_its_preview_is_not_taken_for_dead(admin_client_, sandbox):
    from datetime import timedelta

    from django.utils import timezone

    bulk = preview(admin_client_, scope="ids", client=live_ids(sandbox, 2))
    BulkChange.objects.filter(pk=bulk.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    started(admin_client_, bulk)  # its runs are queued on commit; this test's transaction never commits
    admin_client_.get(f"/clients/bulk/?batch={bulk.pk}")
    bulk.refresh_from_db()
    assert bulk.state == "running"


@pytest.mark.django_db(transaction=True)
def test_a_run_marked_interrupted_meanwhile_sends_nothing_more(admin_user, sandbox, wire, monkeypatch):
    """Another server took the run for dead while its first client was at Gcore: the run sends no more."""
    from dashboard.sandbox import SandboxTransport
    from dashboard.services.bulk import bulk_preview

    bulk = bulk_preview(service="CDN", status="paused", actor=admin_user, client_ids=live_ids(sandbox, 6))
    BulkChange.objects.filter(pk=bulk.pk).update(state="running", reason="r")
    original = SandboxTransport.handle_request

    def meanwhile(self, request):
        BulkChange.objects.filter(pk=bulk.pk).update(state="interrupted")  # as bulk_get would
        return original(self, request)

    monkeypatch.setattr(SandboxTransport, "handle_request", meanwhile)
    with override_settings(BULK_CONCURRENCY=1):
        bulk = bulk_run(bulk, admin_user)
    assert len([c for c in wire if c[0] == "GET" and c[1].endswith("/services")]) == 1
    assert bulk.state == "interrupted"  # left as whoever marked it said
    assert not AuditEntry.objects.filter(action="bulk.service").exists()  # no second batch entry
