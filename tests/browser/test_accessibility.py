"""Every page the permission matrix knows, for every role, passes axe-core against WCAG 2.1 A and AA.

The pages come from the matrix's own table (tests/security/matrix.py): every GET a role gets OK
(or the admin's own answer) for, so a new view is checked as soon as it has its row. Beside them,
the states a page reaches only through a person's hands: a form opened in place, a form with its
errors, a filtered list with a bad value, a second factor set up and used, the refusal and
not-found pages. One browser, one context per role (signed in once); axe (vendored, see
tests/browser/vendor/README.md) is injected into every document by an init script, which DevTools
runs outside the page's CSP, and runs once the page and its htmx regions have settled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.helpers import log_in
from tests.security.matrix import ADMIN, OK, ROLES, ROUTES, row_for, sample_url

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Counts the htmx requests in flight, so a page is audited only once its regions have arrived
# (regions loaded on "load", polls) and htmx has finished swapping them in.
HTMX_WATCH = """
window.__htmxInFlight = 0;
document.addEventListener("htmx:beforeRequest", () => { window.__htmxInFlight += 1; });
document.addEventListener("htmx:afterRequest", () => { window.__htmxInFlight -= 1; });
"""
SETTLED = """() => document.readyState === "complete" && window.__htmxInFlight === 0
  && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")"""

# Every rule tagged WCAG 2.0/2.1 A or AA, the experimental ones among them too (axe leaves those off
# unless a run names them).
RUN_AXE = """async (tags) => {
  const rules = axe.getRules(tags).map((rule) => rule.ruleId);
  const options = {runOnly: {type: "rule", values: rules}, resultTypes: ["violations"]};
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((node) => ({target: node.target.join(" "), summary: node.failureSummary})),
  }));
}"""
SHOWN_NODES = 5  # per violation and page: enough to find the template


@dataclass
class Audit:
    """What axe found, per role and page, and which pages it looked at."""

    role: str
    seen: list[str]
    problems: list[str]

    def run(self, page, where: str) -> None:
        page.wait_for_function(SETTLED)
        self.seen.append(where)
        for violation in page.evaluate(RUN_AXE, WCAG_21_AA):
            nodes = violation["nodes"]
            targets = "\n".join(
                f"      {node['target']}\n        {node['summary'].replace(chr(10), ' / ')}"
                for node in nodes[:SHOWN_NODES]
            ) + (f"\n      ... and {len(nodes) - SHOWN_NODES} more" if len(nodes) > SHOWN_NODES else "")
            headline = f"{self.role} {where}: {violation['id']} ({violation['impact']}): {violation['help']}"
            self.problems.append(f"{headline}\n{targets}")


def may_see(route, role: str) -> bool:
    row = row_for(route)
    return row is not None and getattr(row.get, role) in (OK, ADMIN)


def open_page(page, url: str):
    """The response of a navigation to `url`, or None when it is no page (a download, say)."""
    try:
        response = page.goto(url)
    except PlaywrightError as error:  # the CSV export: Chromium downloads it, nothing is shown
        if "Download is starting" in str(error):
            return None
        raise
    return response


def is_html_page(response) -> bool:
    return response is not None and response.ok and "text/html" in response.headers.get("content-type", "")


# -- states a person reaches by hand (each for the roles it names) ---------------------------------
# Each takes the page, the matrix's client page (a client with users, services, an API token and an
# SPP record) and `check`, gets there, and calls check(name) in each state worth auditing.

Check = Callable[[str], None]
State = Callable[[object, str, Check], None]


def client_edit_open(page, client_url: str, check: Check) -> None:
    page.goto(client_url)
    page.get_by_role("button", name="Edit client").click()
    expect(page.locator("#client-edit form")).to_be_visible()
    check("client page, Edit client open")


def client_edit_with_errors(page, client_url: str, check: Check) -> None:
    page.goto(client_url)
    page.get_by_role("button", name="Edit client").click()
    page.locator("#client-edit input[name=email]").fill("not an email")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#client-edit [aria-invalid=true]").first).to_be_visible()
    check("client page, Edit client with an error")


def opened_in_place(button: str, region: str, shows: str, name: str) -> State:
    """A state: the client page with the link or button `button` (a pattern) in `region` clicked,
    and the form it opens in place (`shows`) on screen."""

    def state(page, client_url: str, check: Check) -> None:
        page.goto(client_url)
        page.locator(region).locator("a", has_text=re.compile(f"^(?:{button})")).first.click()
        expect(page.locator(shows)).to_be_visible()
        check(f"client page, {name} open")

    return state


def new_client_with_errors(page, client_url: str, check: Check) -> None:
    page.goto("/clients/new/")
    page.get_by_role("button", name="Create client").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    check("new client, sent empty")


def new_client_created(page, client_url: str, check: Check) -> None:
    page.goto("/clients/new/")
    page.locator("input[name=email]").fill("axe.checker@example.org")
    page.locator("input[name=company]").fill("Axe Checker Ltd")
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Axe Checker")
    check("new client created, its password shown once")


def filtered_list(page, client_url: str, check: Check) -> None:
    page.goto("/clients/?cdn=active&is_test=false&created_at_gte=not-a-date&ordering=-companyName")
    expect(page.locator("details.advanced")).to_have_attribute("open", "")
    check("client list, filtered, with a bad date")


def bulk_preview(page, client_url: str, check: Check) -> None:
    page.goto("/clients/?cdn=active")
    page.locator("table.clients input[type=checkbox]").nth(1).check()
    page.get_by_label("Service", exact=True).select_option(index=1)
    page.get_by_label("New status").select_option(index=1)
    page.get_by_role("button", name="Preview for the ticked clients").click()
    expect(page.get_by_role("button", name="Start the change")).to_be_visible()
    check("a change across many clients, previewed")


