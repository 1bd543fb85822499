"""Doctored form data: every form the dashboard posts, each field in turn given junk.

For every URL of the dashboard that takes a POST, the walk opens its page(s) as an administrator
(who is allowed every field), reads each POST form aimed at that URL from the HTML, hidden fields
included, and fills it as a browser would (required fields given a plausible value, so that the
rest of the form is valid). Then, one field at a time, it posts junk in that field:

- the field twice (a list where one value belongs), the junk value first, so a view that reads
  the last value only would take the genuine one and miss the doctoring;
- in a hidden field: a JSON object, a JSON array, a JSON string, plain text, a huge string, a
  40- and a 5,000-digit number, a NUL byte, JSON nested 100,000 deep, and, where the field holds
  a JSON record (`original`), that record with each of its values replaced by an object, a list
  and non-numeric text;
- in a numeric field: text, a fraction, a negative number, a number too large (for the type or
  for any id), NaN and Infinity;
- in a text field: a NUL byte and a huge string;
- in a choice (select, radio, checkbox group, a button's value): a value that is not offered
  (in a group of boxes, also a 5,000-digit number);
- a field left out.

Each of these must be answered without a server error (no 5xx), and nothing may reach Gcore or
SPP: no write at all. The one exception: a field left out that the page does not mark required
only must not be a server error, since a button may need none of the form's values (the reset
of a client's products ignores the boxes and the values the form was opened with). Values that
are merely unusual but valid (any text in a free text field, an empty optional field) are not
junk and are not posted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, get_resolver

from dashboard.models import BillingLink
from tests.helpers import client_with_token_holder, linkable_client, logged_in, preview, services_of

HUGE = "x" * 100_000
NUL = "junk\x00walk"
UNKNOWN = "no-such-choice"
INTEGER_JUNK = ("abc", "1.5", "1e400", "-1", "9" * 40, "9" * 5000)
DECIMAL_JUNK = ("abc", "1e400", "NaN", "Infinity")
# JSON nested deeper than Python's recursion limit: json.loads raises RecursionError, not ValueError.
DEEP_JSON = "[" * 100_000
HIDDEN_JUNK = ('{"a": {"b": 1}}', "[1, 2]", '"abc"', "abc", HUGE, NUL, "9" * 40, "9" * 5000, DEEP_JSON)
RECORD_VALUE_JUNK = ({"x": 1}, [1, 2], "abc")


# -- what a browser would post ----------------------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # hidden, text, integer, decimal, textarea, select, multiple, checkbox, radio, button
    required: bool = False
    values: list[str] = field(default_factory=list)  # what the browser posts for it as shown
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    controls: dict[str, Control] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def control(self, name: str, kind: str, **attrs) -> Control:
        if name not in self.controls:
            self.controls[name] = Control(name, kind, **attrs)
        return self.controls[name]


class Forms(HTMLParser):
    """Every POST form of a page, with each control as the browser would submit it."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "").lower() == "post":
                self._form = Form(
                    urlsplit(a.get("action") or self.page_url).path or urlsplit(self.page_url).path
                )
                self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None:
            return
        if tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.values.append(value)
            return
        if not name or "disabled" in a or name == "csrfmiddlewaretoken":
            return
        kind = a.get("type", "text") if tag == "input" else tag
        required = "required" in a
        if tag == "button" or kind == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif kind in ("checkbox", "radio"):
            control = form.control(name, kind, required=required)
            control.options.append(a.get("value") or "on")
            if "checked" in a:
                control.values.append(a.get("value") or "on")
        elif tag == "select":
            self._select = form.control(name, "multiple" if "multiple" in a else "select", required=required)
        elif tag == "textarea":
            self._textarea = form.control(name, "textarea", required=required, values=[""])
        elif tag == "input":
            whole = a.get("inputmode") == "numeric" or (kind == "number" and a.get("step", "1") == "1")
            fraction = a.get("inputmode") == "decimal" or kind == "number"
            kind = "hidden" if kind == "hidden" else "integer" if whole else "decimal" if fraction else "text"
            form.control(name, kind, required=required, values=[a.get("value") or ""])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values[0] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            if self._select is not None and self._select.kind == "select" and not self._select.values:
                self._select.values = self._select.options[:1]
            self._select = None
        elif tag == "form":
            self._form = None


