"""Helpers shared by the test modules: the one module a test imports its helpers from.

Fixtures stay in the conftest.py files (which may import from here); no test module imports from
another test module or from a conftest (tests/test_layout.py checks that).
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import parse_qs

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.test import Client as DjangoClient

from dashboard.models import BulkChange
from dashboard.roles import sync_roles
from dashboard.sandbox import Sandbox, SandboxTransport

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent


# -- staff accounts and logins -------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


def make_staff(username: str, group: str | None = None, *, superuser: bool = False):
    from django.contrib.auth.models import Group  # here, so the sandbox's own tests need no Django setup

    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=superuser, is_superuser=superuser
    )
    if group:
        sync_roles()  # a live-server test flushes the tables, the groups of the data migration with them
        user.groups.add(Group.objects.get(name=group))
    return user


def logged_in(user, *, confirmed: bool = True) -> DjangoClient:
    """A test client signed in as `user`, as the sign-in leaves a session: allauth's records of the
    password and the second factor given. `confirmed`: just now, so risky actions need no fresh
    confirmation; otherwise a day ago (dashboard/mfa.py)."""
    http = DjangoClient()
    http.force_login(user)
    at = time.time() - (0 if confirmed else 24 * 3600)
    session = http.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": at},
        {"method": "mfa", "at": at},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return http


# -- Gcore sandbox / API helpers -----------------------------------------------------------------

# The sandbox's own tests (tests/sandbox) talk to it through httpx with this token.
TOKEN = "test-token_1234"
BASE_URL = "https://api.gcore.com"
AUTH = {"Authorization": f"APIKey {TOKEN}"}


def make_api(sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(transport=SandboxTransport(sandbox), base_url=BASE_URL, headers=AUTH)


def all_clients(sandbox: Sandbox) -> list[dict[str, Any]]:
    """Every client as the API shows it, in id order."""
    return [sandbox.client_json(client_id) for client_id in sandbox.client_ids()]


def listed_ids(client: httpx.Client, **params: Any) -> list[int]:
    """Ids from the unpaginated list for these parameters (asserting a 200)."""
    response = client.get("/iam/clients", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def first_live_client(sandbox) -> int:
    return next(i for i in sandbox.client_ids() if not sandbox.client_json(i)["deleted"])


def first_client_with_users(sandbox) -> dict:
    return next(
        c for i in sandbox.client_ids() if not (c := sandbox.client_json(i))["deleted"] and c["users"]
    )


def gcore_call(sandbox, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call the in-process sandbox as the dashboard would (for setting up and checking state in a test):
    (status, decoded body or None)."""
    from django.conf import settings

    headers = {"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}", "Content-Type": "application/json"}
    payload = json.dumps(body).encode() if body is not None else b""
    path, _, query = path.partition("?")
    response = sandbox.handle(method, path, query, headers=headers, body=payload)
    return response.status, (response.json() if response.body else None)


def services_of(sandbox, client_id: int) -> dict[str, dict[str, Any]]:
    """The client's services as GET /iam/clients/{id}/services lists them, by product name."""
    status, items = gcore_call(sandbox, "GET", f"/iam/clients/{client_id}/services")
    assert status == 200
    return {item["name"]: item for item in items}


def client_with_service(sandbox, status: str, service: str = "CDN") -> tuple[int, dict[str, Any]]:
    """A live client whose `service` has `status`, and that service."""
    for client_id in sandbox.client_ids():
        if sandbox.client_json(client_id)["deleted"]:
            continue
        found = services_of(sandbox, client_id).get(service)
        if found and found["status"] == status:
            return client_id, found
    raise AssertionError(f"no live client has {service} {status}")


def calls(sandbox, method, path: str | None = None):
    """What a sandbox received with this method (and path), in order, as its request log holds it."""
    return [e for e in sandbox.request_log if e["method"] == method and path in (None, e["path"])]


