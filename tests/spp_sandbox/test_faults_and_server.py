"""Faults, latency, the request log and reset, in-process and over loopback; the control API; and
`manage.py spp_sandbox`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

import httpx
import pytest

from dashboard.spp_sandbox import SandboxServer, SandboxTransport, SppSandbox, make_server
from tests.helpers import serving

REPO_ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"^SPP sandbox listening on http://127\.0\.0\.1:(\d+) \(token: (any|set)\)$")


def assert_api_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-api-version"] == "20231214"
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        response.headers["x-api-identifier"],
    )


# -- in-process ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "message"),
    [
        (429, 2, "Too Many Attempts."),
        (429, None, "Too Many Attempts."),
        (500, None, "Server Error"),
        (502, None, "Bad Gateway"),
        (503, 30, "Service Unavailable"),
        (504, None, "Gateway Timeout"),
        (418, None, "I'm a Teapot"),
    ],
)
def test_status_faults(
    sb: SppSandbox, api: httpx.Client, status: int, retry_after: int | None, message: str
) -> None:
    sb.add_fault("status", status=status, retry_after=retry_after, times=1)
    response = api.get("/api/clients", params={"limit": 5})
    assert response.status_code == status
    assert response.json() == {"message": message}
    assert_api_headers(response)
    if retry_after is None:
        assert "retry-after" not in response.headers
    else:
        assert response.headers["retry-after"] == str(retry_after)
    assert api.get("/api/clients", params={"limit": 5}).status_code == 200


def test_a_status_fault_does_not_apply_the_put(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("status", method="PUT", status=503, times=1)
    assert api.put(f"/api/clients/{client_id}", json={"company": "Changed"}).status_code == 503
    assert sb.client_json(client_id)["company"] != "Changed"


def test_timeout_applies_the_put_then_raises(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("timeout", method="put", times=1)
    with pytest.raises(httpx.ReadTimeout):
        api.put(f"/api/clients/{client_id}", json={"company": "Applied"})
    assert sb.client_json(client_id)["company"] == "Applied"
    assert sb.request_log[-1] == {
        "method": "PUT",
        "path": f"/api/clients/{client_id}",
        "query": "",
        "status": None,
        "fault": "timeout",
    }


def test_disconnect_changes_nothing(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("disconnect", times=1)
    with pytest.raises(httpx.ConnectError):
        api.put(f"/api/clients/{client_id}", json={"company": "Lost"})
    assert sb.client_json(client_id)["company"] != "Lost"
    assert sb.request_log[-1]["fault"] == "disconnect"


def test_malformed_body(sb: SppSandbox, api: httpx.Client) -> None:
    sb.add_fault("malformed", path="/api/clients")
    response = api.get("/api/clients", params={"limit": 3})
    assert response.status_code == 200
    assert_api_headers(response)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert api.get(f"/api/clients/{sb.client_ids()[0]}").status_code == 200  # the path did not match


def test_method_path_and_times(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    sb.add_fault("status", status=502, path=r"/api/clients/\d+", method="GET", times=2)
    assert api.get("/api/clients", params={"limit": 1}).status_code == 200
    assert api.put(f"/api/clients/{client_id}", json={}).status_code == 200
    assert [api.get(f"/api/clients/{client_id}").status_code for _ in range(3)] == [502, 502, 200]


def test_faults_fire_in_order_and_before_authentication(sb: SppSandbox, anonymous: httpx.Client) -> None:
    sb.add_fault("status", status=429, times=1)
    sb.add_fault("status", status=503, times=1)
    assert [anonymous.get("/api/clients").status_code for _ in range(3)] == [429, 503, 401]


def test_clear_faults(sb: SppSandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=500)
    sb.clear_faults()
    assert api.get("/api/clients", params={"limit": 1}).status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "explode"},
        {"kind": "status", "status": 42},
        {"kind": "status", "path": "("},
        {"kind": "timeout", "seconds": -1},
    ],
)
def test_bad_fault_arguments(sb: SppSandbox, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        sb.add_fault(**kwargs)  # type: ignore[arg-type]


def test_request_log(sb: SppSandbox, api: httpx.Client) -> None:
    sb.add_fault("status", status=503, times=1)
    api.get("/api/clients", params={"limit": 2})
    api.get("/api/clients", params={"limit": 2})
    api.get("/nowhere")
    assert sb.request_log == [
        {"method": "GET", "path": "/api/clients", "query": "limit=2", "status": 503, "fault": "status"},
        {"method": "GET", "path": "/api/clients", "query": "limit=2", "status": 200, "fault": None},
        {"method": "GET", "path": "/nowhere", "query": "", "status": 404, "fault": None},
    ]
    sb.clear_request_log()
    assert sb.request_log == []


def test_latency(sb: SppSandbox, api: httpx.Client) -> None:
    sb.set_latency(60)
    started = time.perf_counter()
    api.get("/api/clients", params={"limit": 1})
    assert time.perf_counter() - started >= 0.06
    with pytest.raises(ValueError):
        sb.set_latency(-1)


def test_reset(sb: SppSandbox, api: httpx.Client) -> None:
    client_id = sb.client_ids()[0]
    original = sb.client_json(client_id)
    api.put(f"/api/clients/{client_id}", json={"company": "Changed", "address": {"city": "Oslo"}})
    sb.add_fault("status", status=500)
    sb.set_latency(5)
    sb.reset()
    assert sb.request_log == []
    assert sb.client_json(client_id) == original
    started = time.perf_counter()
    assert api.get(f"/api/clients/{client_id}").status_code == 200
    assert time.perf_counter() - started < 0.5


def test_concurrent_puts_and_reads(sb: SppSandbox, api: httpx.Client) -> None:
    client_ids = sb.client_ids()[:8]
    codes: list[int] = []
    lock = threading.Lock()

    def worker(client_id: int) -> None:
        for n in range(10):
            put = api.put(f"/api/clients/{client_id}", json={"note": f"note {n}"}).status_code
            listed = api.get("/api/clients", params={"limit": 5}).status_code
            with lock:
                codes.extend((put, listed))

    threads = [threading.Thread(target=worker, args=(client_id,)) for client_id in client_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert codes == [200] * 160
    assert {sb.client_json(client_id)["note"] for client_id in client_ids} == {"note 9"}
    assert len(sb.request_log) == 160


# -- over loopback -------------------------------------------------------------------------------


@pytest.fixture
def server(sb: SppSandbox) -> Iterator[SandboxServer]:
    srv = make_server(sb, host="127.0.0.1", port=0)
    with serving(srv):
        yield srv


@pytest.fixture
def http(server: SandboxServer, token: str) -> Iterator[httpx.Client]:
    host, port = server.server_address[:2]
    with httpx.Client(
        base_url=f"http://{host}:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=5
    ) as client:
        yield client


def test_api_and_control_over_loopback(sb: SppSandbox, server: SandboxServer, http: httpx.Client) -> None:
    host, port = server.server_address[:2]
    body = http.get("/api/clients", params={"limit": 2, "sort": "id:desc"}).json()
    assert body["meta"]["total"] == len(sb.client_ids())
    assert body["links"]["next"] == f"http://{host}:{port}/api/clients?limit=2&sort=id%3Adesc&page=2"
    assert body["meta"]["path"] == f"http://{host}:{port}/api/clients"

    client_id = sb.client_ids()[0]
    changed = http.put(
        f"/api/clients/{client_id}", json={"company": "Über & Co", "address": {"city": "Zürich"}}
    )
    assert changed.status_code == 200
    assert_api_headers(changed)
    assert sb.client_json(client_id)["company"] == "Über & Co"

    fault = {"kind": "status", "status": 429, "retry_after": 1, "times": 1}
    assert http.post("/__sandbox__/faults", json=fault).status_code == 201
    throttled = http.get(f"/api/clients/{client_id}")
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "1")
    assert throttled.json() == {"message": "Too Many Attempts."}
    assert http.get(f"/api/clients/{client_id}").status_code == 200

    log = http.get("/__sandbox__/requests").json()
    assert [(e["method"], e["status"], e["fault"]) for e in log] == [
        ("GET", 200, None),
        ("PUT", 200, None),
        ("GET", 429, "status"),
        ("GET", 200, None),
    ]
    assert http.delete("/__sandbox__/requests").status_code == 204
    assert http.get("/__sandbox__/requests").json() == []

    assert http.post("/__sandbox__/latency", json={"ms": 1}).status_code == 204
    http.post("/__sandbox__/faults", json={"kind": "status", "status": 500})
    assert http.delete("/__sandbox__/faults").status_code == 204
    assert http.get("/api/clients", params={"limit": 1}).status_code == 200

    assert http.post("/__sandbox__/reset").status_code == 204
    assert sb.client_json(client_id)["company"] != "Über & Co"
    assert sb.request_log == []


def test_control_errors(http: httpx.Client) -> None:
    assert http.post("/__sandbox__/faults", json={"kind": "nope"}).status_code == 400
    assert http.post("/__sandbox__/faults", json={"kind": "status", "colour": "red"}).status_code == 400
    assert http.post("/__sandbox__/faults", content=b"{").status_code == 400
    assert http.post("/__sandbox__/latency", json={"ms": "fast"}).status_code == 400
    assert http.get("/__sandbox__/nothing").status_code == 404


def test_socket_faults(sb: SppSandbox, http: httpx.Client) -> None:
    http.post("/__sandbox__/faults", json={"kind": "disconnect", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/api/clients")
    http.post("/__sandbox__/faults", json={"kind": "timeout", "seconds": 2, "times": 1, "method": "PUT"})
    client_id = sb.client_ids()[0]
    with pytest.raises(httpx.ReadTimeout):
        http.put(f"/api/clients/{client_id}", json={"note": "late"}, timeout=0.3)
    assert sb.client_json(client_id)["note"] == "late"
    http.post("/__sandbox__/faults", json={"kind": "malformed", "times": 1})
    garbled = http.get("/api/clients", params={"limit": 1})
    assert garbled.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(garbled.content)
    http.post("/__sandbox__/faults", json={"kind": "status", "status": 503, "times": 1})
    assert http.get("/api/clients").json() == {"message": "Service Unavailable"}
    assert http.get("/api/clients", params={"limit": 1}).status_code == 200
    assert [e["fault"] for e in sb.request_log] == ["disconnect", "timeout", "malformed", "status", None]


def test_errors_and_methods_over_loopback(sb: SppSandbox, server: SandboxServer) -> None:
    host, port = server.server_address[:2]
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=5) as anonymous:
        assert anonymous.get("/api/clients").json() == {"message": "Unauthenticated."}
        assert anonymous.get("/api/clients/").status_code == 404
        for method in ("DELETE", "POST", "PROPFIND"):
            response = anonymous.request(method, "/api/clients")
            assert (response.status_code, response.headers["allow"]) == (405, "GET, HEAD")


def test_head_over_loopback_has_no_body(server: SandboxServer, token: str) -> None:
    host, port = server.server_address[:2]
    connection = HTTPConnection(host, port, timeout=5)
    try:
        connection.request("HEAD", "/api/clients?limit=3", headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        assert response.status == 200
        assert int(response.getheader("Content-Length") or 0) > 0
        assert response.read() == b""
        assert response.getheader("X-Api-Version") == "20231214"
    finally:
        connection.close()


def test_in_process_and_loopback_answer_alike(sb: SppSandbox, http: httpx.Client, token: str) -> None:
    with httpx.Client(
        transport=SandboxTransport(sb), base_url="http://x", headers={"Authorization": f"Bearer {token}"}
    ) as local:
        for path in ("/api/clients/1", f"/api/clients/{sb.client_ids()[3]}", "/api/nope"):
            assert local.get(path).json() == http.get(path).json()


# -- manage.py spp_sandbox -----------------------------------------------------------------------


def test_management_command_serves_until_terminated(token: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "spp_sandbox",
            "--port",
            "0",
            "--token",
            token,
            "--gcore-clients",
            "30",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(process, timeout=20)
        match = LISTENING.match(line)
        assert match, line
        assert match.group(2) == "set"
        assert token not in line
        base = f"http://127.0.0.1:{match.group(1)}"
        assert httpx.get(f"{base}/api/clients", timeout=5).status_code == 401
        response = httpx.get(
            f"{base}/api/clients",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert response.status_code == 200
        # 30 Gcore clients: 4 without an SPP client, 1 with two, 25 with one; and 2 SPP-only.
        assert response.json()["meta"]["total"] == 2 + 25 + 2
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def _first_line(process: subprocess.Popen[str], *, timeout: float) -> str:
    """Read stdout's first line in a thread, so a hung child cannot hang the test."""
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.append(process.stdout.readline() if process.stdout else "")
    )
    reader.start()
    reader.join(timeout)
    if not lines:
        process.kill()
        pytest.fail(
            f"no output within {timeout} s; stderr: {process.stderr.read() if process.stderr else ''}"
        )
    return lines[0].rstrip("\n")
