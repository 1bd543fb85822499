"""`manage.py spp_sandbox`: serve the SPP clients API sandbox on a real socket until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dashboard.spp_sandbox import SppSandbox, make_server


class Command(BaseCommand):
    help = "Serve the in-memory SPP (Service Provider Pro) clients API sandbox over HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8002, help="Port; 0 picks a free one (default 8002).")
        parser.add_argument(
            "--token",
            default=None,
            help="The only Bearer token accepted (default: SPP_API_TOKEN; if that is empty, any token).",
        )
        parser.add_argument(
            "--latency-ms", type=float, default=0.0, help="Delay added to every API response."
        )
        parser.add_argument("--seed", type=int, default=42, help="Seed of the generated data.")
        parser.add_argument(
            "--gcore-clients",
            type=int,
            default=600,
            help="Number of Gcore sandbox clients the SPP data is made from (as gcore_sandbox --clients).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = options["token"] or getattr(settings, "SPP_API_TOKEN", None) or None
        sandbox = SppSandbox(seed=options["seed"], gcore_clients=options["gcore_clients"], token=token)
        sandbox.set_latency(options["latency_ms"])
        server = make_server(sandbox, host=options["host"], port=options["port"])
        host, port = server.server_address[:2]
        # One machine-readable line (tests read the port from it); the token itself is never printed.
        self.stdout.write(
            f"SPP sandbox listening on http://{host}:{port} (token: {'set' if token else 'any'})"
        )
        self.stdout.flush()
        if not token:
            self.stderr.write("No token configured: any non-empty 'Bearer <token>' is accepted.")
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        sys.stdout.flush()


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the server the same clean way as Ctrl-C."""
    raise KeyboardInterrupt