def list_queries(sandbox) -> list[dict[str, str]]:
    """The query of every GET /iam/clients the sandbox answered, one value per parameter."""
    return [
        {k: v[0] for k, v in parse_qs(entry["query"]).items()}
        for entry in sandbox.request_log
        if entry["path"] == "/iam/clients"
    ]


# Upstream-shaped payloads (Gcore's wire names), each with one key Gcore might add later.


def user_payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": 9,
        "email": "jane@example.com",
        "name": "Jane Doe",
        "lang": "en",
        "phone": None,
        "company": "Acme & Sons",
        "reseller": 77,
        "client": 5,
        "deleted": False,
        "groups": [{"id": 1, "name": "Administrators"}],
        "activated": True,
        "sso_auth": False,
        "two_fa": True,
        "auth_types": ["password"],
        "an_unknown_key": "ignored",
    }
    return data | overrides


def client_payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "id": 5,
        "users": [user_payload()],
        "email": "billing@acme.example",
        "phone": "+44 20 7946 0000",
        "name": "Jane Doe",
        "status": "active",
        "companyName": "Acme & Sons",
        "website": "https://acme.example",
        "currentUser": 9,
        "capabilities": ["CDN", "DNS"],
        "serviceStatuses": {
            "CDN": {"status": "active", "enabled": True},
            "DNS": {"status": "trial", "enabled": True},
        },
        "paidFeatures": {
            "CDN": [{"feature_id": 1, "name": "Image stack", "service": "CDN", "paid_feature_id": 11}]
        },
        "freeFeatures": {},
        "entryBaseDomain": None,
        "signup_process": "sign_up_full",
        "deleted": False,
        "bill_type": "postpaid",
        "custom_id": None,
        "country_code": "GB",
        "is_test": False,
        "has_active_admin": True,
        "seller": None,
        "resellers": 77,
        "client_type": "common",
        "owner": 9,
        "an_unknown_key": {"nested": True},
    }
    return data | overrides


def page_payload(results: list[Any], count: int | None = None, key: str = "results") -> dict[str, Any]:
    """One page as Gcore's paginated answers give it (`key`: "results", or "result" where a spec says so)."""
    return {
        "count": len(results) if count is None else count,
        "next": None,
        "previous": None,
        key: results,
    }


# -- edit-form helpers ---------------------------------------------------------------------------


def form_data(form, **changes) -> dict:
    """What the browser would post for an unchanged form, with `changes` typed in."""
    data = {}
    for name, value in (form.initial | changes).items():
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def open_form(http, url):
    response = http.get(url)
    assert response.status_code == 200
    return response.context["form"]


def client_and_user(sandbox):
    """A live client with at least two users, and its first user."""
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        if not client["deleted"] and len(client["users"]) >= 2:
            return client_id, client["users"][0]
    raise AssertionError("the sandbox has clients with several users")


def user_edit_url(client_id, user_id):
    """The user editor's address."""
    return f"/clients/{client_id}/users/{user_id}/edit/"


# -- browser helpers -----------------------------------------------------------------------------


def assert_no_csp_violation(page) -> None:
    """No CSP violation on the `watched` page (tests/browser/conftest.py) so far, nor a page error."""
    violations = page.evaluate("window.__cspViolations || []")
    assert violations == [], f"{page.url}: {violations}"
    assert page.csp_console == [], f"{page.url}: {page.csp_console}"
    assert page.errors == []


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


# -- billing (SPP) helpers ---------------------------------------------------------------------------


def gcore_clients_by_spp_matches(sandbox, spp_sandbox, matches: int) -> list[dict[str, Any]]:
    """Live Gcore clients (with users) whose email has exactly `matches` SPP clients."""
    found = []
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        if (
            not client["deleted"]
            and client["users"]
            and len(spp_sandbox.ids_with_email(client["email"])) == matches
        ):
            found.append(client)
    return found


