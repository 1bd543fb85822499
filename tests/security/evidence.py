"""What the whole test run saw: every response body and header, and every log line.

`EvidenceMiddleware` (first in MIDDLEWARE in tests/settings.py) inspects each response the suite
gets, from the test client and the browser tests' live server alike; `LeakLogHandler` (installed on
the root logger by a session fixture in tests/conftest.py) inspects each log record. At the end of
the run that fixture fails if the Gcore token or the SPP key ever appeared, or if an HTML page broke the CSP
rules. Small on purpose: one canary string, one HTML check, one list of findings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.http import HttpRequest, HttpResponse

# The credentials every upstream call of the suite carries (tests/settings.py sets GCORE_SANDBOX_TOKEN
# and SPP_SANDBOX_TOKEN to them): neither may ever reach a response or a log line.
CANARY_TOKEN = "gcore-canary-token-9f3KqZ7wLx2"
SPP_CANARY_KEY = "spp-canary-key-Qm4Rt8Zx1Vb7"
CANARIES = (CANARY_TOKEN, SPP_CANARY_KEY)


def has_secret(text: str) -> bool:
    return any(canary in text for canary in CANARIES)


CSP_FORBIDDEN = ("'unsafe-inline'", "'unsafe-eval'")
# Data blocks (json_script) are not run, so the CSP does not concern them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


@dataclass
class Evidence:
    leaks: list[str] = field(default_factory=list)
    csp_problems: list[str] = field(default_factory=list)
    responses: int = 0
    html_pages: int = 0
    log_records: int = 0


EVIDENCE = Evidence()


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP (no 'unsafe-inline', no 'unsafe-eval') would block in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "style":
            self.problems.append("<style> element")
        if (
            tag == "script"
            and not values.get("src")
            and (values.get("type") or "").lower() not in DATA_SCRIPT_TYPES
        ):
            self.problems.append("inline <script>")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            elif name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name} on <{tag}> (needs eval)")
            elif name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL in {name} of <{tag}>")

    handle_startendtag = handle_starttag


def inline_code_problems(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def csp_header_problems(policy: str | None) -> list[str]:
    if not policy:
        return ["no Content-Security-Policy header"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    problems = [f"no {name}" for name in ("script-src", "style-src") if name not in directives]
    problems += [
        f"{value} in {name}"
        for name in ("default-src", "script-src", "style-src")
        for value in directives.get(name, [])
        if value in CSP_FORBIDDEN
    ]
    return problems


def check_response(where: str, response: HttpResponse, evidence: Evidence = EVIDENCE) -> None:
    """Record a leak or a CSP problem of one (non-streaming) response."""
    evidence.responses += 1
    for name, value in response.items():
        if has_secret(value):
            evidence.leaks.append(f"{where}: response header {name}")
    body = response.content
    if has_secret(body.decode("utf-8", "replace")):
        evidence.leaks.append(f"{where}: response body")
    if response.get("Content-Type", "").startswith("text/html"):
        evidence.html_pages += 1
        problems = csp_header_problems(response.get("Content-Security-Policy"))
        problems += inline_code_problems(body.decode(response.charset or "utf-8", "replace"))
        evidence.csp_problems += [f"{where}: {problem}" for problem in problems]


def _watch_stream(where: str, chunks: Iterable[bytes], evidence: Evidence) -> Iterator[bytes]:
    # Streamed bodies (CSV export) are checked chunk by chunk as the client reads them; a token
    # split across two chunks is caught by keeping the tail of the previous one.
    tail = b""
    longest = max(len(canary) for canary in CANARIES)
    for chunk in chunks:
        if has_secret((tail + chunk).decode("utf-8", "replace")):
            evidence.leaks.append(f"{where}: streamed response body")
        tail = (tail + chunk)[-longest:]
        yield chunk


class EvidenceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        where = f"{request.method} {request.get_full_path()} ({response.status_code})"
        if getattr(response, "streaming", False):
            EVIDENCE.responses += 1
            for name, value in response.items():
                if has_secret(value):
                    EVIDENCE.leaks.append(f"{where}: response header {name}")
            response.streaming_content = _watch_stream(where, response.streaming_content, EVIDENCE)
        else:
            check_response(where, response)
        return response


class LeakLogHandler(logging.Handler):
    """Sees every record that reaches the root logger, before any formatter or filter of ours."""

    def __init__(self, evidence: Evidence = EVIDENCE) -> None:
        super().__init__(level=logging.DEBUG)
        self.evidence = evidence
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.evidence.log_records += 1
        try:
            text = self.format(record) + repr(vars(record))
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is checked by its parts
            text = repr(vars(record))
        if has_secret(text):
            self.evidence.leaks.append(f"log record {record.name} {record.levelname}: {record.msg!r:.120}")


def report(evidence: Evidence = EVIDENCE) -> str:
    lines = []
    if evidence.leaks:
        lines.append(f"The Gcore token or the SPP key appeared {len(evidence.leaks)} time(s):")
        lines += [f"  {leak}" for leak in dict.fromkeys(evidence.leaks)]
    if evidence.csp_problems:
        lines.append(f"{len(evidence.csp_problems)} CSP problem(s) in rendered pages:")
        lines += [f"  {problem}" for problem in dict.fromkeys(evidence.csp_problems)]
    return "\n".join(lines)
