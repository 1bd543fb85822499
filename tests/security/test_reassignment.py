"""Moving a client to another reseller or seller is for superusers only, whatever the browser sends."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers import FormValues, logged_in

pytestmark = pytest.mark.django_db


def _edit_url(client_id: int) -> str:
    return reverse("client-edit", kwargs={"client_id": client_id})


@pytest.fixture
def target(sandbox) -> dict:
    return next(
        c for i in sandbox.client_ids() if not (c := sandbox.client_json(i))["deleted"] and c["resellers"]
    )


def _post_with_another_reseller(user, client: dict, sandbox) -> tuple[FormValues, object]:
    http = logged_in(user)
    url = _edit_url(client["id"])
    form = FormValues("company_name")
    form.feed(http.get(url).content.decode())
    other = next(r for r in sandbox.reseller_ids() if r != client["resellers"])
    data = dict(form.values, reseller=str(other), company_name=f"{client['companyName']} (moved)")
    return form, http.post(url, data), other


def test_a_support_agent_cannot_move_a_client(support, sandbox, target):
    form, response, _ = _post_with_another_reseller(support, target, sandbox)
    assert {"reseller", "seller"} <= form.disabled  # shown, not editable
    # Saved (the rest of the edit), and back to the client's page as after any save without htmx.
    assert (response.status_code, response["Location"]) == (302, f"/clients/{target['id']}/")
    after = sandbox.client_json(target["id"])
    assert after["resellers"] == target["resellers"]
    assert after["companyName"].endswith("(moved)")  # the rest of the edit went through


def test_a_superuser_can(admin_user, sandbox, target):
    form, response, other = _post_with_another_reseller(admin_user, target, sandbox)
    assert "reseller" not in form.disabled
    assert (response.status_code, response["Location"]) == (302, f"/clients/{target['id']}/")
    assert sandbox.client_json(target["id"])["resellers"] == other
