"""The Gcore client's calls for the reseller's own settings (sellers, product defaults, notification
e-mails, branding), against the sandbox in-process, and on the wire (respx) where an implementation
may answer otherwise than the spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from dashboard.gcore import (
    GcoreClient,
    GcoreNotFound,
    GcorePermissionDenied,
    GcoreTimeout,
    GcoreValidationError,
)
from dashboard.gcore.models import (
    BrandingSettings,
    NotificationSettingWrite,
    NotificationType,
    SellerCreate,
    SellerUpdate,
)
from dashboard.sandbox import Sandbox, SandboxTransport
from tests.helpers import BASE_URL, TOKEN

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(seed=7, clients=60, token=TOKEN)


@pytest.fixture
def gcore(sb: Sandbox) -> Iterator[GcoreClient]:
    client = GcoreClient(base_url=BASE_URL, token=TOKEN, transport=SandboxTransport(sb), retry_backoff=0)
    yield client
    client.close()


def test_the_account_gives_the_reseller_id(gcore: GcoreClient, sb: Sandbox) -> None:
    account = gcore.get_account()
    assert account.id == sb.reseller_account_id()
    assert gcore.get_branding().reseller == account.id


def test_sellers_from_creation_to_deletion(gcore: GcoreClient, sb: Sandbox) -> None:
    seller = gcore.create_seller(new=SellerCreate(email="ana@example.org", full_name="Ana Ruiz"))
    assert (seller.email, seller.full_name, seller.activated, seller.deleted) == (
        "ana@example.org", "Ana Ruiz", False, False,
    )  # fmt: skip
    assert isinstance(seller.date_joined, datetime)
    assert gcore.get_seller(seller_id=seller.id) == seller
    changed = gcore.update_seller(seller_id=seller.id, changes=SellerUpdate(phone="+34 600 100 200"))
    assert (changed.phone, changed.full_name) == ("+34 600 100 200", "Ana Ruiz")
    assert seller.id in {s.id for s in gcore.list_sellers()}
    gcore.delete_seller(seller_id=seller.id)
    assert gcore.get_seller(seller_id=seller.id).deleted is True
    with pytest.raises(GcoreNotFound):
        gcore.delete_seller(seller_id=seller.id)


def test_a_refused_seller_names_its_fields(gcore: GcoreClient) -> None:
    with pytest.raises(GcoreValidationError) as refused:
        gcore.create_seller(new=SellerCreate(email="nope", full_name="N", phone="CALL ME"))
    assert refused.value.field_errors == {
        "email": ["Enter a valid email address."],
        "phone": ["Enter a valid value."],
    }


def test_the_default_availability_and_a_reset_of_every_client(gcore: GcoreClient, sb: Sandbox) -> None:
    gcore.set_default_availability(product="DDOS", available=True)
    assert {p.product_name: p.available for p in gcore.default_availability()}["DDOS"] is True
    client_id = sb.client_ids()[5]
    gcore.set_client_availability(client_id, "DDOS", False)
    gcore.reset_all_clients_availability(products=["DDOS"])
    assert {p.product_name: p.available for p in gcore.client_availability(client_id)}["DDOS"] is True


def test_notification_settings(gcore: GcoreClient, sb: Sandbox) -> None:
    reseller = sb.reseller_account_id()
    page = gcore.list_notification_settings(reseller_id=reseller)
    assert page.count == 4
    assert {s.notification_type for s in page.results} == set(NotificationType)
    created = gcore.create_notification_setting(
        reseller_id=reseller,
        new=NotificationSettingWrite(
            notification_type=NotificationType.FAILED_LOGIN, email="soc@example.org"
        ),
    )
    assert (created.reseller, created.enabled) == (reseller, True)
    off = gcore.update_notification_setting(
        reseller_id=reseller, setting_id=created.id, changes=NotificationSettingWrite(enabled=False)
    )
    assert (off.email, off.enabled) == ("soc@example.org", False)
    replaced = gcore.replace_notification_setting(
        reseller_id=reseller,
        setting_id=created.id,
        setting=NotificationSettingWrite(
            notification_type="deletion_request", email="dpo@example.org", enabled=True
        ),
    )
    assert gcore.get_notification_setting(reseller_id=reseller, setting_id=created.id) == replaced
    assert gcore.list_notification_settings(reseller_id=reseller, limit=2, offset=4).results == [replaced]
    gcore.delete_notification_setting(reseller_id=reseller, setting_id=created.id)
    with pytest.raises(GcoreNotFound):
        gcore.get_notification_setting(reseller_id=reseller, setting_id=created.id)
    with pytest.raises(GcorePermissionDenied):
        gcore.list_notification_settings(reseller_id=reseller + 1)
    with pytest.raises(GcoreValidationError) as refused:
        gcore.create_notification_setting(
            reseller_id=reseller, new=NotificationSettingWrite(notification_type="sms", email="x@example.org")
        )
    assert refused.value.field_errors == {"notification_type": ['"sms" is not a valid choice.']}


def test_branding_round_trip(gcore: GcoreClient) -> None:
    settings = gcore.get_branding()
    assert settings.public.show_status_page is True  # "true" on the wire
    assert settings.private.mail_server is not None
    assert settings.private.mail_server.port == "587"
    assert "sandbox-smtp-password" not in repr(settings)
    assert "sandbox-smtp-password" not in str(settings.model_dump())
    changed = settings.model_copy(
        update={
            "public": settings.public.model_copy(
                update={"brand_name": "Acme Edge", "show_status_page": False}
            )
        }
    )
    answer = gcore.replace_branding(settings=changed)
    assert (answer.public.brand_name, answer.public.show_status_page) == ("Acme Edge", False)
    # The password went back as it was, not as its mask.
    assert answer.private.mail_server is not None and answer.private.mail_server.password is not None
    assert answer.private.mail_server.password.get_secret_value() == "sandbox-smtp-password"


def test_a_refused_branding_names_its_fields(gcore: GcoreClient) -> None:
    settings = gcore.get_branding()
    bad = settings.model_copy(
        update={"public": settings.public.model_copy(update={"from_email": "not mail"})}
    )
    with pytest.raises(GcoreValidationError) as refused:
        gcore.replace_branding(settings=bad)
    assert refused.value.field_errors == {"publicSettings": ["fromEmail: Enter a valid email address."]}


def test_uploading_the_logo_and_favicon(gcore: GcoreClient, sb: Sandbox) -> None:
    answer = gcore.upload_branding_assets(logo=("logo.png", PNG, "image/png"))
    assert isinstance(answer, BrandingSettings)
    assert sb.branding_asset("logo") == ("logo.png", "image/png", PNG)
    with pytest.raises(GcoreValidationError) as refused:
        gcore.upload_branding_assets(favicon=("f.txt", b"hello", "text/plain"))
    assert list(refused.value.field_errors) == ["favicon"]
    with pytest.raises(ValueError, match="logo, a favicon or both"):
        gcore.upload_branding_assets()


# -- on the wire -------------------------------------------------------------------------------------

BASE = "https://gcore.test"


@pytest.fixture
def wire() -> Iterator[GcoreClient]:
    client = GcoreClient(base_url=BASE, token="t", retry_backoff=0, retry_after_cap=1)
    yield client
    client.close()


@pytest.mark.respx(base_url=BASE)
def test_branding_is_read_in_either_reading_of_its_types(wire: GcoreClient, respx_mock) -> None:
    respx_mock.get("/iam/reselling/settings").respond(
        json={
            "domain": "cp.example.org",
            "publicSettings": {
                "showApiDoc": True,
                "showStatusPage": True,
                "showKnowledgeBase": "false",
                "showTickets": False,
            },
            "privateSettings": {"mailServer": {"host": "smtp", "port": 25}},  # no password, a numeric port
            "reseller": 9,
            "deleted": False,
            "unknown": 1,
        }
    )
    settings = wire.get_branding()
    assert (settings.public.show_status_page, settings.public.show_knowledge_base) == (True, False)
    assert settings.private.mail_server is not None
    assert (settings.private.mail_server.port, settings.private.mail_server.password) == ("25", None)


@pytest.mark.respx(base_url=BASE)
def test_a_branding_put_sends_the_spec_types_and_no_read_only_field(wire: GcoreClient, respx_mock) -> None:
    route = respx_mock.put("/iam/reselling/settings").respond(json={"domain": "d", "reseller": 9})
    wire.replace_branding(
        settings=BrandingSettings.model_validate(
            {
                "domain": "d",
                "publicSettings": {
                    "showApiDoc": True,
                    "showStatusPage": True,
                    "showKnowledgeBase": False,
                    "showTickets": True,
                },
                "privateSettings": {},
                "reseller": 9,
                "deleted": False,
            }
        )
    )
    assert json.loads(route.calls.last.request.content) == {
        "domain": "d",
        "publicSettings": {
            "showApiDoc": True,
            "showStatusPage": "true",
            "showKnowledgeBase": False,
            "showTickets": True,
        },
        "privateSettings": {},
    }


@pytest.mark.respx(base_url=BASE)
def test_a_seller_joined_on_a_date_or_on_some_text(wire: GcoreClient, respx_mock) -> None:
    respx_mock.get("/iam/admin/sellers/1").respond(json={"id": 1, "date_joined": "2024-11-13 15:23:30+00:00"})
    respx_mock.get("/iam/admin/sellers/2").respond(json={"id": 2, "date_joined": "13.11.2024"})
    assert wire.get_seller(seller_id=1).date_joined == datetime.fromisoformat("2024-11-13T15:23:30+00:00")
    assert wire.get_seller(seller_id=2).date_joined == "13.11.2024"


@pytest.mark.respx(base_url=BASE)
def test_notification_settings_as_a_plain_array_too(wire: GcoreClient, respx_mock) -> None:
    item = {"id": 1, "reseller": 9, "notification_type": "failed_login", "email": "a@b.org", "enabled": True}
    route = respx_mock.get("/iam/reselling/resellers/9/notification_settings").respond(json=[item])
    page = wire.list_notification_settings(reseller_id=9)
    assert (page.count, page.results[0].email) == (1, "a@b.org")
    assert dict(route.calls.last.request.url.params) == {"limit": "100", "offset": "0", "ordering": "id"}


@pytest.mark.respx(base_url=BASE)
def test_writes_are_never_sent_twice(wire: GcoreClient, respx_mock) -> None:
    route = respx_mock.post("/iam/admin/sellers").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(GcoreTimeout):
        wire.create_seller(new=SellerCreate(email="a@b.org", full_name="A"))
    upload = respx_mock.post("/iam/reselling/settings/upload").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(GcoreTimeout):
        wire.upload_branding_assets(logo=("l.png", PNG, "image/png"))
    assert (route.call_count, upload.call_count) == (1, 1)
