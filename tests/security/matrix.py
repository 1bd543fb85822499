"""The permission matrix: every URL pattern of the project and what each role gets from it.

One table, read by two tests: `tests/security/test_permission_matrix.py` walks every pattern for
every role (GET, POST and GET through htmx) and checks the outcome; `tests/browser/
test_accessibility.py` opens every page a role may GET in Chromium and runs axe-core on it. The
patterns come from the URL conf, so a new view cannot be forgotten: a discovered pattern without a
row in EXPECTED fails `test_every_url_pattern_has_a_row`.

HOW TO ADD A VIEW: add a row to EXPECTED (URL name -> `roles(anonymous, manager, support, superuser)`
for GET and for POST), and, if its path has a new parameter name, a sample value in PARAMS.
Outcomes:
    OK      the role may: 2xx, 422 (form errors) or a redirect that is not to a login page
    DENIED  403 (htmx too: htmx does not swap it, app.js shows the message in #alerts)
    LOGIN   sent to a login page (302; htmx: HX-Redirect) - anonymous, or a non-superuser in the admin
    NO      405: the view does not take this method
    ADMIN   the admin's own answer to a superuser: anything but a login page or a server error
            (its read-only models refuse "add" with 403; ids in PARAMS do not exist, so 404 or 302)
A row whose URL name does not exist fails `test_the_table_names_only_existing_urls`; a namespace
row ("admin:*") covers every pattern of that namespace that has no row of its own. Every GET a role
gets OK (or ADMIN) for is also checked for accessibility, so a new page is born accessible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import make_staff

OK, DENIED, LOGIN, NO, ADMIN = "OK", "DENIED", "LOGIN", "NO", "ADMIN"
ROLES = ("anonymous", "manager", "support", "superuser")


class Roles(NamedTuple):
    anonymous: str
    manager: str
    support: str
    superuser: str


def roles(anonymous: str, manager: str, support: str, superuser: str) -> Roles:
    return Roles(anonymous, manager, support, superuser)


@dataclass(frozen=True)
class Row:
    get: Roles
    post: Roles


#                  anonymous  manager  support  superuser
READ_ONLY = Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, NO, NO, NO))
CLIENT_EDITING = Row(get=roles(LOGIN, DENIED, OK, OK), post=roles(LOGIN, DENIED, OK, OK))
MFA_PAGE = Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, OK, OK, OK))
RESELLER_SETTINGS = Row(get=roles(LOGIN, DENIED, DENIED, OK), post=roles(LOGIN, DENIED, DENIED, OK))
ADMIN_ONLY = Row(get=roles(LOGIN, LOGIN, LOGIN, ADMIN), post=roles(LOGIN, LOGIN, LOGIN, ADMIN))

EXPECTED: dict[str, Row] = {
    "home": READ_ONLY,  # overview
    "healthz": Row(get=roles(OK, OK, OK, OK), post=roles(NO, NO, NO, NO)),
    "readyz": Row(get=roles(OK, OK, OK, OK), post=roles(NO, NO, NO, NO)),
    "client-list": READ_ONLY,
    "client-detail": READ_ONLY,
    "client-export": READ_ONLY,
    "activity": READ_ONLY,
    "client-edit": CLIENT_EDITING,  # change_clients
    "user-edit": CLIENT_EDITING,  # change_client_users
    "login": Row(get=roles(OK, OK, OK, OK), post=roles(OK, OK, OK, OK)),  # signed in: redirected on
    "account_login": Row(get=roles(OK, OK, OK, OK), post=roles(OK, OK, OK, OK)),  # the same page
    # GET asks to confirm (a link alone never signs anyone out); POST signs out, to the login page.
    "logout": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, LOGIN, LOGIN, LOGIN)),
    "account_logout": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, LOGIN, LOGIN, LOGIN)),
    # Second factors (allauth): each staff member's own. Managing them asks for a fresh confirmation
    # first (a redirect to it, not to a login page: OK); an empty POST is a form error.
    "account_reauthenticate": MFA_PAGE,
    "mfa_index": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, NO, NO, NO)),
    # The second step of a sign-in: without a password step first, back to the login page.
    "mfa_authenticate": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, OK, OK, OK)),
    "mfa_reauthenticate": MFA_PAGE,
    "mfa_reauthenticate_webauthn": MFA_PAGE,
    "mfa_activate_totp": MFA_PAGE,
    # What the sample accounts do not have (an authenticator app, recovery codes): 404 ("404").
    "mfa_deactivate_totp": Row(get=roles(LOGIN, "404", "404", "404"), post=roles(LOGIN, "404", "404", "404")),
    "mfa_view_recovery_codes": Row(get=roles(LOGIN, "404", "404", "404"), post=roles(LOGIN, NO, NO, NO)),
    "mfa_generate_recovery_codes": MFA_PAGE,
    "mfa_download_recovery_codes": Row(
        get=roles(LOGIN, "404", "404", "404"), post=roles(LOGIN, "404", "404", "404")
    ),
    "mfa_list_webauthn": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, NO, NO, NO)),
    "mfa_add_webauthn": MFA_PAGE,
    # Someone else's key (or none) is not found: each person manages only their own keys.
    "mfa_remove_webauthn": Row(get=roles(LOGIN, "404", "404", "404"), post=roles(LOGIN, "404", "404", "404")),
    "mfa_edit_webauthn": Row(get=roles(LOGIN, "404", "404", "404"), post=roles(LOGIN, "404", "404", "404")),
    "password_change": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, OK, OK, OK)),
    "password_change_done": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, NO, NO, NO)),
    # Django's admin: superusers only; it sends everyone else to its own login page.
    "admin:*": ADMIN_ONLY,
    # Signing in goes through the dashboard's login (and its second factor), never the admin's form:
    # a superuser is sent on to the admin, anyone else signed in is refused.
    "admin:login": Row(get=roles(LOGIN, DENIED, DENIED, OK), post=roles(LOGIN, DENIED, DENIED, OK)),
    "admin:logout": Row(
        get=roles(LOGIN, OK, OK, NO), post=roles(LOGIN, OK, OK, LOGIN)
    ),  # non-staff: to /admin/
    # Saved views: every staff member with view_clients; renaming and deleting only by the owner or a
    # superuser (the sample view in PARAMS is shared, owned by a fifth account, so others see it).
    "saved-view-list": READ_ONLY,
    "saved-view-sidebar": READ_ONLY,
    "saved-view-create": Row(get=roles(LOGIN, NO, NO, NO), post=roles(LOGIN, OK, OK, OK)),
    "saved-view-update": Row(get=roles(LOGIN, NO, NO, NO), post=roles(LOGIN, DENIED, DENIED, OK)),
    "saved-view-delete": Row(get=roles(LOGIN, NO, NO, NO), post=roles(LOGIN, DENIED, DENIED, OK)),
    # The billing link (SPP): managers look; support agents link, unlink, edit contact fields and
    # sync (an empty POST is a form error, 422); the drift list is rebuilt by superusers only.
    "client-billing": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, DENIED, OK, OK)),
    "billing-edit": CLIENT_EDITING,
    "billing-sync": CLIENT_EDITING,
    "billing-drift": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, DENIED, DENIED, OK)),
    # Running a client's account: support agents create clients and change services (an empty POST
    # is a form error, 422), products and free features; managers only look at products and
    # features; changes across many clients are for superusers.
    "client-create": CLIENT_EDITING,
    "service-edit": CLIENT_EDITING,
    "client-availability": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, DENIED, OK, OK)),
    "client-features": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, DENIED, OK, OK)),
    "client-bulk": Row(get=roles(LOGIN, DENIED, DENIED, OK), post=roles(LOGIN, DENIED, DENIED, OK)),
    # Background work (recurring work, the queue, Run now) is for superusers; an empty POST names
    # no kind of work (422, the page with a message).
    "background-work": Row(get=roles(LOGIN, DENIED, DENIED, OK), post=roles(LOGIN, DENIED, DENIED, OK)),
    # A client's people and keys: support agents act (an empty POST is a form error, 422; resend
    # and reset post at once and come back to the page); managers see the tokens only.
    "user-invite": CLIENT_EDITING,
    "user-remove": CLIENT_EDITING,
    "user-resend-invitation": CLIENT_EDITING,
    "user-reset-password": CLIENT_EDITING,
    "client-tokens": READ_ONLY,
    "token-revoke": CLIENT_EDITING,
    # Needs attention: managers read the queue and its export; support agents assign, snooze and
    # resolve (an empty assignment gives the finding to nobody, an empty snooze is a form error);
    # scanning now is for superusers.
    "attention": READ_ONLY,
    "attention-export": READ_ONLY,
    "attention-scan": Row(get=roles(LOGIN, NO, NO, NO), post=roles(LOGIN, DENIED, DENIED, OK)),
    "finding-assign": CLIENT_EDITING,
    "finding-snooze": CLIENT_EDITING,
    "finding-resolve": CLIENT_EDITING,
    # One timeline per client: every role reads it; Refresh (POST: Gcore's log indexed now, then the
    # same page again) is for support agents and administrators.
    "client-timeline": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, DENIED, OK, OK)),
    # Gcore's account-wide log, as indexed: managers and up read it; Refresh as on the timeline.
    "gcore-activity": Row(get=roles(LOGIN, OK, OK, OK), post=roles(LOGIN, DENIED, OK, OK)),
    # The reseller's own settings: administrators only (an empty POST is a form error, 422).
    "seller-list": Row(get=roles(LOGIN, DENIED, DENIED, OK), post=roles(LOGIN, NO, NO, NO)),
    "seller-create": RESELLER_SETTINGS,
    "seller-edit": RESELLER_SETTINGS,
    "seller-delete": RESELLER_SETTINGS,
    "settings-products": RESELLER_SETTINGS,
    "settings-products-reset": RESELLER_SETTINGS,
    "settings-notifications": RESELLER_SETTINGS,
    "settings-notification-edit": RESELLER_SETTINGS,
    "settings-notification-toggle": RESELLER_SETTINGS,  # a GET goes to the list
    "settings-notification-delete": RESELLER_SETTINGS,
    "settings-branding": RESELLER_SETTINGS,
    "settings-branding-upload": RESELLER_SETTINGS,
}


def _shared_saved_view(sandbox) -> int:
    from django.apps import apps

    owner = make_staff("olga.owner", "Managers")
    return (
        apps.get_model("dashboard", "SavedView")
        .objects.create(owner=owner, name="Active CDN", query="cdn=active", shared=True)
        .pk
    )


# Path parameter name -> sample value (a callable gets the sandbox, and runs inside the test's
# database transaction). Ids of our own views exist; the admin's object ids do not, so a
# superuser's POST there cannot delete or change anything.
def _linked_client(sb) -> dict:
    """A live client with users and a live API token, linked to the one SPP client with its email
    (for the billing and token pages)."""
    from django.conf import settings

    from dashboard.models import BillingLink
    from dashboard.spp import get_spp_sandbox

    spp = get_spp_sandbox()
    headers = {"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"}

    def has_live_token(client_id: int) -> bool:
        tokens = sb.handle("GET", f"/iam/v2/clients/{client_id}/tokens", headers=headers).json()
        return any(not token["deleted"] for token in tokens)

    for client_id in sb.client_ids():
        client = sb.client_json(client_id)
        matches = spp.ids_with_email(client["email"])
        if not client["deleted"] and client["users"] and len(matches) == 1 and has_live_token(client_id):
            BillingLink.objects.get_or_create(
                gcore_client_id=client_id, defaults={"spp_client_id": matches[0], "method": "email"}
            )
            return client
    raise AssertionError("the sandboxes have no client linkable by email")


def _service_id(sb) -> int:
    """The linked client's first service, as GET /iam/clients/{id}/services lists it."""
    from django.conf import settings

    client_id = _linked_client(sb)["id"]
    headers = {"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"}
    return sb.handle("GET", f"/iam/clients/{client_id}/services", headers=headers).json()[0]["id"]


