"""The sandbox over a real socket: a threaded stdlib HTTP server plus the `/__sandbox__/` control API."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .core import SandboxLike
from .faults import SimulatedDisconnect, SimulatedTimeout
from .responses import SandboxResponse, detail_error, empty_response, json_response

CONTROL_PREFIX = "/__sandbox__/"
MAX_BODY_BYTES = 10 * 1024 * 1024


class SandboxServer(ThreadingHTTPServer):
    """One daemon thread per connection, so a hung (timeout-fault) request never blocks shutdown."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # Many concurrent clients (the load test runs 50) should queue, not be refused.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: SandboxLike) -> None:
        self.sandbox = sandbox
        super().__init__(address, SandboxRequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (it timed out, or the test is over) is normal here, not an error.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as httpx's pool expects; every answer has a Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; without this, Nagle's algorithm meets the
    # client's delayed ACK and some answers wait an extra ~40 ms, which Gcore would not add.
    disable_nagle_algorithm = True
    server: SandboxServer

    def __getattr__(self, name: str) -> Any:
        """`do_<METHOD>` for every method token, so each one reaches `_dispatch`.

        BaseHTTPRequestHandler looks up `do_` + the request's method and answers 501 itself when
        there is none; Gcore (DRF) answers any method: 404 on an unknown path, else 401 without a
        valid key, else 405 with `Allow`. `Sandbox.handle` gives those answers for every method,
        exactly as through the in-process transport. Only missing attributes come here.
        """
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is the record, and tests should not spam stderr."""

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        body = self._read_body()
        if body is None:
            self._send(detail_error(400, "Malformed request body."))
            self.close_connection = True
            return
        if path.startswith(CONTROL_PREFIX):
            self._send(control(self.server.sandbox, self.command, path, body))
            return
        try:
            headers = dict(self.headers.items())
            # As a front proxy does: the activity log's `remote_ip_address` is the peer's address.
            headers = {k: v for k, v in headers.items() if k.lower() != "x-real-ip"}
            headers["X-Real-IP"] = self.client_address[0]
            response = self.server.sandbox.handle(
                method=self.command, path=path, query=query, headers=headers, body=body
            )
        except SimulatedTimeout as exc:
            time.sleep(exc.seconds)  # the client has given up long before this answer
            response = exc.response
        except SimulatedDisconnect:
            self._drop_connection()
            return
        except Exception:  # noqa: BLE001 - a sandbox bug must still look like an HTTP answer, not a dropped socket
            response = detail_error(500, "A server error occurred.")
        self._send(response)

    def _read_body(self) -> bytes | None:
        """The request body (Content-Length or chunked), or None when it cannot be read."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY_BYTES:
            return None
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            except ValueError:
                return None
            total += size
            if total > MAX_BODY_BYTES:
                return None
            if size == 0:
                self.rfile.readline()  # the blank line after the last chunk (no trailers expected)
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: SandboxResponse) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:  # the client is gone (e.g. it timed out first); nothing left to tell it
            self.close_connection = True

    def _drop_connection(self) -> None:
        """Close the socket without a byte of response, as a crashed upstream or proxy would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def make_server(sandbox: SandboxLike, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """A bound, not yet serving server; port 0 picks a free port (see `server_address`)."""
    return SandboxServer((host, port), sandbox)


# -- control API ---------------------------------------------------------------------------------


def control(sandbox: SandboxLike, method: str, path: str, body: bytes) -> SandboxResponse:
    """`/__sandbox__/...`: no auth, no faults, not logged (see the package docstring)."""
    action = (method, path.removeprefix(CONTROL_PREFIX).rstrip("/"))
    try:
        if action == ("POST", "faults"):
            sandbox.add_fault(**_json_object(body))
            return json_response(201, {"status": "added"})
        if action == ("DELETE", "faults"):
            sandbox.clear_faults()
            return empty_response(204)
        if action == ("POST", "latency"):
            sandbox.set_latency(float(_json_object(body).get("ms", 0)))
            return empty_response(204)
        if action == ("GET", "requests"):
            return json_response(200, sandbox.request_log)
        if action == ("DELETE", "requests"):
            sandbox.clear_request_log()
            return empty_response(204)
        if action == ("POST", "reset"):
            sandbox.reset()
            return empty_response(204)
    except (TypeError, ValueError) as exc:  # unknown kwargs, bad values, broken JSON
        return json_response(400, {"error": str(exc)})
    return detail_error(404, "Not found.")


def _json_object(body: bytes) -> dict[str, Any]:
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise TypeError("the body must be a JSON object")
    return data
