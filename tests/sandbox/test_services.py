"""A client's services: GET the list and one, PUT and the deprecated PATCH (iam_reseller_api.yaml)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from dashboard.sandbox.store import api_datetime
from tests.helpers import AUTH, BASE_URL, all_clients, listed_ids

SERVICES = ["CDN", "STORAGE", "STREAMING", "DNS", "DDOS", "CLOUD"]


def services(api: httpx.Client, client_id: int) -> dict[str, dict[str, Any]]:
    response = api.get(f"/iam/clients/{client_id}/services")
    assert response.status_code == 200, response.text
    return {service["name"]: service for service in response.json()}


def client_with(sb: Sandbox, service: str, status: str) -> int:
    return next(
        cid for cid in sb.client_ids() if sb.client_json(cid)["serviceStatuses"][service]["status"] == status
    )


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


# -- reading ---------------------------------------------------------------------------------------


def test_every_client_has_six_services_that_agree_with_the_client(
    schemas, shared_sb: Sandbox, shared_api: httpx.Client
) -> None:
    required = schemas.required("iam_reseller_Service")
    ids: set[int] = set()
    for client in all_clients(shared_sb)[:150]:
        response = shared_api.get(f"/iam/clients/{client['id']}/services")
        assert response.status_code == 200
        body = response.json()
        schemas.assert_valid(body, "ServiceArray")
        assert [s["name"] for s in body] == SERVICES
        for service in body:
            assert required <= set(service)
            assert service["client"] == client["id"]
            state = client["serviceStatuses"][service["name"]]
            assert (service["status"], service["enabled"]) == (state["status"], state["enabled"])
            ids.add(service["id"])
    assert len(ids) == 150 * 6


def test_seeded_history_is_plausible(shared_sb: Sandbox, shared_api: httpx.Client) -> None:
    seen_options = False
    for client_id in shared_sb.client_ids()[:120]:
        for service in services(shared_api, client_id).values():
            changed, start = parse(service["status_changed_at"]), parse(service["start"])
            assert changed <= shared_sb.now and start <= changed
            if service["status"] == "new":
                assert service["previous_status"] == "new"
                assert service["options"] == []
            else:
                assert service["previous_status"] != service["status"]
            if service["status"] in {"trialend", "paused"}:
                # The sandbox's choice: deleted 30 days after the change, still ahead when seeded.
                assert parse(service["deleted_date"]) == changed + timedelta(days=30)
                assert parse(service["deleted_date"]) > shared_sb.now
            else:
                assert service["deleted_date"] is None
            if service["status"] == "trial":
                assert [o["name"] for o in service["status_transition_options"]] == ["trial_days"]
            seen_options = seen_options or bool(service["options"])
    assert seen_options


def test_services_are_the_same_whichever_client_is_read_first() -> None:
    first, second = Sandbox(seed=3, clients=30), Sandbox(seed=3, clients=30)
    ids = first.client_ids()
    with (
        httpx.Client(transport=SandboxTransport(first), base_url=BASE_URL, headers=AUTH) as a,
        httpx.Client(transport=SandboxTransport(second), base_url=BASE_URL, headers=AUTH) as b,
    ):
        forwards = [a.get(f"/iam/clients/{cid}/services").json() for cid in ids]
        backwards = [b.get(f"/iam/clients/{cid}/services").json() for cid in reversed(ids)]
    assert forwards == list(reversed(backwards))


def test_get_one_service(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[2]
    listed = services(api, client_id)["DNS"]
    response = api.get(f"/iam/clients/{client_id}/services/{listed['id']}")
    assert response.status_code == 200
    assert response.json() == listed


def test_a_service_of_another_client_or_an_unknown_one_is_not_found(sb: Sandbox, api: httpx.Client) -> None:
    mine, other = sb.client_ids()[:2]
    foreign = services(api, other)["CDN"]["id"]
    for method, body in (("GET", None), ("PUT", {"status": "paused"}), ("PATCH", {"enabled": False})):
        for path in (
            f"/iam/clients/{mine}/services/{foreign}",
            f"/iam/clients/{mine}/services/1",
            f"/iam/clients/1/services/{foreign}",
        ):
            response = api.request(method, path, json=body)
            assert (response.status_code, response.json()) == (404, {"detail": "Not found."}), (method, path)
    assert api.get("/iam/clients/1/services").status_code == 404
    assert services(api, other)["CDN"]["status"] == sb.client_json(other)["serviceStatuses"]["CDN"]["status"]


# -- PUT -------------------------------------------------------------------------------------------


def test_put_a_new_status_records_the_change_everywhere(
    schemas, sb: Sandbox, api: httpx.Client, clock
) -> None:
    client_id = client_with(sb, "CDN", "active")
    before = services(api, client_id)["CDN"]
    assert client_id in listed_ids(api, cdn="active")

    response = api.put(f"/iam/clients/{client_id}/services/{before['id']}", json={"status": "paused"})
    assert response.status_code == 200
    after = response.json()
    schemas.assert_valid(after, "iam_reseller_Service")
    assert after == {
        **before,
        "status": "paused",
        "previous_status": "active",
        "status_changed_at": api_datetime(clock.now),
        "deleted_date": api_datetime(clock.now + timedelta(days=30)),
    }
    assert sb.client_json(client_id)["serviceStatuses"]["CDN"] == {
        "status": "paused",
        "enabled": before["enabled"],
    }
    assert api.get(f"/iam/clients/{client_id}").json()["serviceStatuses"]["CDN"]["status"] == "paused"
    assert client_id not in listed_ids(api, cdn="active")
    assert client_id in listed_ids(api, cdn="paused")
    assert services(api, client_id)["CDN"] == after


def test_put_trial_starts_the_trial_and_the_same_status_changes_no_history(
    sb: Sandbox, api: httpx.Client, clock
) -> None:
    client_id = client_with(sb, "STORAGE", "new")
    url = f"/iam/clients/{client_id}/services/{services(api, client_id)['STORAGE']['id']}"
    trial = api.put(url, json={"status": "trial"}).json()
    assert (trial["status"], trial["previous_status"]) == ("trial", "new")
    assert trial["start"] == trial["status_changed_at"] == api_datetime(clock.now)

    clock.advance(days=3)
    again = api.put(url, json={"status": "trial", "enabled": True}).json()
    assert again == {**trial, "enabled": True}
    active = api.put(url, json={"status": "active"}).json()
    assert (active["previous_status"], active["start"]) == ("trial", trial["start"])
    assert active["status_changed_at"] == api_datetime(clock.now)
    assert client_id in listed_ids(api, storage="active")


def test_enabled_drives_the_clients_capabilities(sb: Sandbox, api: httpx.Client) -> None:
    client_id = next(cid for cid in sb.client_ids() if "DNS" in sb.client_json(cid)["capabilities"])
    service = services(api, client_id)["DNS"]
    url = f"/iam/clients/{client_id}/services/{service['id']}"
    assert api.put(url, json={"status": service["status"], "enabled": False}).json()["enabled"] is False
    client = api.get(f"/iam/clients/{client_id}").json()
    assert "DNS" not in client["capabilities"]
    assert client["capabilities"] == [s for s in SERVICES if client["serviceStatuses"][s]["enabled"]]
    api.put(url, json={"status": service["status"], "enabled": "true"})
    assert "DNS" in api.get(f"/iam/clients/{client_id}").json()["capabilities"]


def test_options_are_stored_as_sent(schemas, sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[4]
    service = services(api, client_id)["CDN"]
    option = {
        "id": None,
        "value": "500",
        "value_type": "int",
        "name": "max_resources",
        "category": "limits",
        "description": "More resources.",
        "title": "Maximum CDN resources",
    }
    transition = {**option, "id": 7, "name": "trial_days", "value": "30", "category": "trial"}
    url = f"/iam/clients/{client_id}/services/{service['id']}"
    body = api.put(
        url, json={"status": "active", "options": [option], "status_transition_options": [transition]}
    ).json()
    assert (body["options"], body["status_transition_options"]) == ([option], [transition])
    schemas.assert_valid(body, "iam_reseller_Service")
    # Left out, they stay; an empty list clears them.
    assert api.put(url, json={"status": "active"}).json()["options"] == [option]
    assert api.put(url, json={"status": "active", "options": []}).json()["options"] == []


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"status": ["This field is required."]}),
        ({"enabled": True}, {"status": ["This field is required."]}),
        ({"status": "suspended"}, {"status": ['"suspended" is not a valid choice.']}),
        ({"status": None}, {"status": ["This field may not be null."]}),
        ({"status": "active", "enabled": "maybe"}, {"enabled": ["Must be a valid boolean."]}),
        (
            {"status": "active", "options": {"a": 1}},
            {"options": ['Expected a list of items but got type "dict".']},
        ),
        (
            {"status": "active", "options": [{}, "x", None, 7, "y"]},
            {
                "options": [
                    "Invalid data. Expected a dictionary, but got str.",
                    "This field may not be null.",
                    "Invalid data. Expected a dictionary, but got int.",
                ]
            },
        ),
        (
            {"status": "x", "status_transition_options": 5},
            {
                "status": ['"x" is not a valid choice.'],
                "status_transition_options": ['Expected a list of items but got type "int".'],
            },
        ),
    ],
)
def test_put_errors(schemas, sb: Sandbox, api: httpx.Client, body: dict[str, Any], errors: Any) -> None:
    client_id = sb.client_ids()[1]
    before = services(api, client_id)
    response = api.put(f"/iam/clients/{client_id}/services/{before['CDN']['id']}", json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    schemas.assert_valid(response.json(), "iam_reseller_ValidationError")
    assert services(api, client_id) == before


def test_put_bad_bodies(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[1]
    url = f"/iam/clients/{client_id}/services/{services(api, client_id)['CDN']['id']}"
    assert api.put(url, content=b'{"status": ').json()["message"].startswith("JSON parse error - ")
    assert api.put(url, json=["active"]).json() == {
        "errors": {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    }


# -- PATCH (deprecated) ----------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(sb: Sandbox, api: httpx.Client, clock) -> None:
    client_id = client_with(sb, "CLOUD", "trial")
    before = services(api, client_id)["CLOUD"]
    url = f"/iam/clients/{client_id}/services/{before['id']}"
    assert api.patch(url, json={}).json() == before
    ignored = {
        "id": 1,
        "name": "CDN",
        "client": 1,
        "previous_status": "deleted",
        "start": "2020-01-01T00:00:00Z",
    }
    assert api.patch(url, json=ignored).json() == before
    flipped = api.patch(url, json={"enabled": not before["enabled"]}).json()
    assert flipped == {**before, "enabled": not before["enabled"]}
    ended = api.patch(url, json={"status": "trialend"}).json()
    assert (ended["status"], ended["previous_status"]) == ("trialend", "trial")
    assert ended["status_changed_at"] == api_datetime(clock.now)
    assert sb.client_json(client_id)["serviceStatuses"]["CLOUD"]["status"] == "trialend"
    assert client_id in listed_ids(api, cloud="trialend")
    assert api.patch(url, json={"status": "nope"}).json() == {
        "errors": {"status": ['"nope" is not a valid choice.']}
    }


# -- methods and auth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "allow"),
    [
        ("POST", "", "GET"),
        ("DELETE", "", "GET"),
        ("DELETE", "/{sid}", "GET, PUT, PATCH"),
        ("POST", "/{sid}", "GET, PUT, PATCH"),
    ],
)
def test_other_methods_are_405(sb: Sandbox, api: httpx.Client, method: str, suffix: str, allow: str) -> None:
    client_id = sb.client_ids()[0]
    sid = services(api, client_id)["CDN"]["id"]
    response = api.request(method, f"/iam/clients/{client_id}/services" + suffix.format(sid=sid))
    assert response.status_code == 405
    assert response.headers["allow"] == allow


def test_a_key_is_needed(sb: Sandbox) -> None:
    client_id = sb.client_ids()[0]
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert anonymous.get(f"/iam/clients/{client_id}/services").status_code == 401
        assert (
            anonymous.put(f"/iam/clients/{client_id}/services/1", json={"status": "active"}).status_code
            == 401
        )


def test_faults_match_the_new_paths(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("status", status=503, method="PUT", path=r"/iam/clients/\d+/services/\d+", times=1)
    url = f"/iam/clients/{client_id}/services/{services(api, client_id)['CDN']['id']}"
    assert api.put(url, json={"status": "paused"}).status_code == 503
    assert (
        services(api, client_id)["CDN"]["status"]
        == sb.client_json(client_id)["serviceStatuses"]["CDN"]["status"]
    )
    assert api.put(url, json={"status": "paused"}).status_code == 200
