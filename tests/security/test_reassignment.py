"""Moving a client to another reseller or seller is for superusers only, whatever the browser sends."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.helpers import logged_in

pytestmark = pytest.mark.django_db


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
