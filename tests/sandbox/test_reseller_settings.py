"""The reseller's own account and settings: GET /iam/clients/me, the notification e-mails, the
branding settings and their logo and favicon upload, each answer checked against Gcore's spec."""

from __future__ import annotations

import httpx
import pytest

from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL

RESELLER = 1001
NOTIFICATIONS = f"/iam/reselling/resellers/{RESELLER}/notification_settings"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
ICO = b"\x00\x00\x01\x00\x01\x00" + b"\x00" * 16


# -- the account ------------------------------------------------------------------------------------


def test_the_account_is_the_resellers_own(schemas, sb: Sandbox, api: httpx.Client) -> None:
    account = api.get("/iam/clients/me")
    assert account.status_code == 200
    schemas.assert_valid(account.json(), "ClientBase", schemas.IAM)
    assert account.json()["id"] == sb.reseller_account_id() == RESELLER
    assert account.json()["id"] in sb.reseller_ids()
    assert api.get("/iam/reselling/settings").json()["reseller"] == RESELLER


# -- notification settings --------------------------------------------------------------------------


def test_the_seeded_notification_settings(schemas, api: httpx.Client) -> None:
    page = api.get(NOTIFICATIONS).json()
    schemas.assert_valid(page, "NotificationSettingsPaginatedArray")
    assert page["count"] == 4
    assert (page["next"], page["previous"]) == (None, None)
    assert {item["notification_type"] for item in page["results"]} == {"deletion_request", "failed_login"}
    assert {item["enabled"] for item in page["results"]} == {True, False}
    assert {item["reseller"] for item in page["results"]} == {RESELLER}


@pytest.mark.parametrize(
    ("params", "ids", "next_query", "previous_query"),
    [
        ({"limit": 2}, [201, 202], "limit=2&offset=2", None),
        ({"limit": 2, "offset": 2}, [203, 204], None, "limit=2"),
        ({"limit": 3, "ordering": "-id"}, [204, 203, 202], "limit=3&offset=3&ordering=-id", None),
        ({"ordering": "notification_type,email"}, [202, 201, 204, 203], None, None),
        ({"ordering": "enabled,nonsense"}, [204, 201, 202, 203], None, None),
    ],
)
def test_notification_settings_pages(
    schemas,
    api: httpx.Client,
    params: dict[str, object],
    ids: list[int],
    next_query: str | None,
    previous_query: str | None,
) -> None:
    page = api.get(NOTIFICATIONS, params=params).json()
    schemas.assert_valid(page, "NotificationSettingsPaginatedArray")
    assert [item["id"] for item in page["results"]] == ids
    url = f"{BASE_URL}{NOTIFICATIONS}?"
    assert page["next"] == (next_query and url + next_query)
    assert page["previous"] == (previous_query and url + previous_query)


def test_a_notification_setting_from_creation_to_deletion(schemas, api: httpx.Client) -> None:
    created = api.post(
        NOTIFICATIONS, json={"notification_type": "failed_login", "email": " soc@example.org "}
    )
    assert created.status_code == 201
    item = created.json()
    schemas.assert_valid(item, "NotificationSettingsRead")
    assert item == {
        "id": 301,
        "reseller": RESELLER,
        "notification_type": "failed_login",
        "email": "soc@example.org",
        "enabled": True,
    }
    path = f"{NOTIFICATIONS}/301"
    assert api.get(path).json() == item

    patched = api.patch(path, json={"enabled": False, "reseller": 5, "id": 9})
    assert (patched.status_code, patched.json()) == (200, item | {"enabled": False})
    schemas.assert_valid(patched.json(), "NotificationSettingsRead")

    replaced = api.put(path, json={"notification_type": "deletion_request", "email": "dpo@example.org"})
    assert replaced.status_code == 200
    schemas.assert_valid(replaced.json(), "NotificationSettingsRead")
    assert replaced.json() == item | {
        "notification_type": "deletion_request",
        "email": "dpo@example.org",
        "enabled": False,
    }

    deleted = api.delete(path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404
    assert api.get(NOTIFICATIONS).json()["count"] == 4


@pytest.mark.parametrize(
    ("method", "body", "errors"),
    [
        (
            "POST",
            {},
            {"notification_type": ["This field is required."], "email": ["This field is required."]},
        ),
        (
            "POST",
            {"notification_type": "sms", "email": "nope", "enabled": "perhaps"},
            {
                "notification_type": ['"sms" is not a valid choice.'],
                "email": ["Enter a valid email address."],
                "enabled": ["Must be a valid boolean."],
            },
        ),
        (
            "POST",
            {"notification_type": "deletion_request", "email": "OPS@edge-reseller.example"},
            {"non_field_errors": ["The fields reseller, notification_type, email must make a unique set."]},
        ),
        (
            "PUT",
            {"enabled": True},
            {"notification_type": ["This field is required."], "email": ["This field is required."]},
        ),
        (
            "PATCH",
            {"email": "billing@edge-reseller.example"},
            {"non_field_errors": ["The fields reseller, notification_type, email must make a unique set."]},
        ),
        (
            "PATCH",
            {"email": "a" * 250 + "@x.org"},
            {"email": ["Ensure this field has no more than 254 characters."]},
        ),
    ],
)
def test_notification_settings_refuse_bad_input(
    api: httpx.Client, method: str, body: dict, errors: dict
) -> None:
    before = api.get(NOTIFICATIONS).json()
    path = NOTIFICATIONS if method == "POST" else f"{NOTIFICATIONS}/201"
    response = api.request(method, path, json=body)
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert api.get(NOTIFICATIONS).json() == before


def test_another_resellers_settings_are_forbidden(api: httpx.Client) -> None:
    other = "/iam/reselling/resellers/1002/notification_settings"
    for method, path in [("GET", other), ("POST", other), ("GET", f"{other}/201"), ("PATCH", f"{other}/201"),
                         ("PUT", f"{other}/201"), ("DELETE", f"{other}/201")]:  # fmt: skip
        response = api.request(
            method, path, json={"notification_type": "failed_login", "email": "x@example.org"}
        )
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "You do not have permission to perform this action."},
        ), (method, path)
    assert api.get(f"{NOTIFICATIONS}/999").json() == {"detail": "Not found."}
    assert api.request("HEAD", NOTIFICATIONS).status_code == 405


