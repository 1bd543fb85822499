"""Injected faults, latency and the request log, through the in-process transport."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport


def test_status_fault_with_retry_after(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=429, retry_after=2, times=1)
    response = api.get("/iam/clients", params={"limit": 5})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Request was throttled. Expected available in 2 seconds."}
    assert api.get("/iam/clients", params={"limit": 5}).status_code == 200


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
        (504, "Gateway Timeout"),
    ],
)
def test_server_error_faults(sb: Sandbox, api: httpx.Client, status: int, detail: str) -> None:
    sb.add_fault("status", status=status)
    response = api.get("/iam/clients/1")
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert "retry-after" not in response.headers


def test_status_fault_does_not_apply_a_write(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("status", method="PATCH", status=503, times=1)
    assert api.patch(f"/iam/clients/{client_id}", json={"companyName": "Changed"}).status_code == 503
    assert sb.client_json(client_id)["companyName"] != "Changed"


def test_timeout_raises_read_timeout_after_applying_the_write(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("timeout", method="patch", times=1)
    with pytest.raises(httpx.ReadTimeout):
        api.patch(f"/iam/clients/{client_id}", json={"companyName": "Applied"})
    # The ambiguity a timeout leaves: the change did happen upstream.
    assert sb.client_json(client_id)["companyName"] == "Applied"
    assert sb.request_log[-1] == {
        "method": "PATCH",
        "path": f"/iam/clients/{client_id}",
        "query": "",
        "status": None,
        "fault": "timeout",
    }


def test_disconnect_raises_connect_error_and_changes_nothing(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("disconnect", times=1)
    with pytest.raises(httpx.ConnectError):
        api.patch(f"/iam/clients/{client_id}", json={"companyName": "Lost"})
    assert sb.client_json(client_id)["companyName"] != "Lost"
    assert sb.request_log[-1]["status"] is None
    assert sb.request_log[-1]["fault"] == "disconnect"


def test_malformed_body(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("malformed", path="/iam/clients")
    response = api.get("/iam/clients", params={"limit": 3})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert api.get(f"/iam/clients/{sb.client_ids()[0]}").status_code == 200  # path did not match


def test_times_counts_only_matching_requests(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=502, path=r"/iam/clients/\d+", method="GET", times=2)
    client_id = sb.client_ids()[0]
    assert api.get("/iam/clients", params={"limit": 1}).status_code == 200
    assert api.patch(f"/iam/clients/{client_id}", json={}).status_code == 200
    statuses = [api.get(f"/iam/clients/{client_id}").status_code for _ in range(3)]
    assert statuses == [502, 502, 200]


def test_faults_fire_in_the_order_added(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=429, times=1)
    sb.add_fault("status", status=503, times=1)
    codes = [api.get("/iam/clients/1").status_code for _ in range(3)]
    assert codes == [429, 503, 404]


def test_faults_precede_authentication(sb: Sandbox) -> None:
    sb.add_fault("status", status=503)
    with httpx.Client(transport=SandboxTransport(sb), base_url="https://api.gcore.com") as anonymous:
        assert anonymous.get("/iam/clients").status_code == 503


def test_clear_faults(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=500)
    sb.clear_faults()
    assert api.get("/iam/clients", params={"limit": 1}).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "explode"},
        {"kind": "status", "status": 42},
        {"kind": "status", "times": -1},
        {"kind": "status", "path": "("},
        {"kind": "timeout", "seconds": -1},
    ],
)
def test_bad_fault_arguments(sb: Sandbox, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        sb.add_fault(**kwargs)  # type: ignore[arg-type]


def test_request_log(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=503, times=1)
    api.get("/iam/clients", params={"limit": 2, "cdn": "active"})
    api.get("/iam/clients", params={"limit": 2, "cdn": "active"})
    api.get("/nowhere")
    assert sb.request_log == [
        {
            "method": "GET",
            "path": "/iam/clients",
            "query": "limit=2&cdn=active",
            "status": 503,
            "fault": "status",
        },
        {
            "method": "GET",
            "path": "/iam/clients",
            "query": "limit=2&cdn=active",
            "status": 200,
            "fault": None,
        },
        {"method": "GET", "path": "/nowhere", "query": "", "status": 404, "fault": None},
    ]
    sb.clear_request_log()
    assert sb.request_log == []


def test_latency(sb: Sandbox, api: httpx.Client) -> None:
    sb.set_latency(60)
    started = time.perf_counter()
    api.get("/iam/clients/1")
    assert time.perf_counter() - started >= 0.06
    sb.set_latency(0)


def test_reset(sb: Sandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    original = sb.client_json(client_id)
    api.patch(f"/iam/clients/{client_id}", json={"companyName": "Changed"})
    sb.add_fault("status", status=500)
    sb.set_latency(5)
    sb.reset()
    assert sb.request_log == []
    assert sb.client_json(client_id) == original
    assert api.get(f"/iam/clients/{client_id}").status_code == 200


def test_concurrent_requests_are_all_logged(sb: Sandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=503, times=10)
    codes: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            code = api.get("/iam/clients", params={"limit": 5}).status_code
            with lock:
                codes.append(code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(codes) == 80
    assert codes.count(503) == 10
    assert len(sb.request_log) == 80