def plausible(control: Control) -> list[str]:
    """A valid value for a required control the page shows empty."""
    if control.kind == "checkbox":
        return control.options[:1]
    if control.kind == "radio":
        return control.options[:1]
    if "email" in control.name:
        return ["junk.walk@example.org"]
    return ["Junk walk"]


def browser_data(form: Form, button: tuple[str, str] | None) -> dict[str, list[str]]:
    data = {}
    for control in form.controls.values():
        values = list(control.values)
        if control.required and not any(values):
            values = plausible(control)
        if values:
            data[control.name] = values
    if button is not None:
        data[button[0]] = [button[1]]
    return data


def junk_for(control: Control) -> list[list[str] | None]:
    """The doctored values of one control (None: left out)."""
    genuine = control.values[0] if control.values else (control.options[0] if control.options else "x")
    junk: list[list[str] | None] = [[UNKNOWN if control.options else "junk", genuine]]
    if control.kind in ("select", "radio", "button"):
        junk += [[UNKNOWN], [NUL]]
    elif control.kind == "multiple" or (control.kind == "checkbox" and len(control.options) > 1):
        junk = [[*control.values, UNKNOWN], [*control.values, "9" * 5000], [NUL]]
    elif control.kind == "checkbox":
        junk = [["on", "on"]]
    elif control.kind in ("integer", "decimal"):
        numbers = INTEGER_JUNK if control.kind == "integer" else DECIMAL_JUNK
        junk += [[value] for value in numbers] + [[HUGE], [NUL]]
    elif control.kind in ("text", "textarea"):
        junk += [[NUL], [HUGE]]
    elif control.kind == "hidden":
        junk += [[value] for value in HIDDEN_JUNK]
        record = _json_record(genuine)
        for key in record or {}:
            junk += [[json.dumps(record | {key: value})] for value in RECORD_VALUE_JUNK]
    junk.append(None)
    return junk


