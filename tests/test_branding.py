"""The reseller's branding through the dashboard against the sandbox: the settings' one PUT with the
changes (the mail password write-only), Gcore's refusals on their fields, conflicts, and the logo
and favicon upload checked before sending."""

from __future__ import annotations

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dashboard.models import AuditEntry
from tests.helpers import FormValues, gcore_call, writes

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ICO = b"\x00\x00\x01\x00" + b"\x00" * 64
SECRET = "sandbox-smtp-password"  # the sandbox's seeded mail password


def page(response) -> str:
    return html.unescape(response.content.decode())


def form_values(http) -> dict[str, str]:
    parser = FormValues("brand_name")
    parser.feed(http.get("/settings/branding/").content.decode())
    return parser.values


def branding(sandbox) -> dict:
    return gcore_call(sandbox, "GET", "/iam/reselling/settings")[1]


def test_the_page_shows_the_settings_grouped_and_never_the_password(admin_client_):
    response = admin_client_.get("/settings/branding/")
    assert response.status_code == 200
    text = page(response)
    for heading in ("Brand and contacts", "Colours", "help menu shows", "Mail server", "Logo and favicon"):
        assert heading in text
    assert 'value="Edge CDN"' in text and 'value="smtp.edge-reseller.example"' in text
    assert SECRET not in text
    assert "Gcore holds a password for it" in text
    # The static preview carries the saved colours; the page says why no logo is shown.
    assert 'data-part="header" x="0" y="0" width="480" height="44" fill="#0b3d91"' in text
    assert 'fill="#ff6a00"' in text
    assert "Gcore does not say where the current logo and favicon are" in text
    assert "no-store" in response["Cache-Control"]


def test_a_change_is_one_put_of_the_whole_settings_keeping_the_password(admin_client_, sandbox, wire):
    data = form_values(admin_client_) | {"brand_name": "Edge Cloud", "color_primary": "#00a86b"}
    response = admin_client_.post("/settings/branding/", data | {"action": "save"})
    assert response.status_code == 302
    [(method, path, body)] = writes(wire)
    assert (method, path) == ("PUT", "/iam/reselling/settings")
    assert body["publicSettings"]["brandName"] == "Edge Cloud"
    assert body["publicSettings"]["colors"] == {"header": "#0b3d91", "primary": "#00a86b"}
    assert body["privateSettings"]["mailServer"]["password"] == SECRET  # kept: none was typed
    stored = branding(sandbox)
    assert stored["publicSettings"]["brandName"] == "Edge Cloud"
    assert stored["privateSettings"]["mailServer"]["password"] == SECRET
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPDATE)
    assert entry.outcome == "saved"
    assert {c["field"] for c in entry.changes} == {
        "publicSettings.brandName",
        "publicSettings.colors.primary",
    }


def test_a_new_mail_password_is_sent_but_never_shown_or_audited(admin_client_, sandbox, wire):
    data = form_values(admin_client_) | {"mail_password": "n3w-Secret-pass", "action": "save"}
    response = admin_client_.post("/settings/branding/", data)
    assert response.status_code == 302
    assert writes(wire)[0][2]["privateSettings"]["mailServer"]["password"] == "n3w-Secret-pass"
    assert branding(sandbox)["privateSettings"]["mailServer"]["password"] == "n3w-Secret-pass"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPDATE)
    dumped = json.dumps([entry.changes, entry.details, entry.message])
    assert "n3w-Secret-pass" not in dumped and SECRET not in dumped
    assert entry.changes == [
        {"field": "privateSettings.mailServer.password", "old": None, "new": "(a new one)"}
    ]
    assert "n3w-Secret-pass" not in page(admin_client_.get("/settings/branding/"))