def staff_account_in_admin(page, client_url: str, check: Check) -> None:
    page.goto("/admin/auth/user/")
    page.get_by_role("link", name="mia.manager").click()
    expect(page.locator("#user_form")).to_be_visible()
    check("admin, a staff account's change page")


def second_factor_pages(page, client_url: str, check: Check) -> None:
    """An authenticator app set up (a wrong code first), the pages of a person who has one, and the
    sign-in's second step (with a recovery code, so no code is used twice)."""
    page.goto("/accounts/2fa/totp/activate/")
    secret = page.get_by_label("Secret (base32)").input_value()
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    page.get_by_label("Code from the app").fill(wrong)
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    check("authenticator app set-up, with a wrong code")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#recovery_codes")).to_be_visible()
    check("recovery codes, shown once")
    recovery_code = page.locator("#recovery_codes").input_value().split()[0]
    for path in ("/accounts/2fa/", "/accounts/2fa/recovery-codes/", "/accounts/2fa/totp/deactivate/"):
        assert page.goto(path).ok
        check(f"with an authenticator app: {path}")
    page.goto("/accounts/logout/")
    page.get_by_role("button", name="Log out").click()
    log_in(page, "mia.manager")
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    check("sign-in, the second step")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(recovery_code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()


def refused(page, client_url: str, check: Check) -> None:
    response = page.goto(f"{client_url}edit/")
    assert response.status == 403
    check("a refused page (403)")


def not_found(page, client_url: str, check: Check) -> None:
    response = page.goto("/no-such-page/")
    assert response.status == 404
    check("a page that does not exist (404)")


STAFF, EDITORS = ("manager", "support", "superuser"), ("support", "superuser")
USER_FORM = "#user-editor form"
STATES: list[tuple[State, tuple[str, ...]]] = [
    (filtered_list, STAFF),
    (client_edit_open, EDITORS),
    (client_edit_with_errors, EDITORS),
    (opened_in_place("Edit", "#client-users", USER_FORM, "a user's Edit"), EDITORS),
    (opened_in_place("Reset password|Resend", "#client-users", USER_FORM, "a user's reset"), EDITORS),
    (opened_in_place("Remove", "#client-users", USER_FORM, "a user's Remove"), EDITORS),
    (opened_in_place("Invite a user", "#client-users", USER_FORM, "Invite a user"), EDITORS),
    (opened_in_place("Change", "#client-services", "#service-editor form", "a service's Change"), EDITORS),
    (opened_in_place("Edit in SPP", "#billing-panel", "#billing-edit form", "Edit in SPP"), EDITORS),
    (opened_in_place("Sync with Gcore", "#billing-panel", "#billing-sync form", "Sync with Gcore"), EDITORS),
    (new_client_with_errors, EDITORS),
    (new_client_created, EDITORS),
    (bulk_preview, ("superuser",)),
    (staff_account_in_admin, ("superuser",)),
    (refused, ("manager",)),
    (not_found, ("anonymous", "manager")),
    (second_factor_pages, ("manager",)),  # last: it changes how this person signs in
]


# Each role's browser: the support agent's is a phone asking for a dark theme, so the pages are
# checked narrow (tables scrolling in their own box) and whatever theme the system asks for.
DESKTOP = {"color_scheme": "light", "viewport": {"width": 1280, "height": 800}}
PHONE_DARK = {"color_scheme": "dark", "viewport": {"width": 390, "height": 844}}
BROWSERS = {"anonymous": DESKTOP, "manager": DESKTOP, "support": PHONE_DARK, "superuser": DESKTOP}


@pytest.fixture
def accounts(manager, support, admin_user) -> dict:
    return {"anonymous": None, "manager": manager, "support": support, "superuser": admin_user}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)  # the matrix's roles
def test_every_page_a_role_may_see_passes_axe(role, accounts, chromium, live_server, sandbox):
    # Sample URLs first: their values are made in the database (a linked client, a shared view).
    urls = {route.key: sample_url(route, sandbox) for route in ROUTES if may_see(route, role)}
    context = chromium.new_context(base_url=live_server.url, **BROWSERS[role])
    context.add_init_script(path=str(AXE))
    context.add_init_script(HTMX_WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    width, scheme = BROWSERS[role]["viewport"]["width"], BROWSERS[role]["color_scheme"]
    audit = Audit(f"{role} ({width} px, {scheme})", seen=[], problems=[])
    try:
        if accounts[role] is not None:
            log_in(page, accounts[role].username)
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
        audited: set[str] = set()
        for key, url in sorted(urls.items()):  # "logout" only asks to confirm: the session stays
            response = open_page(page, url)
            if not is_html_page(response) or page.url in audited:
                continue  # not a page (a probe, a file), or one already audited under another name
            audited.add(page.url)
            landed = urlsplit(page.url).path
            audit.run(page, f"{key} {url}" + (f" -> {landed}" if landed != urlsplit(url).path else ""))
        for state, roles in STATES:
            if role in roles:
                state(page, urls.get("client-detail", ""), lambda where: audit.run(page, where))
    finally:
        context.close()
    assert audit.seen, f"{role}: no page was audited"
    print(f"{role}: axe ran on {len(audit.seen)} pages and states:", *audit.seen, sep="\n  ")  # with -s
    if audit.problems:
        found = "\n".join(audit.problems)
        pytest.fail(f"axe-core: {len(audit.problems)} WCAG 2.1 A/AA violations:\n{found}", pytrace=False)