# -- branding -----------------------------------------------------------------------------------------


def branding_body(**public: object) -> dict:
    return {
        "domain": "panel.example.org",
        "publicSettings": {
            "brandName": "Acme Edge",
            "fromEmail": "noreply@example.org",
            "showApiDoc": False,
            "showStatusPage": "false",
            "showKnowledgeBase": True,
            "showTickets": True,
            "colors": {"header": "#000000", "primary": ""},
            **public,
        },
        "privateSettings": {
            "mailServer": {
                "tls": False,
                "host": "smtp.example.org",
                "port": 2525,
                "login": "m",
                "password": "pw-1",
            }
        },
        "reseller": 77,
        "deleted": True,
    }


def test_the_seeded_branding(schemas, api: httpx.Client) -> None:
    settings = api.get("/iam/reselling/settings")
    assert settings.status_code == 200
    schemas.assert_valid(settings.json(), "BrandingSettings")
    body = settings.json()
    assert (body["reseller"], body["deleted"]) == (RESELLER, False)
    assert body["privateSettings"]["mailServer"]["port"] == "587"


def test_a_put_replaces_the_settings(schemas, api: httpx.Client) -> None:
    response = api.put("/iam/reselling/settings", json=branding_body(unknown="dropped"))
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid(body, "BrandingSettings")
    assert body["domain"] == "panel.example.org"
    assert (body["reseller"], body["deleted"]) == (RESELLER, False)  # read-only
    assert body["publicSettings"] == {
        "brandName": "Acme Edge",
        "fromEmail": "noreply@example.org",
        "showApiDoc": False,
        "showStatusPage": "false",
        "showKnowledgeBase": True,
        "showTickets": True,
        "colors": {"header": "#000000", "primary": ""},
    }
    assert body["privateSettings"]["mailServer"]["port"] == "2525"
    assert api.get("/iam/reselling/settings").json() == body
    # What a PUT leaves out is gone, the mail server with it.
    emptied = api.put("/iam/reselling/settings", json=branding_body() | {"privateSettings": {}}).json()
    assert emptied["privateSettings"] == {}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {},
            {
                "domain": ["This field is required."],
                "publicSettings": ["This field is required."],
                "privateSettings": ["This field is required."],
            },
        ),
        (
            branding_body() | {"publicSettings": {"showApiDoc": "sometimes"}},
            {
                "publicSettings": [
                    "showApiDoc: Must be a valid boolean.",
                    "showStatusPage: This field is required.",
                    "showKnowledgeBase: This field is required.",
                    "showTickets: This field is required.",
                ]
            },
        ),
        (
            branding_body(fromEmail="not mail", showStatusPage=True, colors="red"),
            {
                "publicSettings": [
                    "fromEmail: Enter a valid email address.",
                    "showStatusPage: Not a valid string.",
                    "colors: Invalid data. Expected a dictionary, but got str.",
                ]
            },
        ),
        (
            branding_body()
            | {"domain": " ", "privateSettings": {"mailServer": {"port": "999999", "tls": None}}},
            {
                "domain": ["This field may not be blank."],
                "privateSettings": [
                    "mailServer: tls: This field may not be null.",
                    "mailServer: port: Ensure this field has no more than 5 characters.",
                ],
            },
        ),
        (branding_body() | {"publicSettings": None}, {"publicSettings": ["This field may not be null."]}),
        (
            branding_body(colors={"primary": None}),
            {"publicSettings": ["colors: primary: This field may not be null."]},
        ),
    ],
)
def test_a_bad_put_changes_nothing(api: httpx.Client, body: dict, errors: dict) -> None:
    before = api.get("/iam/reselling/settings").json()
    response = api.put("/iam/reselling/settings", json=body)
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert api.get("/iam/reselling/settings").json() == before


