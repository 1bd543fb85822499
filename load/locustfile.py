"""Staff browsing and editing the dashboard, for Locust. Orchestrated by load/run.py (see there).

Each simulated staff member logs in with an account of its own, owns one client that nobody else
edits, and spends a fixed number of requests (the request budget) browsing the list with random
filters, sorting and pages, opening client details and saving its own client with a value never
used before (custom_id = "load-<username>-<n>"). It records each save it saw succeed, and checks
that its own client's detail shows its last save (read-your-writes through the shared cache).

run.py hands the plan over in the JSON file named by LOAD_PLAN and reads the results back from
the file the plan names: per user its confirmed and failed saves and stale reads, plus Locust's
statistics and every 5xx answer.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
ACCOUNTS: list[dict[str, Any]] = PLAN["accounts"]
PER_USER: int = PLAN["requests_per_user"]
DEADLINE: float = PLAN["deadline"]  # epoch seconds: no action starts after it
CHECK_READS: bool = PLAN["check_own_reads"]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTMX_LIST = {"HX-Request": "true", "HX-Target": "client-results"}
HTMX_EDIT = {"HX-Request": "true", "HX-Target": "client-summary"}
STATUSES = ["new", "trial", "trialend", "active", "paused", "activating", "deleted"]
SERVICES = ["cdn", "storage", "ddos", "dns", "cloud"]
ORDERINGS = [
    "id",
    "-id",
    "companyName",
    "-companyName",
    "email",
    "-email",
    "name",
    "-name",
    "status",
    "-status",
    "-created_at",
    "created_at",
]
COUNTRIES = ["DE", "US", "GB", "FR", "NL", "LU", "CY", "SG"]
CUSTOM_ID = re.compile(r"<dt>Custom ID</dt><dd>(.*?)</dd>")

_slots = itertools.count()
_finished = 0
_quitting = False
RESULTS: dict[str, dict[str, Any]] = {}
SERVER_ERRORS: list[dict[str, Any]] = []


class FormFields(HTMLParser):
    """What a browser submits for the form posting to `action`: enabled inputs, checked boxes only."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields = action, False, {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attr.get("action", "").endswith(self.action)
        elif self.inside and tag == "input" and attr.get("name") and "disabled" not in attr:
            kind = attr.get("type", "text")
            if kind == "submit" or (kind in ("checkbox", "radio") and "checked" not in attr):
                return
            self.fields[attr["name"]] = attr.get("value", "on" if kind == "checkbox" else "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_fields(page: str, action: str) -> dict[str, str]:
    parser = FormFields(action)
    parser.feed(page)
    return parser.fields


@events.request.add_listener
def _watch_server_errors(request_type: str, name: str, response: Any = None, **kwargs: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status >= 500:
        SERVER_ERRORS.append(
            {"method": request_type, "name": name, "url": getattr(response, "url", ""), "status": status}
        )


@events.quitting.add_listener
def _write_results(environment: Any, **kwargs: Any) -> None:
    stats = environment.stats
    total = stats.total
    entries = [
        {
            "method": entry.method,
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "median_ms": entry.median_response_time,
            "p95_ms": entry.get_response_time_percentile(0.95),
        }
        for entry in sorted(stats.entries.values(), key=lambda e: (e.name, e.method))
    ]
    errors = [
        {"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in stats.errors.values()
    ]
    summary = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "median_ms": total.median_response_time,
        "p95_ms": total.get_response_time_percentile(0.95),
        "max_ms": total.max_response_time,
        "rps": total.total_rps,
        "seconds": (total.last_request_timestamp or 0) - (total.start_time or 0),
    }
    Path(PLAN["results"]).write_text(
        json.dumps(
            {
                "summary": summary,
                "entries": entries,
                "errors": errors,
                "server_errors": SERVER_ERRORS,
                "users": RESULTS,
            },
            indent=1,
        )
    )


class Staff(FastHttpUser):
    """A support agent on the dashboard, within a budget of PER_USER requests."""

    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        slot = next(_slots)
        if slot >= len(ACCOUNTS):  # more users than accounts: nothing for this one to do
            raise StopUser()
        self.account = ACCOUNTS[slot]
        self.username: str = self.account["username"]
        self.client_id: int = self.account["client_id"]
        self.rng = random.Random(f"{PLAN['seed']}:{slot}")
        self.sent = 0
        self.attempts = 0
        self.record = RESULTS[self.username] = {
            "client_id": self.client_id,
            "requests": 0,
            "saves": [],  # values whose save this user saw succeed, in order
            "failed_saves": [],  # {"value", "status"}: a save answered with anything else
            "stale_reads": [],  # own detail pages that did not show the last save
            "completed": False,
        }
        self.log_in()

    def on_stop(self) -> None:
        global _finished, _quitting
        _finished += 1
        if not _quitting and _finished >= min(
            len(ACCOUNTS), self.environment.parsed_options.num_users or len(ACCOUNTS)
        ):
            # Every user spent its budget (or ran out of time): end the run now, not at --run-time.
            _quitting = True
            gevent.spawn_later(0.2, self.environment.runner.quit)

    # -- the budget ------------------------------------------------------------------------------

    def _count(self) -> None:
        self.sent += 1
        self.record["requests"] = self.sent

    @property
    def remaining(self) -> int:
        return PER_USER - self.sent

    # -- actions ---------------------------------------------------------------------------------

    def log_in(self) -> None:
        self._count()
        with self.client.get("/accounts/login/", name="login form", catch_response=True) as response:
            token = form_fields(response.text or "", "/accounts/login/").get("csrfmiddlewaretoken")
            if response.status_code != 200 or not token:
                response.failure(
                    f"login form: {response.status_code}, CSRF token {'found' if token else 'missing'}"
                )
                raise StopUser()
        body = {
            "csrfmiddlewaretoken": token,
            "login": self.username,
            "password": self.account["password"],
            "next": "",
        }
        self._count()
        with self.client.post(
            "/accounts/login/",
            data=urlencode(body),
            headers=FORM,
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login: {response.status_code} instead of a redirect")
                raise StopUser()

    @task
    def work(self) -> None:
        if self.remaining <= 0 or time.time() >= DEADLINE:
            self.record["completed"] = self.remaining <= 0
            raise StopUser()
        roll = self.rng.random()
        if self.remaining >= 2 and (self.attempts == 0 or roll < 0.22):
            self.edit()
        elif roll < 0.60:
            self.browse_list()
        elif roll < 0.70:
            self.search_own()
        elif roll < 0.95:
            self.open_detail()
        else:
            self._count()
            self.client.get("/activity/", name="/activity/")

    def browse_list(self) -> None:
        params: dict[str, Any] = {}
        for _ in range(self.rng.choice([0, 1, 1, 2])):
            kind = self.rng.choice(["service", "is_test", "activated", "client_type", "country_code", "q"])
            if kind == "service":
                params[self.rng.choice(SERVICES)] = self.rng.choice(STATUSES)
            elif kind in ("is_test", "activated"):
                params[kind] = self.rng.choice(["true", "false"])
            elif kind == "client_type":
                params[kind] = self.rng.choice(["common", "reseller", "sales"])
            elif kind == "country_code":
                params[kind] = self.rng.choice(COUNTRIES)
            else:
                params["q"] = self.rng.choice(["a", "tech", "group", "labs", "media", "net"])
        if self.rng.random() < 0.6:
            params["ordering"] = self.rng.choice(ORDERINGS)
        if self.rng.random() < 0.3:
            params["page_size"] = self.rng.choice([25, 50, 100])
        if self.rng.random() < 0.5:
            params["page"] = self.rng.randint(1, 4)
        htmx = self.rng.random() < 0.5
        self._count()
        with self.client.get(
            f"/clients/?{urlencode(params)}" if params else "/clients/",
            name="/clients/ (htmx)" if htmx else "/clients/",
            headers=HTMX_LIST if htmx else None,
            catch_response=True,
        ) as response:
            if response.status_code == 200 and 'id="client-results"' not in (response.text or ""):
                response.failure("the list page has no results section")

    def search_own(self) -> None:
        """The list, filtered on this user's own last custom_id: its client must be found."""
        last = self.record["saves"][-1] if self.record["saves"] else None
        if last is None:
            return self.open_detail()
        self._count()
        with self.client.get(
            f"/clients/?{urlencode({'custom_id': last})}", name="/clients/?custom_id=own", catch_response=True
        ) as response:
            if (
                CHECK_READS
                and response.status_code == 200
                and f'href="/clients/{self.client_id}/' not in (response.text or "")
            ):
                self.record["stale_reads"].append({"page": "list", "expected": last})
                response.failure("the list filtered on my last save does not show my client")
        return None

    def open_detail(self) -> None:
        own = self.rng.random() < 0.5
        client_id = self.client_id if own else self.rng.choice(PLAN["browse_ids"])
        self._count()
        with self.client.get(
            f"/clients/{client_id}/", name="/clients/[id]/", catch_response=True
        ) as response:
            if response.status_code != 200:
                return
            page = response.text or ""
            if f"Client {client_id}" not in page:
                response.failure("the detail page does not name the client")
            elif own and CHECK_READS:
                self._check_own(page, response)

    def _check_own(self, page: str, response: Any) -> None:
        expected = self.record["saves"][-1] if self.record["saves"] else (self.account["custom_id"] or "—")
        match = CUSTOM_ID.search(page)
        shown = html.unescape(match.group(1)) if match else None
        if shown != expected:
            self.record["stale_reads"].append({"page": "detail", "expected": expected, "shown": shown})
            response.failure(f"my client shows custom_id {shown!r}, my last save was {expected!r}")

    def edit(self) -> None:
        """Open the edit form (fresh from Gcore) and save a custom_id never used before."""
        url = f"/clients/{self.client_id}/edit/"
        htmx = self.rng.random() < 0.5
        self._count()
        with self.client.get(
            url,
            name="edit form (htmx)" if htmx else "edit form",
            headers=HTMX_EDIT if htmx else None,
            catch_response=True,
        ) as response:
            fields = form_fields(response.text or "", url) if response.status_code == 200 else {}
            if response.status_code == 200 and "original" not in fields:
                response.failure("the edit form has no 'original' field")
                return
        if not fields:
            return
        self.attempts += 1
        value = f"load-{self.username}-{self.attempts}"
        self._count()
        with self.client.post(
            url,
            data=urlencode(fields | {"custom_id": value}),
            headers=FORM | (HTMX_EDIT if htmx else {}),
            name="save (htmx)" if htmx else "save",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if htmx:
                saved = response.status_code == 200 and "client-updated" in (
                    response.headers.get("HX-Trigger") or ""
                )
            else:
                saved = response.status_code == 302 and (response.headers.get("Location") or "").startswith(
                    f"/clients/{self.client_id}/"
                )
            if saved:
                self.record["saves"].append(value)
            else:
                self.record["failed_saves"].append({"value": value, "status": response.status_code})
                response.failure(f"save answered {response.status_code}")