def test_nothing_changed_sends_nothing(admin_client_, wire):
    response = admin_client_.post("/settings/branding/", form_values(admin_client_) | {"action": "save"})
    assert response.status_code == 302 and writes(wire) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("color_header", "blue", "six hex digits"),
        ("color_primary", "#12345", "six hex digits"),
        ("from_email", "noreply@", "valid email"),
        ("support_email", "help desk", "valid email"),
        ("website_link", "not a link", "valid URL"),
        ("mail_port", "58 7", "up to five digits"),
    ],
)
def test_bad_input_is_refused_here_and_kept(admin_client_, wire, field, value, message):
    data = form_values(admin_client_) | {field: value, "mail_password": "typed-secret", "action": "save"}
    response = admin_client_.post("/settings/branding/", data)
    assert response.status_code == 422
    text = page(response)
    assert message in text and f'value="{value}"' in text
    assert "typed-secret" not in text  # a password is never sent back to the browser
    assert writes(wire) == []
    assert AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPDATE).outcome == "rejected"


def test_a_too_long_value_is_refused_here_at_gcores_length(admin_client_, wire):
    data = form_values(admin_client_) | {"support_phone": "x" * 300, "action": "save"}
    response = admin_client_.post("/settings/branding/", data)
    assert response.status_code == 422
    assert "at most 255 characters" in page(response)
    assert writes(wire) == []


def test_a_gcore_403_is_shown_with_the_input_kept(admin_client_, sandbox, wire):
    data = form_values(admin_client_) | {"mail_host": "smtp." + "a" * 260 + ".example", "action": "save"}
    data["mail_host"] = data["mail_host"][:255]
    sandbox.add_fault("status", method="PUT", path="/iam/reselling/settings", status=403)
    response = admin_client_.post("/settings/branding/", data)
    assert response.status_code == 422
    assert "Gcore refused" in page(response) and data["mail_host"] in page(response)
    assert AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPDATE).upstream_status == 403


def test_a_change_made_in_gcore_meanwhile_is_a_conflict(admin_client_, sandbox, wire):
    data = form_values(admin_client_) | {"brand_name": "Edge Cloud", "action": "save"}
    current = branding(sandbox)
    current["publicSettings"]["brandName"] = "Edge Networks"
    gcore_call(sandbox, "PUT", "/iam/reselling/settings", current)
    wire.clear()
    response = admin_client_.post("/settings/branding/", data)
    assert response.status_code == 422
    assert "Edge Networks" in page(response) and writes(wire) == []
    response = admin_client_.post("/settings/branding/", data | {"overwrite": "1"})
    assert response.status_code == 302
    assert writes(wire)[0][2]["publicSettings"]["brandName"] == "Edge Cloud"


def test_a_doctored_post_sends_nothing(admin_client_, wire):
    response = admin_client_.post(
        "/settings/branding/", {"original": '"x"', "brand_name": "A", "action": "save"}
    )
    assert response.status_code in (400, 422)
    assert writes(wire) == []


# -- the logo and favicon ----------------------------------------------------------------------------


def upload(http, data: dict, **files):
    return http.post("/settings/branding/upload/", data | files)


def test_an_uploaded_logo_is_accepted_and_said_so(admin_client_, sandbox, wire):
    response = upload(
        admin_client_, form_values(admin_client_), logo=SimpleUploadedFile("logo.png", PNG, "image/png")
    )
    assert response.status_code == 302
    assert [(m, p) for m, p, _ in writes(wire)] == [("POST", "/iam/reselling/settings/upload")]
    assert sandbox.branding_asset("logo") == ("logo.png", "image/png", PNG)
    text = page(admin_client_.get(response["Location"]))
    assert "Gcore accepted the logo logo.png" in text
    assert (
        "Gcore accepted logo.png (image/png, 1 KB), uploaded through the dashboard by ada.admin"
        in " ".join(
            text.replace("<em>", "")
            .replace("</em>", "")
            .replace("<strong>", "")
            .replace("</strong>", "")
            .split()
        )
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPLOAD)
    assert entry.outcome == "saved" and entry.details["assets"]["logo"]["filename"] == "logo.png"


