"""`manage.py spp_sandbox`: serve the SPP clients API sandbox on a real socket until Ctrl-C or SIGTERM."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from dashboard.management.commands.gcore_sandbox import SandboxCommand
from dashboard.spp_sandbox import SppSandbox, make_server


class Command(SandboxCommand):
    help = "Serve the in-memory SPP (Service Provider Pro) clients API sandbox over HTTP."
    system, default_port, token_setting, scheme = "SPP", 8002, "SPP_API_TOKEN", "Bearer"
    make_server = staticmethod(make_server)

    def add_data_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--gcore-clients",
            type=int,
            default=600,
            help="Number of Gcore sandbox clients the SPP data is made from (as gcore_sandbox --clients).",
        )

    def make_sandbox(self, options: dict[str, Any], token: str | None) -> SppSandbox:
        return SppSandbox(seed=options["seed"], gcore_clients=options["gcore_clients"], token=token)
