"""An httpx transport that answers from a Sandbox in-process, with no socket."""

from __future__ import annotations

import httpx

from .core import SandboxLike
from .faults import SimulatedDisconnect, SimulatedTimeout


class SandboxTransport(httpx.BaseTransport):
    """`httpx.Client(transport=SandboxTransport(sb), base_url="https://api.gcore.com")`."""

    def __init__(self, sandbox: SandboxLike) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        # The raw (still percent-encoded) path, as the socket server sees it too.
        path, _, query = request.url.raw_path.decode("ascii", errors="replace").partition("?")
        try:
            response = self.sandbox.handle(
                method=request.method,
                path=path,
                query=query,
                headers=dict(request.headers),
                body=body,
                scheme=request.url.scheme,
            )
        except SimulatedTimeout:
            # The request was processed, but the client never hears back: exactly the ambiguity
            # that makes retrying a write after a timeout unsafe.
            raise httpx.ReadTimeout("Sandbox: simulated read timeout", request=request) from None
        except SimulatedDisconnect:
            raise httpx.ConnectError("Sandbox: simulated connection failure", request=request) from None
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            content=response.body,
            request=request,
        )