def _json_record(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# -- the pages each POST's forms are on -------------------------------------------------------------


def _linked_client(sandbox, spp_sandbox) -> int:
    client, spp_id = linkable_client(sandbox, spp_sandbox)
    BillingLink.objects.get_or_create(
        gcore_client_id=client["id"], defaults={"spp_client_id": spp_id, "method": "email"}
    )
    return client["id"]


def _pages(name: str, http, sandbox, spp_sandbox) -> tuple[str, list[str]]:
    """The URL a form posts to, and the pages on which its forms are shown."""
    client_id, user_id, token = client_with_token_holder(sandbox)
    base = f"/clients/{client_id}"
    if name == "client-bulk":
        bulk = preview(http, client=str(client_id), scope="ids")
        return "/clients/bulk/", ["/clients/", f"/clients/bulk/?batch={bulk.pk}"]
    if name in ("client-billing", "billing-edit", "billing-sync"):
        linked = _linked_client(sandbox, spp_sandbox)
        url = {"client-billing": "billing/", "billing-edit": "billing/edit/", "billing-sync": "billing/sync/"}
        return f"/clients/{linked}/{url[name]}", [f"/clients/{linked}/{url[name]}"]
    if name == "service-edit":
        service_id = next(iter(services_of(sandbox, client_id).values()))["id"]
        url = f"{base}/services/{service_id}/edit/"
        return url, [url]
    if name.startswith("finding-") or name == "attention-scan":
        finding = _finding(client_id)
        if name == "attention-scan":
            return "/attention/scan/", ["/attention/"]
        url = f"/attention/{finding}/{name.removeprefix('finding-')}/"
        return url, [url, "/attention/"]
    urls = {
        "client-edit": f"{base}/edit/",
        "user-edit": f"{base}/users/{user_id}/edit/",
        "client-create": "/clients/new/",
        "client-availability": f"{base}/availability/",
        "client-features": f"{base}/features/",
        "user-invite": f"{base}/users/invite/",
        "user-remove": f"{base}/users/{user_id}/remove/",
        "user-resend-invitation": f"{base}/users/{user_id}/resend-invitation/",
        "user-reset-password": f"{base}/users/{user_id}/reset-password/",
        "token-revoke": f"{base}/tokens/{token['id']}/revoke/",
        "billing-drift": "/billing/drift/",
        "seller-create": "/sellers/new/",
        "seller-edit": "/sellers/52/edit/",
        "seller-delete": "/sellers/53/delete/",
        "settings-products": "/settings/products/",
        "settings-notifications": "/settings/notifications/",
        "settings-notification-edit": "/settings/notifications/202/edit/",
        "settings-notification-delete": "/settings/notifications/203/delete/",
        "settings-branding": "/settings/branding/",
        "background-work": "/tasks/",
    }
    # Forms shown on another page than the one they post to.
    elsewhere = {
        "settings-products-reset": ("/settings/products/reset/", "/settings/products/"),
        "settings-notification-toggle": ("/settings/notifications/201/toggle/", "/settings/notifications/"),
    }
    if name in elsewhere:
        target, page = elsewhere[name]
        return target, [page]
    return urls[name], [urls[name]]


def _finding(client_id: int) -> int:
    """An open finding about the client, as a scan would have recorded it."""
    from django.utils import timezone

    from dashboard.models import Finding

    now = timezone.now()
    finding, _ = Finding.objects.get_or_create(
        rule=Finding.Rule.NO_ADMIN,
        client_id=client_id,
        subject="",
        defaults={"first_seen_at": now, "last_seen_at": now},
    )
    return finding.pk


# Every URL of the dashboard's own that takes a POST is walked; the rest say why not.
WALKED = (
    "client-edit", "user-edit", "service-edit", "client-availability", "client-features", "client-create",
    "client-bulk", "user-invite", "user-remove", "user-resend-invitation", "user-reset-password",
    "token-revoke", "client-billing", "billing-edit", "billing-sync", "billing-drift",
    "finding-assign", "finding-snooze", "finding-resolve", "attention-scan",
    "seller-create", "seller-edit", "seller-delete", "settings-products", "settings-products-reset",
    "settings-notifications", "settings-notification-edit", "settings-notification-toggle",
    "settings-notification-delete", "settings-branding", "background-work",
)  # fmt: skip
NOT_WALKED = {
    # Pages that take no POST (405).
    **dict.fromkeys(
        (
            "home",
            "healthz",
            "readyz",
            "client-list",
            "client-export",
            "client-detail",
            "activity",
            "client-tokens",
            "saved-view-list",
            "saved-view-sidebar",
            "password_change_done",
            "attention",
            "attention-export",
            "seller-list",
        ),
        "read-only: a POST is answered 405",
    ),
    # Refresh of Gcore's indexed log: the POST takes no input and only reads Gcore (tests/test_timeline.py
    # posts junk to it).
    **dict.fromkeys(("client-timeline", "gcore-activity"), "Refresh: no input, no upstream write"),
    # Its button posts the branding page's form here (formaction), which the walk does not follow;
    # it sends only the files, whose refusals tests/test_branding.py posts one by one.
    "settings-branding-upload": "a multipart upload, walked in tests/test_branding.py",
    # The saved views change only the dashboard's own database; tests/test_saved_views.py covers them.
    **dict.fromkeys(("saved-view-create", "saved-view-update", "saved-view-delete"), "no upstream write"),
    # Signing in and out, the second factors and the password: allauth's and Django's own forms.
    **dict.fromkeys(
        ("login", "account_login", "logout", "account_logout", "account_reauthenticate", "password_change"),
        "Django's and allauth's own forms",
    ),
}


def test_every_url_that_takes_a_post_is_walked_or_says_why_not():
    names = {
        entry.name for entry in get_resolver().url_patterns if isinstance(entry, URLPattern) and entry.name
    }
    assert names == set(WALKED) | set(NOT_WALKED), (
        f"new: {sorted(names - set(WALKED) - set(NOT_WALKED))}; "
        f"gone: {sorted((set(WALKED) | set(NOT_WALKED)) - names)}"
    )


@pytest.fixture
def upstream_writes(monkeypatch):
    """Every write (not a GET) the dashboard sends to the in-process Gcore and SPP sandboxes."""
    from dashboard import spp_sandbox
    from dashboard.sandbox import SandboxTransport

    sent: list[tuple[str, str, str]] = []
    # The SPP sandbox's transport may be the same class as Gcore's: each class is watched once.
    for transport in {SandboxTransport, spp_sandbox.SandboxTransport}:
        original = transport.handle_request

        def recording(self, request, original=original):
            if request.method != "GET":
                sent.append((request.url.host, request.method, request.url.path))
            return original(self, request)

        monkeypatch.setattr(transport, "handle_request", recording)
    return sent


def _shown(value: list[str] | None) -> str:
    if value is None:
        return "(left out)"
    return repr([v if len(v) < 60 else f"{v[:20]}...({len(v)} chars)" for v in value])


@pytest.mark.django_db
@pytest.mark.parametrize("name", WALKED)
def test_junk_in_any_field_is_refused_and_nothing_is_sent(
    name, admin_user, sandbox, spp_sandbox, upstream_writes
):
    http = logged_in(admin_user)
    http.raise_request_exception = False  # a server error is an answer to count, not a crash of the walk
    target, pages = _pages(name, http, sandbox, spp_sandbox)
    forms: list[Form] = []
    for page in pages:
        response = http.get(page)
        assert response.status_code == 200, f"{page}: {response.status_code}"
        parser = Forms(page)
        parser.feed(response.content.decode())
        forms += [form for form in parser.forms if form.action == urlsplit(target).path]
    assert forms, f"no form on {pages} posts to {target}"
    del upstream_writes[:]  # the pages' own setup (a bulk draft) sent nothing, but start clean

    cases = []
    seen: set[tuple] = set()
    for form in forms:
        for button in form.buttons or [None]:
            shape = (tuple(sorted(form.controls)), button)
            if shape in seen:
                continue
            seen.add(shape)
            data = browser_data(form, button)
            controls = dict(form.controls)
            if button is not None:
                controls[button[0]] = Control(button[0], "button", values=[button[1]], options=[button[1]])
            for control in controls.values():
                for junk in junk_for(control):
                    posted = {key: value for key, value in data.items() if key != control.name}
                    if junk is not None:
                        posted[control.name] = junk
                    lenient = junk is None and not control.required
                    cases.append((lenient, f"{control.name}={_shown(junk)} (button {button})", posted))
    # An optional field left out may be a valid post that changes the record: those go last, so
    # that they cannot make a later case's form out of date.
    cases.sort(key=lambda case: case[0])

    failures = []
    for lenient, where, posted in cases:
        response = http.post(target, posted)
        if response.status_code >= 500:
            failures.append(f"{where}: HTTP {response.status_code}")
        if upstream_writes and not lenient:
            failures.append(f"{where}: sent {upstream_writes[:]} (HTTP {response.status_code})")
        del upstream_writes[:]
    assert not failures, f"POST {target}:\n" + "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "doctor"),
    [
        ("client-edit", lambda original: original | {"company_name": {"x": 1}}),
        ("user-edit", lambda original: original | {"auth_types": "password"}),
        ("service-edit", lambda original: original | {"status": ["paused"]}),
        ("billing-edit", lambda original: original | {"balance": "abc"}),
        ("billing-sync", lambda original: {"email": "a@example.org"}),
        ("client-availability", lambda original: [original]),
        ("seller-edit", lambda original: original | {"email": {"x": 1}}),
        ("settings-products", lambda original: original | {"CDN": "maybe"}),
        ("settings-notification-edit", lambda original: original | {"enabled": [True]}),
        ("settings-branding", lambda original: original | {"mail_tls": "abc"}),
    ],
)
def test_a_doctored_original_is_a_400_saying_so(
    name, doctor, admin_user, sandbox, spp_sandbox, upstream_writes
):
    """The hidden record of what the form was opened with, rewritten: refused with a 400 that says
    the form was changed outside the page, and nothing is sent."""
    http = logged_in(admin_user)
    target, pages = _pages(name, http, sandbox, spp_sandbox)
    parser = Forms(pages[0])
    parser.feed(http.get(pages[0]).content.decode())
    form = next(form for form in parser.forms if form.action == target and "original" in form.controls)
    data = browser_data(form, None)
    data["original"] = [json.dumps(doctor(json.loads(data["original"][0])))]
    response = http.post(target, data)
    assert response.status_code == 400
    assert "changed outside the page: reload it" in response.content.decode()
    assert upstream_writes == []
