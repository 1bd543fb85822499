"""Two gunicorn app servers on one PostgreSQL, one Redis and the loopback sandbox (README,
"Load and multi-server tests").

A change saved through server A must show through server B on its very next request, although B
has the old page cached in Redis for GCORE_CACHE_SECONDS=60: invalidation goes through the shared
cache, not through each process. And a read of an unchanged page through either server must be
answered from that shared cache, without a request to Gcore (the sandbox's request log says so).
The staff account has a second factor (MFA_REQUIRED on): one sign-in gives its password to A and
its code to B, so the login's stage lives in the shared session store too.

Everything runs as real subprocesses with bounded waits, killed at teardown. Without PostgreSQL on
127.0.0.1:5432 or Redis on 127.0.0.1:6379 the test skips, except under CI=true where it fails.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from html.parser import HTMLParser
from typing import Any

import httpx
import pyotp
import pytest

from tests.helpers import PYTHON, TIMEOUT, Processes, base_env, log_tail, manage, start_app_server

pytestmark = pytest.mark.multiserver

LISTENING = re.compile(r"Gcore sandbox listening on (http://\S+) ")
USERNAME, PASSWORD = "sam.support", "multi-server-" + secrets.token_urlsafe(12)


def _start_sandbox(processes: Processes, token: str) -> str:
    process, log = processes.start(
        "sandbox",
        [PYTHON, "manage.py", "gcore_sandbox", "--port", "0", "--token", token, "--clients", "120"],
        base_env(),
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if match := LISTENING.search(log.read_text(errors="replace")):
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"the sandbox did not start within 20 s:\n{log_tail(log)}", pytrace=False)


# -- a browser-like client ---------------------------------------------------------------------


class FormFields(HTMLParser):
    """What a browser would submit for the form whose action ends with `action`."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields = action, False, {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attr.get("action", "").endswith(self.action)
        elif self.inside and tag == "input" and attr.get("name") and "disabled" not in attr:
            if attr.get("type") in ("checkbox", "radio") and "checked" not in attr:
                return
            if attr.get("type") == "submit":
                return
            self.fields[attr["name"]] = attr.get("value", "on" if attr.get("type") == "checkbox" else "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = FormFields(action)
    parser.feed(html)
    assert parser.fields, f"no form posting to {action} in the page"
    return parser.fields


def detail_name(page: str) -> str:
    """The company name in the detail's own fields (the change history below names old and new values too)."""
    match = re.search(r"<dt>Company name</dt><dd>(.*?)</dd>", page)
    assert match, "no company name on the detail page"
    return html.unescape(match.group(1))


def listed_name(page: str, client_id: int) -> str:
    """The company name in the list row that links to the client."""
    match = re.search(rf'<a href="/clients/{client_id}/\?back=[^"]*"[^>]*>([^<]*)</a>', page)
    assert match, f"client {client_id} is not in the list"
    return html.unescape(match.group(1))


class Staff:
    """One person's browser on one app server: its own cookie jar, Django's CSRF rules."""

    def __init__(self, base: str, label: str) -> None:
        self.label = label
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=False)

    def get(self, url: str) -> httpx.Response:
        response = self.http.get(url)
        assert response.status_code == 200, f"{self.label} GET {url}: {response.status_code}"
        return response

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        token = self.http.cookies.get("csrftoken")
        assert token, f"{self.label}: no csrftoken cookie before POST {url}"
        return self.http.post(url, data=data, headers={"X-CSRFToken": token})

    def log_in(self, code: str, finish_on: Staff | None = None) -> None:
        """The password here, then the second factor's `code` here or through another server."""
        self.get("/accounts/login/")  # sets the csrftoken cookie
        response = self.post("/accounts/login/", {"login": USERNAME, "password": PASSWORD})
        assert response.status_code == 302, f"{self.label} login: {response.status_code}"
        assert response.headers["location"] == "/accounts/2fa/authenticate/", "no second step asked"
        finisher = finish_on or self
        finisher.http.cookies = httpx.Cookies(self.http.cookies)  # the same browser, another server
        response = finisher.post("/accounts/2fa/authenticate/", {"code": code})
        assert response.status_code == 302, f"{finisher.label} second step: {response.status_code}"
        assert response.headers["location"] == "/clients/"
        self.http.cookies = httpx.Cookies(finisher.http.cookies)
        if finisher is not self:
            finisher.http.cookies = httpx.Cookies()
        assert "sessionid" in self.http.cookies

    def close(self) -> None:
        self.http.close()


# -- the test ----------------------------------------------------------------------------------


