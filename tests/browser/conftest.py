"""Playwright in Debian's Chromium against a live dashboard server (the in-process sandbox behind it)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test itself
# (creating staff accounts) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}: install Debian's chromium package (make browser)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.errors = []  # uncaught page errors, checked by tests that care
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


# CSP violations are caught twice: the `securitypolicyviolation` DOM event (recorded by an init
# script, which DevTools injects outside the page's CSP) and Chromium's console "Refused to ..." lines.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


@pytest.fixture
def watched(page):
    """The page, recording CSP violations of every document it loads (see assert_no_csp_violation)."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.csp_console = []
    page.on(
        "console",
        lambda msg: page.csp_console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return page
