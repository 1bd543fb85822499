"""Needs attention in Chromium: a support agent opens the queue, assigns a finding to themselves,
follows its action link, fixes it, and after the next scan the finding is gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboard.models import Finding
from dashboard.services.attention import attention_scan, findings_query
from tests.helpers import log_in, services_of

pytestmark = pytest.mark.browser


def test_support_assigns_a_finding_fixes_it_and_the_next_scan_sees_it_gone(page, support, sandbox, settings):
    settings.ATTENTION_MAX_REQUESTS_PER_MINUTE = 100_000
    attention_scan(rule=Finding.Rule.DELETION_DUE)
    finding = findings_query(rule=Finding.Rule.DELETION_DUE, state="open").first()
    assert finding is not None
    service = finding.details["service"]

    log_in(page, support.username)
    page.goto("/attention/?rule=deletion_due")
    row = page.locator(f"#finding-{finding.pk}")
    expect(row).to_contain_text("will be deleted on")
    row.get_by_role("button", name="Assign to me").click()
    row = page.locator(f"#finding-{finding.pk}")
    expect(row).to_contain_text(f"Assigned to {support.username}")
    expect(page.locator("header")).to_contain_text("Needs attention 1")

    row.get_by_role("link", name=f"Change the {service} service").click()
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Change service").click()
    expect(page.locator("#alerts")).to_contain_text(f"{service} service saved")
    assert services_of(sandbox, finding.client_id)[service]["status"] == "active"

    attention_scan(rule=Finding.Rule.DELETION_DUE)  # the next scan
    page.goto("/attention/?rule=deletion_due")
    expect(page.locator("#attention-results")).to_be_visible()
    expect(page.locator(f"#finding-{finding.pk}")).to_have_count(0)
    page.goto("/attention/?state=resolved")
    expect(page.locator(f"#finding-{finding.pk}")).to_contain_text("gone at Gcore")
    assert page.errors == []