def test_branding_methods_and_auth(sb: Sandbox, api: httpx.Client) -> None:
    assert api.patch("/iam/reselling/settings", json={}).headers["allow"] == "GET, PUT"
    assert api.get("/iam/reselling/settings/upload").headers["allow"] == "POST"
    with httpx.Client(transport=SandboxTransport(sb), base_url=BASE_URL) as anonymous:
        assert anonymous.get("/iam/reselling/settings").status_code == 401
        assert anonymous.get(NOTIFICATIONS).status_code == 401
        assert anonymous.get("/iam/clients/me").status_code == 401


# -- the logo and favicon -------------------------------------------------------------------------------


def test_uploading_a_logo_and_a_favicon(schemas, sb: Sandbox, api: httpx.Client) -> None:
    before = api.get("/iam/reselling/settings").json()
    response = api.post("/iam/reselling/settings/upload", files={"logo": ("logo.png", PNG, "image/png")})
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "BrandingSettings")
    assert response.json() == before  # Gcore: the settings have no property for the images
    assert sb.branding_asset("logo") == ("logo.png", "image/png", PNG)
    assert sb.branding_asset("favicon") is None
    both = api.post(
        "/iam/reselling/settings/upload",
        files={
            "favicon": ("favicon.ico", ICO, "application/octet-stream"),
            "logo": ("l.gif", b"GIF89a..", "image/gif"),
        },
    )
    assert both.status_code == 200
    assert sb.branding_asset("favicon") == ("favicon.ico", "image/x-icon", ICO)
    assert sb.branding_asset("logo") == ("l.gif", "image/gif", b"GIF89a..")


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"files": {"logo": ("logo.svg", b"<svg/>", "image/svg+xml")}},
            {
                "logo": [
                    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."  # noqa: E501
                ]
            },
        ),
        (
            {"files": {"favicon": ("f.ico", b"", "image/x-icon")}},
            {"favicon": ["The submitted file is empty."]},
        ),
        (
            {"files": {"logo": ("big.png", PNG + b"\x00" * (1024 * 1024), "image/png")}},
            {"logo": ["Ensure this file is no larger than 1024 KB."]},
        ),
        (
            {"files": {"other": ("x.png", PNG, "image/png")}, "data": {"logo": "not a file"}},
            {"logo": ["The submitted data was not a file. Check the encoding type on the form."]},
        ),
        (
            {"files": {"other": ("x.png", PNG, "image/png")}},
            {"non_field_errors": ["Upload a logo, a favicon or both."]},
        ),
        ({"json": {"logo": "iVBORw0KGgo="}}, {"non_field_errors": ["Upload a logo, a favicon or both."]}),
        (
            {"content": b"garbage", "headers": {"Content-Type": "multipart/form-data; boundary=zz"}},
            {"non_field_errors": ["Upload a logo, a favicon or both."]},
        ),
    ],
)
def test_an_upload_that_is_not_an_image_is_refused(
    sb: Sandbox, api: httpx.Client, kwargs: dict, errors: dict
) -> None:
    response = api.post("/iam/reselling/settings/upload", **kwargs)
    assert (response.status_code, response.json()) == (400, {"errors": errors})
    assert sb.branding_asset("logo") is None
    assert sb.branding_asset("favicon") is None


def test_one_bad_file_keeps_the_other_out_too(sb: Sandbox, api: httpx.Client) -> None:
    response = api.post(
        "/iam/reselling/settings/upload",
        files={"logo": ("logo.png", PNG, "image/png"), "favicon": ("f.txt", b"hello", "text/plain")},
    )
    assert response.status_code == 400
    assert sb.branding_asset("logo") is None


def test_gcores_sdk_reads_the_account(gcore_sdk, sb: Sandbox) -> None:
    overview = gcore_sdk.iam.get_account_overview()
    assert (overview.id, overview.company_name) == (sb.reseller_account_id(), "Edge Reseller Ltd")


def test_the_upload_and_settings_over_loopback(sb: Sandbox, loopback: httpx.Client) -> None:
    uploaded = loopback.post(
        "/iam/reselling/settings/upload", files={"favicon": ("f.ico", ICO, "image/x-icon")}
    )
    assert uploaded.status_code == 200
    assert sb.branding_asset("favicon") == ("f.ico", "image/x-icon", ICO)
    created = loopback.post(
        NOTIFICATIONS, json={"notification_type": "failed_login", "email": "a@example.org"}
    )
    assert created.status_code == 201
    assert loopback.get(f"{NOTIFICATIONS}/{created.json()['id']}").json() == created.json()
