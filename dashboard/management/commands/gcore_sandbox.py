"""`manage.py gcore_sandbox`: serve the Gcore API sandbox on a real socket until Ctrl-C or SIGTERM.

`SandboxCommand` is what `spp_sandbox` shares: the options, the one line a test reads the port
from, and a clean stop on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dashboard.sandbox import Sandbox, make_server


class SandboxCommand(BaseCommand, ABC):
    """Serves one sandbox; a subclass says which, and how its data and its token are set."""

    system = ""  # "Gcore", "SPP": the first word of the listening line
    default_port = 0
    token_setting = ""  # the setting whose value is the default token
    scheme = ""  # the Authorization scheme the sandbox expects

    make_server: Callable[..., Any]  # the sandbox package's own (sandbox, host=, port=) -> server

    @abstractmethod
    def add_data_arguments(self, parser: CommandParser) -> None:
        """The options the sandbox's generated data is made from."""

    @abstractmethod
    def make_sandbox(self, options: dict[str, Any], token: str | None) -> Any:
        """The sandbox, from the command's options."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
        parser.add_argument(
            "--port",
            type=int,
            default=self.default_port,
            help=f"Port; 0 picks a free one (default {self.default_port}).",
        )
        parser.add_argument(
            "--token",
            default=None,
            help=f"The only {self.scheme} token accepted "
            f"(default: {self.token_setting}; if that is empty, any token).",
        )
        parser.add_argument(
            "--latency-ms", type=float, default=0.0, help="Delay added to every API response."
        )
        parser.add_argument("--seed", type=int, default=42, help="Seed of the generated data.")
        self.add_data_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        token = options["token"] or getattr(settings, self.token_setting, None) or None
        sandbox = self.make_sandbox(options, token)
        sandbox.set_latency(options["latency_ms"])
        server = self.make_server(sandbox, host=options["host"], port=options["port"])
        host, port = server.server_address[:2]
        # One machine-readable line (tests read the port from it); the token itself is never printed.
        self.stdout.write(
            f"{self.system} sandbox listening on http://{host}:{port} (token: {'set' if token else 'any'})"
        )
        self.stdout.flush()
        if not token:
            self.stderr.write(f"No token configured: any non-empty '{self.scheme} <token>' is accepted.")
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


class Command(SandboxCommand):
    help = "Serve the in-memory Gcore IAM reseller API sandbox over HTTP (for end-to-end tests and training)."
    system, default_port, token_setting, scheme = "Gcore", 8001, "GCORE_API_TOKEN", "APIKey"
    make_server = staticmethod(make_server)

    def add_data_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=600, help="Number of generated clients.")

    def make_sandbox(self, options: dict[str, Any], token: str | None) -> Sandbox:
        return Sandbox(seed=options["seed"], clients=options["clients"], token=token)