def test_logo_and_favicon_at_once(admin_client_, sandbox):
    response = upload(
        admin_client_,
        form_values(admin_client_),
        logo=SimpleUploadedFile("logo.png", PNG, "image/png"),
        favicon=SimpleUploadedFile("favicon.ico", ICO, "image/x-icon"),
    )
    assert response.status_code == 302
    assert sandbox.branding_asset("favicon") == ("favicon.ico", "image/x-icon", ICO)


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (
            SimpleUploadedFile("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
            "not an image Gcore takes",
        ),
        (SimpleUploadedFile("logo.png", b"%PDF-1.4 pretending", "image/png"), "not an image Gcore takes"),
        (SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024), "image/png"), "at most 1 MB"),
    ],
)
def test_a_bad_file_is_refused_before_sending_and_nothing_else_is_lost(admin_client_, wire, file, message):
    data = form_values(admin_client_) | {"brand_name": "Typed, not saved"}
    response = upload(admin_client_, data, logo=file)
    assert response.status_code == 422
    text = page(response)
    assert message in text
    assert 'value="Typed, not saved"' in text
    assert writes(wire) == []
    assert AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPLOAD).outcome == "rejected"


def test_an_upload_without_a_file_is_refused(admin_client_, wire):
    response = upload(admin_client_, form_values(admin_client_))
    assert response.status_code == 422
    assert "Choose a logo, a favicon or both" in page(response) and writes(wire) == []


def test_gcores_refusal_of_an_upload_is_shown_and_keeps_the_rest(admin_client_, sandbox, wire):
    sandbox.add_fault("status", method="POST", path="/iam/reselling/settings/upload", status=400)
    data = form_values(admin_client_) | {"brand_name": "Typed, not saved"}
    response = upload(admin_client_, data, logo=SimpleUploadedFile("logo.png", PNG, "image/png"))
    text = page(response)
    assert response.status_code == 422 and 'value="Typed, not saved"' in text
    assert len(writes(wire)) == 1
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPLOAD)
    assert entry.outcome == "rejected" and entry.upstream_status == 400


def test_an_upload_with_unsaved_changes_keeps_them_on_the_page(admin_client_, sandbox, wire):
    data = form_values(admin_client_) | {"brand_name": "Typed, not saved"}
    response = upload(admin_client_, data, logo=SimpleUploadedFile("logo.png", PNG, "image/png"))
    assert response.status_code == 200
    text = page(response)
    assert "Gcore accepted the logo logo.png" in text and "not saved yet" in text
    assert 'value="Typed, not saved"' in text
    assert [m for m, _, _ in writes(wire)] == ["POST"]
    assert branding(sandbox)["publicSettings"]["brandName"] == "Edge CDN"


def test_a_failed_upload_is_said_and_not_sent_again(admin_client_, sandbox, wire):
    sandbox.add_fault("timeout", method="POST", path="/iam/reselling/settings/upload")
    data = form_values(admin_client_) | {"brand_name": "Typed, not saved"}
    response = upload(admin_client_, data, logo=SimpleUploadedFile("logo.png", PNG, "image/png"))
    text = page(response)
    assert "may or may not have been applied" in text and 'value="Typed, not saved"' in text
    assert len(writes(wire)) == 1


def test_only_administrators(support_client, manager_client, wire):
    for http in (support_client, manager_client):
        assert http.get("/settings/branding/").status_code == 403
        response = http.post(
            "/settings/branding/upload/", {"logo": SimpleUploadedFile("l.png", PNG, "image/png")}
        )
        assert response.status_code == 403
    assert writes(wire) == []


TOO_LONG = "Ensure this field has no more than 20 characters."