def _token_id(sb) -> int:
    """The linked client's first live API token."""
    from django.conf import settings

    client_id = _linked_client(sb)["id"]
    headers = {"Authorization": f"APIKey {settings.GCORE_SANDBOX_TOKEN}"}
    tokens = sb.handle("GET", f"/iam/v2/clients/{client_id}/tokens", headers=headers).json()
    return next(token["id"] for token in tokens if not token["deleted"])


def _finding(sb) -> int:
    """An open finding about the linked client (no scan needed)."""
    from django.utils import timezone

    from dashboard.models import Finding

    now = timezone.now()
    finding, _ = Finding.objects.get_or_create(
        rule=Finding.Rule.NO_ADMIN,
        client_id=_linked_client(sb)["id"],
        subject="",
        defaults={"first_seen_at": now, "last_seen_at": now},
    )
    return finding.pk


PARAMS = {
    "finding_id": _finding,
    "client_id": lambda sb: _linked_client(sb)["id"],
    "service_id": _service_id,
    "token_id": _token_id,
    "seller_id": "51",  # a seeded seller (the sandbox's catalogue)
    "setting_id": "201",  # a seeded notification e-mail (the sandbox's)
    "pk": "987654321",  # a passkey's id: none exists, and managing one asks for a confirmation first
    "user_id": lambda sb: _linked_client(sb)["users"][0]["id"],
    "view_id": _shared_saved_view,
    "object_id": "987654321",
    "id": "987654321",
    "app_label": "auth",
    "content_type_id": lambda sb: ContentType.objects.get_for_model(get_user_model()).pk,
    "url": "no-such-admin-page/",
}


