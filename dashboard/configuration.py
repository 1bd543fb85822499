"""Which Gcore and which SPP a process talks to, and the combinations of settings that are refused.

Gcore: the real API (`GCORE_API_TOKEN`), or a sandbox (`GCORE_SANDBOX`): in-process, or one sandbox
server that every process shares (`GCORE_SANDBOX_URL`). SPP the same way, plus "billing off" when
nothing is configured in production. Production (DEBUG off) never falls back to a sandbox by
itself: a training install asks for it, and then needs the shared server, since an in-process
sandbox gives each web server and worker its own data.

Plain values in, plain problems out: settings.py refuses to start with any of them (it runs before
Django is set up), and checks.py reports the same ones under `manage.py check --deploy`.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit


class Problem(NamedTuple):
    id: str  # the system check's id (dashboard/checks.py)
    message: str  # what is wrong
    hint: str  # what to set

    def __str__(self) -> str:
        return f"{self.message} {self.hint} [{self.id}]"


def gcore_sandbox_default(*, debug: bool, token: str) -> bool:
    """GCORE_SANDBOX when unset: the in-process sandbox only for development without a token."""
    return debug and not token


def spp_sandbox_default(*, debug: bool, url: str, token: str) -> bool:
    """SPP_SANDBOX when unset: the SPP sandbox only for development with no SPP setting at all."""
    return debug and not url and not token


def upstream_problems(
    *,
    debug: bool,
    gcore_token: str,
    gcore_sandbox: bool,
    gcore_sandbox_url: str,
    spp_url: str,
    spp_token: str,
    spp_sandbox: bool,
    spp_sandbox_url: str,
) -> list[Problem]:
    """Every reason this combination cannot start; empty when it can."""
    found: list[Problem] = []
    if not gcore_token and not gcore_sandbox:
        found.append(
            Problem(
                "dashboard.E010",
                "GCORE_API_TOKEN is not set and GCORE_SANDBOX is not true: the dashboard has no Gcore "
                "to talk to (with DEBUG off it never falls back to sandbox data by itself).",
                "Set GCORE_API_TOKEN to the reseller's permanent API token (Gcore's Admin Portal). For a "
                "training install on sandbox data, where nothing reaches Gcore, set GCORE_SANDBOX=true "
                "and GCORE_SANDBOX_URL instead (README, Deployment).",
            )
        )
    if gcore_token and gcore_sandbox:
        found.append(
            Problem(
                "dashboard.E011",
                "GCORE_API_TOKEN is set and GCORE_SANDBOX is true: it is not clear whether the "
                "dashboard should talk to Gcore or to the sandbox.",
                "Drop GCORE_SANDBOX to work on the real Gcore API with the token, or drop "
                "GCORE_API_TOKEN for a training install on sandbox data.",
            )
        )
    found += _sandbox_problems(
        "Gcore", "GCORE", 8001, debug=debug, sandbox=gcore_sandbox and not gcore_token, url=gcore_sandbox_url
    )
    if spp_url and not spp_token:
        found.append(
            Problem(
                "dashboard.E014",
                "SPP_API_URL is set but SPP_API_TOKEN is not: the billing link is half-configured.",
                "Set SPP_API_TOKEN to the API key made in SPP (Modules > API), or unset SPP_API_URL "
                "(then development uses the built-in SPP sandbox and production has billing off). An "
                "SPP sandbox server's address goes in SPP_SANDBOX_URL.",
            )
        )
    if spp_token and not spp_url:
        found.append(
            Problem(
                "dashboard.E015",
                "SPP_API_TOKEN is set but SPP_API_URL is not: the billing link is half-configured.",
                "Set SPP_API_URL to your SPP workspace, https://<workspace>.spp.co, or unset SPP_API_TOKEN.",
            )
        )
    if spp_token and spp_sandbox:
        found.append(
            Problem(
                "dashboard.E016",
                "SPP_API_TOKEN is set and SPP_SANDBOX is true: it is not clear whether the dashboard "
                "should talk to SPP or to the sandbox.",
                "Drop SPP_SANDBOX to work on your SPP workspace, or drop SPP_API_URL and SPP_API_TOKEN "
                "for a training install on sandbox data.",
            )
        )
    found += _sandbox_problems(
        "SPP", "SPP", 8002, debug=debug, sandbox=spp_sandbox and not spp_token, url=spp_sandbox_url
    )
    return found


def _sandbox_problems(
    system: str, prefix: str, port: int, *, debug: bool, sandbox: bool, url: str
) -> list[Problem]:
    """A sandbox in production must be one server for every process, at an address that parses."""
    command = f"manage.py {system.lower()}_sandbox --port {port} --token <{prefix}_SANDBOX_TOKEN>"
    ids = {"Gcore": ("dashboard.E012", "dashboard.E013"), "SPP": ("dashboard.E017", "dashboard.E018")}[system]
    if url and not _is_http_url(url):
        return [
            Problem(
                ids[1],
                f"{prefix}_SANDBOX_URL is not an http:// or https:// address.",
                f"Set it to the address `{command}` prints, e.g. http://127.0.0.1:{port}.",
            )
        ]
    if sandbox and not debug and not url:
        return [
            Problem(
                ids[0],
                f"{prefix}_SANDBOX is true with DEBUG off, but {prefix}_SANDBOX_URL is not set: every "
                f"process (each web server and worker) would hold its own in-process {system} sandbox, "
                "with its own data, so a change made through one would be missing from the others.",
                f"Serve one {system} sandbox for all of them (`{command}`) and set {prefix}_SANDBOX_URL "
                f"to its address, e.g. http://127.0.0.1:{port} (README, Deployment).",
            )
        ]
    return []


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        return False