def test_a_change_through_one_server_shows_through_the_other_at_once(
    postgres_url: str, redis_url: str, processes: Processes
) -> None:
    token = "multiserver-" + secrets.token_urlsafe(16)
    sandbox = _start_sandbox(processes, token)
    env = base_env() | {
        "DATABASE_URL": postgres_url,
        "CACHE_URL": redis_url,
        "GCORE_API_URL": sandbox,
        "GCORE_API_TOKEN": token,
        "GCORE_CACHE_SECONDS": "60",  # a missed invalidation would show the old value for a minute
        "DEBUG": "true",  # plain-http cookies
        "MFA_REQUIRED": "true",  # the staff account has an authenticator app and recovery codes
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "0",
    }
    manage(env, "migrate", "--noinput")
    secret = pyotp.random_base32()
    recovery = manage(
        env, "shell", "-c",
        "from django.contrib.auth import get_user_model; from django.contrib.auth.models import Group; "
        "from allauth.mfa.totp.internal.auth import TOTP; "
        "from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes; "
        "from dashboard.roles import SUPPORT_AGENTS; "
        f"u = get_user_model().objects.create_user({USERNAME!r}, password={PASSWORD!r}); "
        "u.groups.add(Group.objects.get(name=SUPPORT_AGENTS)); "
        f"TOTP.activate(u, {secret!r}); print(' '.join(RecoveryCodes.activate(u).get_unused_codes()))",
    ).splitlines()[-1].split()  # fmt: skip
    server_a = start_app_server(processes, "server-a", env)
    server_b = start_app_server(processes, "server-b", env)

    control = httpx.Client(base_url=sandbox, timeout=TIMEOUT)
    api = {"Authorization": f"APIKey {token}"}

    def upstream(method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        log = control.get("/__sandbox__/requests").json()
        return [
            e
            for e in log
            if (method is None or e["method"] == method) and (path is None or e["path"] == path)
        ]

    # The first live client in id order: it is on page 1 of the dashboard's default list.
    first = control.get(
        "/iam/clients", params={"limit": 1, "ordering": "id", "deleted": "false"}, headers=api
    )
    client = first.json()["results"][0]
    client_id, old_name = client["id"], client["companyName"]
    detail, listing = f"/clients/{client_id}/", "/clients/"

    a, b = Staff(server_a, "A"), Staff(server_b, "B")
    try:
        # The sign-in's second step through the other server: the login stage is shared state.
        a.log_in(pyotp.TOTP(secret).now(), finish_on=b)
        b.log_in(recovery[0])  # a TOTP code is good once, on every server: B uses a recovery code
        control.delete("/__sandbox__/requests")

        # B reads the detail and the list: a cache miss each, stored in the shared Redis.
        page = b.get(detail).text
        assert detail_name(page) == old_name
        assert "Fresh from Gcore" in page
        assert listed_name(b.get(listing).text, client_id) == old_name
        assert len(upstream("GET", f"/iam/clients/{client_id}")) == 1
        misses = len(upstream())

        # Read again through B, then through A: both answered from the shared cache, no Gcore call.
        for staff in (b, a):
            page = staff.get(detail).text
            assert detail_name(page) == old_name
            assert "Cached copy" in page, f"{staff.label}'s read of the unchanged detail was not cached"
            page = staff.get(listing).text
            assert listed_name(page, client_id) == old_name
            assert "Cached copy" in page, f"{staff.label}'s read of the unchanged list was not cached"
        assert len(upstream()) == misses, f"unchanged pages reached Gcore: {upstream()[misses:]}"

        # A opens the edit form (on Gcore's current values) and saves a new company name.
        new_name = f"Multiserver {secrets.token_hex(4)}"
        fields = form_fields(a.get(f"/clients/{client_id}/edit/").text, f"/clients/{client_id}/edit/")
        assert fields["company_name"] == old_name
        saved = a.post(f"/clients/{client_id}/edit/", fields | {"company_name": new_name})
        assert saved.status_code == 302, f"save through A: {saved.status_code}\n{saved.text[:2000]}"
        assert saved.headers["location"].startswith(detail)
        assert len(upstream("PATCH", f"/iam/clients/{client_id}")) == 1
        assert control.get(f"/iam/clients/{client_id}", headers=api).json()["companyName"] == new_name

        # B's very next requests show the new value, the detail and the list alike, read anew from Gcore.
        reads_before = len(upstream("GET"))
        page = b.get(detail).text
        assert detail_name(page) == new_name, "server B still shows the old detail after a change through A"
        assert "Fresh from Gcore" in page
        page = b.get(listing).text
        assert listed_name(page, client_id) == new_name, (
            "server B still lists the old name after a change through A"
        )
        assert "Fresh from Gcore" in page
        assert len(upstream("GET")) >= reads_before + 2

        # From then on both are served from the shared cache again, with the new value.
        settled = len(upstream())
        for staff in (a, b):
            assert detail_name(staff.get(detail).text) == new_name
            assert listed_name(staff.get(listing).text, client_id) == new_name
        assert len(upstream()) == settled
    except AssertionError as exc:
        logs = "\n".join(
            f"--- {label} ---\n{log_tail(processes.logs / f'{label}.log')}" for label, _ in processes.started
        )
        raise AssertionError(f"{exc}\n{logs}") from None
    finally:
        a.close()
        b.close()
        control.close()
