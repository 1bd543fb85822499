"""Any HTTP method gets Gcore's (DRF's) answer, over the socket exactly as in-process.

The stdlib server used to answer a method it had no `do_X` for (TRACE, PROPFIND, any token) with
its own 501; DRF answers 405 with `Allow` on a known path, 404 on an unknown one, and checks the
key before either.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxServer, SandboxTransport, make_server
from tests.helpers import serving

TOKEN = "methods-token_1234"
AUTH = {"Authorization": f"APIKey {TOKEN}"}


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=7, clients=30, token=TOKEN)


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    srv = make_server(sandbox, host="127.0.0.1", port=0)
    with serving(srv):
        yield srv


@pytest.fixture
def over_socket(server: SandboxServer) -> Iterator[httpx.Client]:
    host, port = server.server_address[:2]
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=5) as client:
        yield client


@pytest.fixture
def in_process(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=SandboxTransport(sandbox), base_url="https://api.gcore.com") as client:
        yield client


@pytest.fixture(params=["socket", "in-process"])
def api(request: pytest.FixtureRequest) -> httpx.Client:
    return request.getfixturevalue("over_socket" if request.param == "socket" else "in_process")


def _paths(sandbox: Sandbox) -> dict[str, str]:
    client = sandbox.client_json(sandbox.client_ids()[0])
    user_id = client["users"][0]["id"]
    return {
        "list": "/iam/clients",
        "client": f"/iam/clients/{client['id']}",
        "user": f"/iam/users/{user_id}",
        "role": f"/iam/clients/{client['id']}/client-users/{user_id}",
    }


@pytest.mark.parametrize(
    ("route", "allow"),
    [("list", "GET"), ("client", "GET, PATCH"), ("user", "GET, PATCH"), ("role", "GET, PUT, DELETE")],
)
def test_trace_on_a_known_path_is_405_with_allow(
    sandbox: Sandbox, api: httpx.Client, route: str, allow: str
) -> None:
    response = api.request("TRACE", _paths(sandbox)[route], headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": 'Method "TRACE" not allowed.'}


@pytest.mark.parametrize("method", ["FOO", "PROPFIND", "CONNECT"])
def test_any_method_token_is_405(api: httpx.Client, method: str) -> None:
    response = api.request(method, "/iam/clients", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}


def test_trace_on_an_unknown_path_is_404(api: httpx.Client) -> None:
    response = api.request("TRACE", "/iam/nothing", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert "allow" not in response.headers


def test_trace_without_a_key_is_401(api: httpx.Client) -> None:
    response = api.request("TRACE", "/iam/clients")
    assert response.status_code == 401
    assert "allow" not in response.headers


def test_every_answer_matches_the_in_process_transport(
    sandbox: Sandbox, over_socket: httpx.Client, in_process: httpx.Client
) -> None:
    paths = _paths(sandbox)
    cases = [
        (method, path, headers)
        for method in ("TRACE", "FOO", "PROPFIND", "GET", "DELETE")
        for path in (*paths.values(), "/iam/nothing", "/iam/clients/abc")
        for headers in (AUTH, {}, {"Authorization": "APIKey wrong"})
        # A keyed DELETE of the role path removes the user, so the second answer is a 404 by design
        # (test_revoke_access.py checks it over the socket).
        if not (method == "DELETE" and path == paths["role"] and headers == AUTH)
    ]
    for method, path, headers in cases:
        answers = [client.request(method, path, headers=headers) for client in (over_socket, in_process)]
        socket_answer, in_process_answer = (
            (r.status_code, r.headers.get("allow"), r.headers.get("content-type"), r.content) for r in answers
        )
        assert socket_answer == in_process_answer, (method, path, headers)
    assert {entry["method"] for entry in sandbox.request_log} == {"TRACE", "FOO", "PROPFIND", "GET", "DELETE"}


def test_a_custom_method_body_is_read_and_the_connection_stays_usable(server: SandboxServer) -> None:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("FOO", "/iam/clients", body=b'{"unread": "' + b"x" * 5000 + b'"}', headers=AUTH)
        first = connection.getresponse()
        assert (first.status, first.read()) == (405, b'{"detail":"Method \\"FOO\\" not allowed."}')
        sock = connection.sock
        # Had the body been left unread, it would be parsed as the next request line.
        connection.request("GET", "/iam/clients?limit=1", headers=AUTH)
        second = connection.getresponse()
        assert second.status == 200
        assert b'"count":30' in second.read()
        assert connection.sock is sock  # the same keep-alive connection, not a reconnect
    finally:
        connection.close()


def test_head_keeps_its_status_and_sends_no_body(sandbox: Sandbox, server: SandboxServer) -> None:
    expected = sandbox.handle("HEAD", "/iam/clients", headers=AUTH)
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("HEAD", "/iam/clients", headers=AUTH)
        response = connection.getresponse()
        assert response.status == expected.status
        assert response.getheader("Content-Length") == str(len(expected.body))
        assert response.read() == b""
        connection.request("GET", "/iam/nothing", headers=AUTH)
        assert connection.getresponse().status == 404  # the connection is still in step
    finally:
        connection.close()
