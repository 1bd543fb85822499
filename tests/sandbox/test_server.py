"""The sandbox over a loopback socket, and the `manage.py gcore_sandbox` command."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxServer, make_server
from tests.helpers import AUTH, TOKEN, serving

REPO_ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"^Gcore sandbox listening on http://127\.0\.0\.1:(\d+) \(token: (any|set)\)$")


@pytest.fixture
def server(sb: Sandbox) -> Iterator[SandboxServer]:
    srv = make_server(sb, host="127.0.0.1", port=0)
    with serving(srv):
        yield srv


@pytest.fixture
def http(server: SandboxServer) -> Iterator[httpx.Client]:
    host, port = server.server_address[:2]
    with httpx.Client(base_url=f"http://{host}:{port}", headers=AUTH, timeout=5) as client:
        yield client


def test_api_and_control_over_loopback(sb: Sandbox, server: SandboxServer, http: httpx.Client) -> None:
    host, port = server.server_address[:2]
    body = http.get("/iam/clients", params={"limit": 2, "ordering": "-id"}).json()
    assert body["count"] == 120
    assert body["next"] == f"http://{host}:{port}/iam/clients?limit=2&offset=2&ordering=-id"

    client_id = sb.client_ids()[0]
    patched = http.patch(f"/iam/clients/{client_id}", json={"companyName": "Über & Co"})
    assert patched.json()["companyName"] == "Über & Co"
    assert sb.client_json(client_id)["companyName"] == "Über & Co"

    assert (
        http.post(
            "/__sandbox__/faults", json={"kind": "status", "status": 429, "retry_after": 1, "times": 1}
        ).status_code
        == 201
    )
    throttled = http.get(f"/iam/clients/{client_id}")
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "1")
    assert http.get(f"/iam/clients/{client_id}").status_code == 200

    log = http.get("/__sandbox__/requests").json()
    assert [(e["method"], e["status"], e["fault"]) for e in log] == [
        ("GET", 200, None),
        ("PATCH", 200, None),
        ("GET", 429, "status"),
        ("GET", 200, None),
    ]
    assert http.delete("/__sandbox__/requests").status_code == 204
    assert http.get("/__sandbox__/requests").json() == []

    assert http.post("/__sandbox__/reset").status_code == 204
    assert sb.client_json(client_id)["companyName"] != "Über & Co"


def test_control_errors(http: httpx.Client) -> None:
    assert http.post("/__sandbox__/faults", json={"kind": "nope"}).status_code == 400
    assert http.post("/__sandbox__/faults", json={"kind": "status", "colour": "red"}).status_code == 400
    assert http.post("/__sandbox__/faults", content=b"{").status_code == 400
    assert http.post("/__sandbox__/latency", json={"ms": "fast"}).status_code == 400
    assert http.get("/__sandbox__/nothing").status_code == 404


def test_socket_faults(sb: Sandbox, http: httpx.Client) -> None:
    assert http.post("/__sandbox__/latency", json={"ms": 1}).status_code == 204
    http.post("/__sandbox__/faults", json={"kind": "disconnect", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/iam/clients/1")
    http.post("/__sandbox__/faults", json={"kind": "timeout", "seconds": 2, "times": 1})
    with pytest.raises(httpx.ReadTimeout):
        http.get("/iam/clients/1", timeout=0.3)
    http.post("/__sandbox__/faults", json={"kind": "malformed", "times": 1})
    assert http.get("/iam/clients", params={"limit": 1}).status_code == 200
    assert http.delete("/__sandbox__/faults").status_code == 204
    assert http.get("/iam/clients", params={"limit": 1}).json()["count"] == 120
    assert [e["fault"] for e in sb.request_log] == ["disconnect", "timeout", "malformed", None]


def test_bad_content_length_is_a_400(server: SandboxServer) -> None:
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"PATCH /iam/clients/1 HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 400")


def test_management_command_serves_until_terminated() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "gcore_sandbox", "--port", "0", "--token", TOKEN, "--clients", "30"],
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
        assert TOKEN not in line
        base = f"http://127.0.0.1:{match.group(1)}"
        assert httpx.get(f"{base}/iam/clients", timeout=5).status_code == 401
        response = httpx.get(f"{base}/iam/clients", params={"limit": 1}, headers=AUTH, timeout=5)
        assert response.status_code == 200
        assert response.json()["count"] == 30
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