@pytest.mark.parametrize(
    ("body", "shown_on_field"),
    [
        # DRF's own shape for a nested serializer: the message lands on its field.
        ({"publicSettings": {"supportPhone": [TOO_LONG]}}, True),
        # The documented shape, with nested errors flattened under the top-level key: on the field too.
        ({"errors": {"publicSettings": [f"supportPhone: {TOO_LONG}"]}}, True),
        # A key the form does not hold: above the form, named.
        ({"errors": {"publicSettings": ["showCdnStats: Must be a valid boolean."]}}, False),
    ],
)
def test_gcores_field_errors_land_on_their_field(admin_client_, monkeypatch, body, shown_on_field):
    import httpx

    from dashboard.sandbox import SandboxTransport

    passing = SandboxTransport.handle_request

    def refusing(self, request):  # Gcore's answer to the PUT, at the edge: the transport
        if request.method == "PUT":
            return httpx.Response(400, json=body, request=request)
        return passing(self, request)

    monkeypatch.setattr(SandboxTransport, "handle_request", refusing)
    data = form_values(admin_client_) | {"support_phone": "+44 20 5550 1000 ext. 1234"}
    response = admin_client_.post("/settings/branding/", data)
    assert response.status_code == 422
    text = page(response)
    message = "no more than 20 characters" if shown_on_field else "showCdnStats: Must be a valid boolean."
    assert message in text and 'value="+44 20 5550 1000 ext. 1234"' in text
    field = text[text.index('id="id_support_phone"') - 600 : text.index('id="id_support_phone"') + 400]
    assert (message in field) is shown_on_field
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BRANDING_UPDATE)
    assert entry.outcome == "rejected" and entry.upstream_status == 400


def test_a_logo_sent_twice_is_refused_as_tampered_and_nothing_is_sent(admin_client_, sandbox, wire):
    """The page's file input takes one file: two under one name were not sent by it (Django would
    quietly upload the last)."""
    data = form_values(admin_client_) | {"brand_name": "Typed, not saved"}
    two = [SimpleUploadedFile("one.png", PNG, "image/png"), SimpleUploadedFile("two.png", PNG, "image/png")]
    response = admin_client_.post("/settings/branding/upload/", data | {"logo": two})
    assert response.status_code == 400
    text = page(response)
    assert "changed outside the page: reload it" in text and 'value="Typed, not saved"' in text
    assert writes(wire) == []
    assert sandbox.branding_asset("logo") is None


@pytest.mark.parametrize(
    "doctor",
    [
        lambda data: data | {"brand_name": ["Edge Cloud", "Edge Networks"]},  # a field sent twice
        lambda data: data | {"original": "[1, 2]"},  # the record the page was opened with, rewritten
    ],
)
def test_an_upload_posted_with_a_doctored_branding_form_is_refused_and_nothing_is_sent(
    admin_client_, sandbox, wire, doctor
):
    """The upload button posts the whole page: what rides along with the file was doctored, so the
    post is not one the page sent, and the file is not sent either."""
    data = doctor(form_values(admin_client_))
    response = upload(admin_client_, data, logo=SimpleUploadedFile("logo.png", PNG, "image/png"))
    assert response.status_code == 400
    assert "changed outside the page: reload it" in page(response)
    assert writes(wire) == [] and sandbox.branding_asset("logo") is None


def test_a_typed_mail_password_is_never_echoed_logged_or_audited_whatever_the_answer(
    admin_client_, sandbox, caplog
):
    """The password typed on the page, posted with a refused value, refused by Gcore, and along with
    an upload: never in the page that answers, the logs or the activity log."""
    typed = "Typed-mail-pass-77"
    data = form_values(admin_client_) | {"mail_password": typed, "action": "save"}
    answers = [admin_client_.post("/settings/branding/", data | {"color_header": "blue"})]
    sandbox.add_fault("status", method="PUT", path="/iam/reselling/settings", status=400)
    answers.append(admin_client_.post("/settings/branding/", data))
    logo = SimpleUploadedFile("logo.png", PNG, "image/png")
    answers.append(upload(admin_client_, data, logo=logo))
    assert [response.status_code for response in answers] == [422, 422, 200]
    for response in answers:
        assert typed not in response.content.decode()
    assert typed not in caplog.text
    entries = AuditEntry.objects.all()
    assert entries and typed not in json.dumps([[e.changes, e.details, e.message] for e in entries])