# --- discovery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # "name", "namespace:name", or "namespace:<route>" for an unnamed pattern
    namespace: str
    template: str  # the path with "{param}" placeholders
    params: tuple[str, ...]


_PATH_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def _template(pattern) -> str:
    text = str(pattern)
    if _REGEX_PARAM.search(text) or text.startswith("^") or text.endswith("$"):
        text = _REGEX_PARAM.sub(lambda m: "{" + m[1] + "}", text.lstrip("^").rstrip("$")).replace("\\", "")
    return _PATH_PARAM.sub(lambda m: "{" + m[1] + "}", text)


def discover(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> list[Route]:
    resolver = resolver or get_resolver()
    found: list[Route] = []
    for entry in resolver.url_patterns:
        template = prefix + _template(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) if entry.namespace else namespace
            found += discover(entry, template, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name or f"<{entry.pattern}>"
            key = f"{namespace}:{name}" if namespace else name
            found.append(Route(key, namespace, template, tuple(re.findall(r"{(\w+)}", template))))
    return found


def row_for(route: Route) -> Row | None:
    if route.key in EXPECTED:
        return EXPECTED[route.key]
    return EXPECTED.get(f"{route.namespace}:*") if route.namespace else None


ROUTES = discover()


def sample_url(route: Route, sandbox) -> str:
    """The route's path with PARAMS' sample values (callables run now, in the caller's database)."""
    values = {p: (v(sandbox) if callable(v := PARAMS[p]) else v) for p in route.params}
    return "/" + route.template.format(**values)
