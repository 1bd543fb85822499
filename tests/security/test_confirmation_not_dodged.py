"""The fresh confirmation of the seller delete and the all-clients reset, with a stale confirmation
and a doctored form: whatever the reason and the tick are made to look like (sent twice, in either
order, a value other than the browser's), the action is either asked to be confirmed first or
refused, and nothing reaches Gcore."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.helpers import logged_in, writes

pytestmark = pytest.mark.django_db

DOCTORED = [
    [("reason", "left"), ("confirm", "on"), ("confirm", "")],
    [("reason", "left"), ("confirm", ""), ("confirm", "on")],
    [("reason", "left"), ("reason", ""), ("confirm", "on")],
    [("reason", ""), ("reason", "left"), ("confirm", "on")],
    [("reason", "left"), ("confirm", "0")],
    [("reason", "left"), ("confirm", "false")],
    [("reason", " \t"), ("confirm", "on")],
    [("reason", "left\x00"), ("confirm", "on")],
    [("reason", "left"), ("confirm", ["on", "on"])],
]


@pytest.mark.parametrize("url", ["/sellers/53/delete/", "/settings/products/reset/"])
@pytest.mark.parametrize("pairs", DOCTORED, ids=range(len(DOCTORED)))
def test_a_stale_confirmation_with_a_doctored_form_sends_nothing(admin_user, wire, url, pairs):
    stale = logged_in(admin_user, confirmed=False)
    response = stale.post(url, urlencode(pairs, doseq=True), content_type="application/x-www-form-urlencoded")
    asked = response.status_code == 302 and "reauthenticate" in response["Location"]
    assert asked or response.status_code in (400, 422), response.status_code
    assert writes(wire) == []
