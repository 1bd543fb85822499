"""Every change the dashboard makes has one view shape (dashboard/changes.py): the failure
handling cannot differ between actions, and no view handles an upstream failure itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, get_resolver

from dashboard.changes import ChangeView

ROOT = Path(__file__).resolve().parent.parent
CHANGES = (
    "client-edit", "user-edit", "service-edit", "client-availability", "client-features", "client-create",
    "user-invite", "user-remove", "user-resend-invitation", "user-reset-password", "token-revoke",
    "billing-edit", "billing-sync", "client-bulk",
)  # fmt: skip


@pytest.mark.parametrize("name", CHANGES)
def test_each_change_is_a_change_view(name):
    patterns = [entry for entry in get_resolver().url_patterns if isinstance(entry, URLPattern)]
    (view,) = [pattern.callback for pattern in patterns if pattern.name == name]
    assert issubclass(getattr(view, "view_class", type(None)), ChangeView), f"{name} is not a ChangeView"


def test_no_view_catches_an_upstream_failure_itself():
    caught = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "dashboard" / "views").glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"except .*(Upstream|Gcore|Spp)\w*(Error|NotFound|Denied)", line)
    ]
    assert not caught, "the change shape (dashboard/changes.py) handles these:\n" + "\n".join(caught)
