from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = pytest.mark.browser


def test_a_manager_logs_in_and_sees_the_clients(page, manager, sandbox):
    log_in(page, manager.username)
    expect(page).to_have_url(re.compile(r"/clients/$"))
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    expect(page.get_by_text("Sandbox data")).to_be_visible()
    first = sandbox.client_json(min(i for i in sandbox.client_ids() if not sandbox.client_json(i)["deleted"]))
    expect(page.locator("#client-results tbody tr").first.locator("td").first).to_have_text(str(first["id"]))
    expect(page.locator("#client-results tbody tr")).to_have_count(25)
    assert page.errors == []