def linkable_client(sandbox, spp_sandbox, *, differing: str | None = None) -> tuple[dict[str, Any], int]:
    """A Gcore client with exactly one SPP client of the same email, and that SPP client's id.

    `differing`: "phone", "company" or "contact" for one whose SPP record differs there.
    """
    for client in gcore_clients_by_spp_matches(sandbox, spp_sandbox, 1):
        spp_id = spp_sandbox.ids_with_email(client["email"])[0]
        record = spp_sandbox.client_json(spp_id)
        theirs = {
            "phone": record["phone"] or "",
            "company": record["company"],
            "contact": f"{record['name_f']} {record['name_l']}".strip(),
        }
        ours = {
            "phone": client["phone"] or "",
            "company": client["companyName"],
            "contact": client["name"] or "",
        }
        if differing is None and ours == theirs:
            return client, spp_id
        if differing is not None and "".join(ours[differing].split()) != "".join(theirs[differing].split()):
            return client, spp_id
    raise AssertionError(f"no linkable client (differing={differing!r}) in the sandboxes")


# -- manage.py helper ----------------------------------------------------------------------------


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG", "GCORE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base | {"DJANGO_SETTINGS_MODULE": "dashboard.settings"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- shared by several test modules (the people, services, bulk, billing and MFA tests) ------------


def edit_url(client_id, service_id):
    return f"/clients/{client_id}/services/{service_id}/edit/"


def open_service_form(http, client_id, service_id):
    response = http.get(edit_url(client_id, service_id))
    assert response.status_code == 200
    return response.context["form"]


def post_service(http, client_id, service_id, form, *, enabled=None, **changes):
    """Post the form as the browser would: its values as opened, with `changes` (and `enabled`) typed in."""
    data = {"original": form.initial["original"], "status": form.initial["status"], **changes}
    if form.initial["enabled"] if enabled is None else enabled:
        data["enabled"] = "on"
    return http.post(edit_url(client_id, service_id), data)


HTMX = {"HX-Request": "true"}


def panel(http, client_id, **headers):
    return http.get(f"/clients/{client_id}/billing/", headers=headers or HTMX)


def linked(http, sandbox, spp_sandbox, **kwargs):
    client, spp_id = linkable_client(sandbox, spp_sandbox, **kwargs)
    panel(http, client["id"])
    return client, spp_id


PREVIEW = {"action": "preview", "service": "CDN", "status": "paused"}


def preview(http, **data):
    response = http.post("/clients/bulk/", PREVIEW | data)
    assert response.status_code == 302, response.content.decode()[:500]
    return BulkChange.objects.get(pk=int(response["Location"].rsplit("=", 1)[1]))


def finished(bulk, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        bulk.refresh_from_db()
        if bulk.state not in ("running", "stopping"):
            return bulk
        time.sleep(0.05)
    raise AssertionError(f"bulk change {bulk.pk} still {bulk.state}")


def live_ids(sandbox, count):
    return [i for i in sandbox.client_ids() if not sandbox.client_json(i)["deleted"]][:count]


def tokens(sandbox, client_id, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    status, body = gcore_call(
        sandbox, "GET", f"/iam/v2/clients/{client_id}/tokens" + (f"?{query}" if query else "")
    )
    assert status == 200
    return body


def live_tokens(sandbox, client_id):
    return [token for token in tokens(sandbox, client_id) if not token["deleted"]]


def client_with_token_holder(sandbox):
    """A live client, one of its users who holds a live token, and that token."""
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        if client["deleted"]:
            continue
        users = {user["id"] for user in client["users"]}
        for token in live_tokens(sandbox, client_id):
            if token["client_user"]["user_id"] in users:
                return client_id, token["client_user"]["user_id"], token
    raise AssertionError("no client has a user holding a live token")


def client_with_user_without_tokens(sandbox):
    """A live client with two users or more, and one who holds no live token."""
    for client_id in sandbox.client_ids():
        client = sandbox.client_json(client_id)
        if client["deleted"] or len(client["users"]) < 2:
            continue
        holders = {token["client_user"]["user_id"] for token in live_tokens(sandbox, client_id)}
        for user in client["users"]:
            if user["id"] not in holders and user["activated"]:
                return client_id, user
    raise AssertionError("no client has a user without tokens")


def user_ids(sandbox, client_id):
    return [user["id"] for user in sandbox.client_json(client_id)["users"]]


def writes(wire):
    return [call for call in wire if call[0] != "GET"]


class FormValues(HTMLParser):
    """The values a browser would submit for the POST form that has a field named `field`."""

    def __init__(self, field: str) -> None:
        super().__init__(convert_charrefs=True)
        self.field = field
        self.forms: list[tuple[dict[str, str], set[str]]] = []
        self._form: tuple[dict[str, str], set[str]] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    @property
    def values(self) -> dict[str, str]:
        return self._chosen()[0]

    @property
    def disabled(self) -> set[str]:
        return self._chosen()[1]

    def _chosen(self) -> tuple[dict[str, str], set[str]]:
        return next(form for form in self.forms if self.field in form[0] or self.field in form[1])

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = ({}, set())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        values, disabled = self._form
        name = a.get("name")
        if tag == "option" and self._select and "selected" in a:
            values[self._select] = a.get("value", "")
        if not name:
            return
        if "disabled" in a:
            disabled.add(name)
        elif tag == "input" and a.get("type") not in ("submit", "button", "checkbox", "radio"):
            values[name] = a.get("value") or ""
        elif tag == "input" and "checked" in a:
            values[name] = a.get("value") or "on"
        elif tag == "textarea":
            self._textarea = name
            values[name] = ""
        elif tag == "select":
            self._select = name

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[0][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


# -- answers at the edge: the sandbox's, or others the spec allows (the *_variants tests) -----------

Real = Callable[[], httpx.Response]


def at_the_edge(monkeypatch, answer: Callable[[httpx.Request, Real], httpx.Response], wire=None) -> None:
    """Gcore's answers come from `answer(request, real)`: `real()` is the sandbox's own answer. A request
    `answer` answers itself (never calling `real`) still reached Gcore: it goes into `wire` too."""
    original = SandboxTransport.handle_request

    def handle(self, request):
        asked = []

        def real():
            asked.append(True)
            return original(self, request)

        response = answer(request, real)
        if wire is not None and not asked:
            content = request.read()
            wire.append((request.method, request.url.path, json.loads(content) if content else None))
        return response

    monkeypatch.setattr(SandboxTransport, "handle_request", handle)


def reply(request: httpx.Request, status: int, body: object = None) -> httpx.Response:
    """An answer with this status and body: JSON, raw bytes, or none when `body` is None."""
    if body is None:
        return httpx.Response(status, request=request)
    if isinstance(body, bytes):
        return httpx.Response(status, content=body, request=request)
    return httpx.Response(status, json=body, request=request)


def text(response) -> str:
    """The page as a person reads it: entities decoded."""
    return html.unescape(response.content.decode())


def new_client(http, **overrides):
    """The create form as the browser posts it, preset as opened, with `overrides` typed in."""
    form = http.get("/clients/new/").context["form"]
    data = {"lang": "en", "products": list(form.initial["products"])}
    data.update({"email": "ines.new@example.org", "company": "Nouvelle Vague SARL"}, **overrides)
    return {key: value for key, value in data.items() if value is not None}


@contextmanager
def serving(server):
    """`server` (a sandbox's `make_server`) answering in a thread until the block ends; yields its
    base URL."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- real processes: the multi-server and worker tests (tests/multiserver/, tests/workers/) -------
# The loopback sandbox, gunicorn app servers and db_worker workers on one PostgreSQL and one Redis,
# started as subprocesses and ended at teardown (the `processes`, `postgres_url` and `redis_url`
# fixtures in tests/conftest.py).

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
TIMEOUT = httpx.Timeout(10.0)
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# The suite itself uses Redis db 1 on CI; this test owns db 3.
REDIS_DB = int(os.environ.get("MULTISERVER_REDIS_DB", "3"))


def unavailable(reason: str) -> NoReturn:
    """Skip on a laptop without the services; fail on CI, where they must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the multi-server test must run)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def exclusive(name: str, seconds: float) -> Iterator[None]:
    """One holder at a time on this machine (several people may run the suite at once)."""
    with open(Path(tempfile.gettempdir()) / name, "w") as handle:
        deadline = time.monotonic() + seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another run held {name} for more than {seconds:.0f} s", pytrace=False)
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Processes:
    """Subprocesses started by one test; all of them are ended at teardown, whatever happened."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[str]]] = []

    def start(self, label: str, args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], Path]:
        log = self.logs / f"{label}.log"
        handle = log.open("w")
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        handle.close()  # the child has its own copy of the descriptor
        self.started.append((label, process))
        return process, log

    def stop_all(self) -> None:
        for _, process in reversed(self.started):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for _, process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def base_env() -> dict[str, str]:
    """The environment without the test run's own Django and Gcore settings."""
    dropped = (
        "DJANGO_",
        "GCORE_",
        "DATABASE_URL",
        "CACHE_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_",
    )
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)} | {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def gunicorn_quirks() -> list[str]:
    """gunicorn 25+ opens a control socket at one fixed path per user: the two servers would share it."""
    import gunicorn.config

    return ["--no-control-socket"] if hasattr(gunicorn.config, "ControlSocketDisable") else []


def start_app_server(processes: Processes, label: str, env: dict[str, str]) -> str:
    port = free_port()
    process, log = processes.start(
        label,
        [GUNICORN, "dashboard.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
         "--timeout", "30", "--graceful-timeout", "3", *gunicorn_quirks()],
        env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"app server {label} did not answer /healthz within 30 s:\n{log_tail(log)}", pytrace=False)


# -- the worker tests (tests/workers/, tests/browser/test_bulk_workers.py) ------------------------

SANDBOX_LISTENING = re.compile(r"Gcore sandbox listening on (http://\S+) ")
WORKERS_ADMIN, WORKERS_PASSWORD = "ada.admin", "workers-" + secrets.token_urlsafe(12)


def start_loopback_sandbox(processes: Processes, token: str, *, latency_ms: float, clients: int = 120) -> str:
    process, log = processes.start(
        "sandbox",
        [PYTHON, "manage.py", "gcore_sandbox", "--port", "0", "--token", token, "--clients", str(clients),
         "--latency-ms", str(latency_ms)],
        base_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if match := SANDBOX_LISTENING.search(log.read_text(errors="replace")):
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"the sandbox did not start within 20 s:\n{log_tail(log)}", pytrace=False)


def worker_environment(postgres_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """One environment for servers and workers: quick heartbeats and sweeps, so a lost worker is
    noticed in seconds; drift builds and pruning far apart (set up as not due by `prepare`)."""
    return (
        base_env()
        | {
            "DATABASE_URL": postgres_url,
            "CACHE_URL": redis_url,
            "DEBUG": "true",
            "MFA_REQUIRED": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "CONN_MAX_AGE": "0",
            "BULK_CONCURRENCY": "2",
            "BULK_WORKERS": "2",
            "BULK_HEARTBEAT_SECONDS": "0.3",
            "BULK_STALE_SECONDS": "3",
            "BULK_SWEEP_EVERY": "1",
            "SCHEDULE_TICK_SECONDS": "0.3",
            "DRIFT_EVERY": "3600",
            "TASK_PRUNE_EVERY": "3600",
        }
        | extra
    )


def prepare_for_workers(env: dict[str, str], *, due: tuple[str, ...] = ("bulk_sweep",)) -> None:
    """Migrate, make the administrator, and leave only the `due` kinds of recurring work due (every
    other kind declared in dashboard/tasks.py, today's and those added later, waits an hour)."""
    manage(env, "migrate", "--noinput")
    manage(
        env, "shell", "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from django.contrib.auth import get_user_model; from dashboard.models import Schedule; "
        "from dashboard.services.schedules import kinds; "
        f"get_user_model().objects.create_superuser({WORKERS_ADMIN!r}, password={WORKERS_PASSWORD!r}); "
        "later = timezone.now() + timedelta(hours=1); "
        f"[Schedule.objects.create(kind=k, next_run=later) for k in kinds() if k not in {due!r}]",
    )  # fmt: skip


def start_worker(processes: Processes, label: str, env: dict[str, str]) -> subprocess.Popen[str]:
    process, _ = processes.start(
        label,
        [PYTHON, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2",
         "--worker-id", label],
        env,
    )  # fmt: skip
    return process


def process_of(processes: Processes, label: str) -> subprocess.Popen[str]:
    return next(process for name, process in processes.started if name == label)


def signal_group(process: subprocess.Popen[str], signum: int) -> None:
    """The process and anything it started (each was started in a session of its own)."""
    os.killpg(process.pid, signum)


def sigkill(process: subprocess.Popen[str]) -> None:
    signal_group(process, signal.SIGKILL)
    process.wait(timeout=10)


class ProcessBrowser:
    """A staff member's browser, pointed at one app server or another (the cookies go along)."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=False)

    def use(self, base: str) -> None:
        self.http.base_url = httpx.URL(base)

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def post(self, url: str, data: dict[str, Any]) -> httpx.Response:
        token = self.http.cookies.get("csrftoken")
        assert token, f"no csrftoken cookie before POST {url}"
        return self.http.post(url, data=data, headers={"X-CSRFToken": token})

    def log_in(self) -> None:
        self.get("/accounts/login/")
        response = self.post("/accounts/login/", {"login": WORKERS_ADMIN, "password": WORKERS_PASSWORD})
        assert response.status_code == 302, f"login: {response.status_code}"

    def start_bulk(self, client_ids: list[int], status: str) -> int:
        data = {"action": "preview", "scope": "ids", "client": client_ids, "service": "CDN", "status": status}
        response = self.post("/clients/bulk/", data)
        assert response.status_code == 302, response.text[:500]
        bulk_id = int(response.headers["location"].rsplit("=", 1)[1])
        data = {"action": "start", "batch": bulk_id, "reason": "Cross-process test", "confirm": "on"}
        response = self.post("/clients/bulk/", data)
        assert response.status_code == 302, response.text[:500]
        return bulk_id

    def close(self) -> None:
        self.http.close()


class SharedDatabase:
    """Reads of the shared PostgreSQL database, as any server would see it."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def one(self, sql: str, *params: Any) -> Any:
        return self.connection.execute(sql, params).fetchone()

    def all(self, sql: str, *params: Any) -> list[Any]:
        return self.connection.execute(sql, params).fetchall()

    def bulk_state(self, bulk_id: int) -> str:
        return self.one("SELECT state FROM dashboard_bulkchange WHERE id = %s", bulk_id)[0]

    def item_states(self, bulk_id: int) -> dict[int, str]:
        return dict(self.all("SELECT client_id, state FROM dashboard_bulkitem WHERE bulk_id = %s", bulk_id))

    def finished(self, bulk_id: int) -> int:
        states = self.item_states(bulk_id).values()
        return sum(1 for state in states if state not in ("pending", "sending", "excluded"))

    def wait(self, condition: Any, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        pytest.fail(f"{what} did not happen within {seconds:.0f} s", pytrace=False)

    def close(self) -> None:
        self.connection.close()
