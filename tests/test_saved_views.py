"""Saved views: save the list's filters, share them, see live counts in the sidebar, rename and delete."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client as DjangoClient

from dashboard.models import SavedView
from dashboard.services.overview import list_query_filters
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def sidebar(http: DjangoClient, current: str = "/clients/"):
    return http.get("/views/sidebar/", headers={**HTMX, "HX-Current-URL": f"http://testserver{current}"})


def list_calls(sandbox) -> int:
    return sum(entry["path"] == "/iam/clients" for entry in sandbox.request_log)


@pytest.fixture
def views(manager, support):
    """Mia's private and shared views, Sam's shared and private ones."""
    return {
        "mine": SavedView.objects.create(owner=manager, name="My CDN trials", query="cdn=trial"),
        "mine_shared": SavedView.objects.create(
            owner=manager, name="Test clients", query="is_test=true", shared=True
        ),
        "theirs_shared": SavedView.objects.create(
            owner=support, name="Paused storage", query="storage=paused&ordering=-companyName", shared=True
        ),
        "theirs_private": SavedView.objects.create(owner=support, name="Sam's secret", query="dns=new"),
    }


# -- saving ------------------------------------------------------------------------------------------


def test_saving_keeps_the_lists_filters_and_ordering_without_the_page(manager_client, manager):
    response = manager_client.post(
        "/views/new/",
        {
            "name": "  CDN   active, newest ",
            "query": "?cdn=active&is_test=&ordering=-created_at&page=4&utm=x",
            "shared": "on",
        },
    )
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.shared) == (manager, "CDN active, newest", True)
    assert view.query == "cdn=active&ordering=-created_at"
    assert response.status_code == 302 and response["Location"] == "/clients/?cdn=active&ordering=-created_at"
    assert "Saved the view" in manager_client.get(response["Location"]).content.decode()


def test_saving_with_htmx_answers_with_a_fresh_form_and_tells_the_sidebar(manager_client):
    response = manager_client.post("/views/new/", {"name": "Mine", "query": "dns=active"}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode().lstrip()
    assert body.startswith('<form id="saved-view-form"')
    assert 'name="query" id="saved-view-query" value="dns=active"' in body
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["saved-views-changed"] is True and "Mine" in trigger["notify"]["text"]
    assert SavedView.objects.get().shared is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "query": "cdn=active"}, "This field is required."),
        ({"name": "test CLIENTS", "query": "cdn=active"}, "There is already a view called"),
        ({"name": "Bad", "query": "reseller_id=abc"}, "Fix the filters before saving the view (reseller_id"),
        ({"name": "One client", "query": "q=200001"}, "opens that one client"),
    ],
)
def test_a_view_that_cannot_be_saved_says_why_and_keeps_the_input(manager_client, views, data, message):
    before = SavedView.objects.count()
    response = manager_client.post("/views/new/", data, headers=HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    if data["name"]:
        assert f'value="{data["name"]}"' in body
    assert SavedView.objects.count() == before
    full = manager_client.post("/views/new/", data)  # without JavaScript: the saved views page, with the form
    assert full.status_code == 422 and message in full.content.decode() and "<html" in full.content.decode()


def test_names_are_unique_per_owner_only(support_client, views):
    response = support_client.post("/views/new/", {"name": "Test clients", "query": "cdn=active"})
    assert response.status_code == 302
    assert SavedView.objects.filter(name="Test clients").count() == 2


def test_posts_need_the_csrf_token(manager):
    http = DjangoClient(enforce_csrf_checks=True)
    http.force_login(manager)
    assert http.post("/views/new/", {"name": "X", "query": ""}).status_code == 403
    page = http.get("/clients/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode()).group(1)
    response = http.post("/views/new/", {"name": "X", "query": ""}, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200


# -- the list's sidebar ------------------------------------------------------------------------------


def test_the_list_shows_the_views_without_asking_gcore_more(manager_client, sandbox, views):
    response = manager_client.get("/clients/?cdn=active")
    body = response.content.decode()
    assert list_calls(sandbox) == 1  # the list's one request; counts come later, from the sidebar
    for key in ("mine", "mine_shared", "theirs_shared"):
        assert f'href="{html.escape(views[key].get_absolute_url())}"' in body
    assert "Sam&#x27;s secret" not in body and "Sam's secret" not in body
    # Lazily loaded counts, and a page without JavaScript still has a way to them.
    assert 'hx-get="/views/sidebar/" hx-trigger="load,' in body
    assert 'href="/views/">All saved views, with counts</a>' in body
    assert 'name="query" id="saved-view-query" value="cdn=active"' in body


def test_the_sidebar_counts_each_view_live_and_concurrently(manager_client, sandbox, views):
    response = sidebar(manager_client, "/clients/?is_test=true&page=2")
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    body = response.content.decode()
    visible = [views["mine"], views["theirs_shared"], views["mine_shared"]]  # by name
    names = re.findall(r'hx-push-url="true"(?: aria-current="true")?>([^<]+)</a>', body)
    assert names == [v.name.replace("'", "&#x27;") for v in visible]
    for view in visible:
        count = sandbox.matching_count(**list_query_filters(view.query))
        entry = re.search(rf'>{re.escape(view.name)}</a>\s*<span class="view-count"[^>]*>(\d+)</span>', body)
        assert entry and int(entry.group(1)) == count, view.name
    assert list_calls(sandbox) == 3
    assert all("limit=1" in e["query"] for e in sandbox.request_log)
    assert re.search(r'aria-current="true">Test clients</a>', body)  # the view on screen
    assert "by sam.support" in body


def test_the_sidebar_follows_the_address_bar(manager_client, sandbox, views):
    body = sidebar(manager_client, "/clients/?cdn=active&ordering=-companyName&page=3").content.decode()
    assert (
        '<input type="hidden" name="query" id="saved-view-query" '
        'value="cdn=active&amp;ordering=-companyName" hx-swap-oob="true">' in body
    )
    assert 'id="client-export-link" href="/clients/export.csv?cdn=active&amp;ordering=-companyName"' in body
    assert 'hx-swap-oob="true">Download CSV</a>' in body


def test_the_list_links_to_the_export_with_its_filters(manager_client, support_client):
    body = manager_client.get("/clients/?cdn=active&ordering=-companyName&page=2").content.decode()
    assert (
        'id="client-export-link" href="/clients/export.csv?cdn=active&amp;ordering=-companyName&amp;page=2"'
        in body
    )
    assert "Download CSV" in support_client.get("/clients/").content.decode()


def test_sidebar_counts_are_cached_briefly(manager_client, sandbox, views):
    sidebar(manager_client)
    sidebar(manager_client)
    assert list_calls(sandbox) == 3
    SavedView.objects.create(owner=views["mine"].owner, name="Another", query="cdn=active", shared=False)
    sidebar(manager_client)
    assert list_calls(sandbox) == 4  # only the new one
    from dashboard.services.versions import client_changed

    client_changed(sandbox.client_ids()[0])  # a change through the dashboard: every count is stale
    sidebar(manager_client)
    assert list_calls(sandbox) == 8


def test_gcore_failing_leaves_the_sidebar_up_without_counts(manager_client, sandbox, views):
    sandbox.add_fault("status", path="/iam/clients", status=500)
    response = sidebar(manager_client)
    assert response.status_code == 200
    assert 'title="Gcore did not answer">–</span>' in response.content.decode()


def test_a_view_whose_filters_no_longer_parse_is_flagged(manager_client, manager, sandbox):
    SavedView.objects.create(owner=manager, name="Old", query="cdn=sleeping")
    body = sidebar(manager_client).content.decode()
    assert 'title="Its filters are no longer valid">!</span>' in body
    assert list_calls(sandbox) == 0


def test_the_sidebar_without_htmx_goes_to_the_saved_views_page(manager_client):
    response = manager_client.get("/views/sidebar/")
    assert response.status_code == 302 and response["Location"] == "/views/"


def test_the_saved_views_page_lists_counts_and_change_forms_for_own_views(manager_client, sandbox, views):
    body = manager_client.get("/views/").content.decode()
    assert "Sam&#x27;s secret" not in body
    for key in ("mine", "mine_shared", "theirs_shared"):
        view = views[key]
        assert f'<tr id="saved-view-{view.pk}">' in body
    assert f'action="/views/{views["mine"].pk}/"' in body
    assert f'action="/views/{views["theirs_shared"].pk}/"' not in body
    count = sandbox.matching_count(**list_query_filters("storage=paused"))
    assert re.search(rf'Paused storage</a>.*?<td class="num">{count}</td>', body, re.S)


# -- rename and delete -------------------------------------------------------------------------------


def test_the_owner_renames_and_shares(manager_client, views):
    view = views["mine"]
    response = manager_client.post(
        f"/views/{view.pk}/", {"name": "CDN trials (all)", "shared": "on"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith(f'<tr id="saved-view-{view.pk}">')
    assert "saved-views-changed" in json.loads(response["HX-Trigger"])
    view.refresh_from_db()
    assert (view.name, view.shared, view.query) == ("CDN trials (all)", True, "cdn=trial")


def test_renaming_onto_another_of_ones_own_names_is_refused(manager_client, views):
    response = manager_client.post(f"/views/{views['mine'].pk}/", {"name": "TEST clients"}, headers=HTMX)
    assert response.status_code == 422 and "There is already a view called" in response.content.decode()
    views["mine"].refresh_from_db()
    assert views["mine"].name == "My CDN trials"


def test_the_owner_deletes(manager_client, views):
    view = views["mine_shared"]
    response = manager_client.post(f"/views/{view.pk}/delete/", headers=HTMX)
    assert response.status_code == 200 and response.content == b""
    assert not SavedView.objects.filter(pk=view.pk).exists()
    response = manager_client.post(f"/views/{views['mine'].pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/views/"


def test_others_may_not_change_a_shared_view_and_cannot_see_a_private_one(manager_client, views):
    shared, private = views["theirs_shared"], views["theirs_private"]
    assert manager_client.post(f"/views/{shared.pk}/", {"name": "Mine now"}).status_code == 403
    assert manager_client.post(f"/views/{shared.pk}/delete/").status_code == 403
    assert manager_client.post(f"/views/{private.pk}/", {"name": "Mine now"}).status_code == 404
    assert manager_client.post(f"/views/{private.pk}/delete/").status_code == 404
    shared.refresh_from_db()
    assert shared.name == "Paused storage"


def test_a_superuser_may_rename_and_delete_anyones_view(admin_user, views):
    http = logged_in(admin_user)
    shared, private = views["theirs_shared"], views["theirs_private"]
    assert http.post(f"/views/{shared.pk}/", {"name": "Renamed by admin", "shared": "on"}).status_code == 302
    shared.refresh_from_db()
    assert shared.name == "Renamed by admin" and shared.owner.username == "sam.support"
    # A private view is private: not even a superuser sees it, so it cannot be changed here.
    assert http.post(f"/views/{private.pk}/delete/").status_code == 404
    assert http.post(f"/views/{shared.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()


# -- permissions -------------------------------------------------------------------------------------


def test_saved_views_need_view_clients(nobody, views):
    http = logged_in(nobody)
    view = views["mine_shared"]
    assert http.get("/views/").status_code == 403
    assert http.get("/views/sidebar/", headers=HTMX).status_code == 403
    assert http.post("/views/new/", {"name": "X", "query": ""}).status_code == 403
    assert http.post(f"/views/{view.pk}/", {"name": "X"}).status_code == 403
    assert http.post(f"/views/{view.pk}/delete/").status_code == 403
    assert SavedView.objects.count() == 4


def test_methods(manager_client, views):
    assert manager_client.get("/views/new/").status_code == 405
    assert manager_client.get(f"/views/{views['mine'].pk}/").status_code == 405
    assert manager_client.post("/views/").status_code == 405


def test_a_staff_members_views_go_with_their_account(manager, views):
    manager.delete()
    assert set(SavedView.objects.values_list("name", flat=True)) == {"Paused storage", "Sam's secret"}


def test_any_staff_member_with_a_role_can_save(support, support_client):
    assert support_client.post("/views/new/", {"name": "S", "query": "cdn=new"}).status_code == 302
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.shared) == (support, "S", "cdn=new", False)
