"""The addresses Gcore e-mails about the reseller's account
(/iam/reselling/resellers/{resellerId}/notification_settings): list, add, edit, switch on or off,
delete, every write through the save pipeline.

The reseller's id is the one its own account answers with (GET /iam/clients/me,
docs/gcore-api-notes.md §12), never typed by anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from pydantic import TypeAdapter

from dashboard.gcore import get_gcore_client
from dashboard.gcore.models import Client, NotificationSetting, NotificationSettingWrite, NotificationType
from dashboard.services import versions
from dashboard.services.audit import Action, FieldChange
from dashboard.services.cache import cached_read, read_key
from dashboard.services.saves import Act, Save, SaveResult, Step, run_act, run_save

# What each kind of notification tells, as the portal words it.
NOTIFICATION_TYPES: dict[str, str] = {
    NotificationType.DELETION_REQUEST: "Deletion requests (a client asks to delete its account)",
    NotificationType.FAILED_LOGIN: "Failed sign-ins to the reseller's account",
}
NOTIFICATION_LABELS = {"notification_type": "Type", "email": "Email", "enabled": "Enabled"}
# Gcore: a page of the list holds at most this many here; the reseller has a handful at most.
PAGE_SIZE = 100
ACCOUNT = TypeAdapter(Client)


def reseller_id_get() -> int:
    """The reseller's own account id (GET /iam/clients/me), cached: it does not change."""
    key = read_key({"account": "me"}, [versions.LISTS])
    return cached_read(key, get_gcore_client().get_account, adapter=ACCOUNT).value.id


def notifications_list() -> list[NotificationSetting]:
    """Every notification setting, page after page, by type and address."""
    gcore = get_gcore_client()
    reseller_id = reseller_id_get()
    found: list[NotificationSetting] = []
    while True:
        page = gcore.list_notification_settings(reseller_id=reseller_id, limit=PAGE_SIZE, offset=len(found))
        found += page.results
        if not page.results or len(found) >= page.count:
            break
    return sorted(found, key=lambda item: (item.notification_type, item.email.casefold(), item.id))


def notification_get(*, setting_id: int) -> NotificationSetting:
    """One setting as Gcore has it now; GcoreNotFound if there is none."""
    return get_gcore_client().get_notification_setting(reseller_id=reseller_id_get(), setting_id=setting_id)


def notification_values(setting: NotificationSetting) -> dict[str, Any]:
    return {
        "notification_type": setting.notification_type,
        "email": setting.email,
        "enabled": setting.enabled,
    }


def _changed() -> None:
    # Nothing of the notification settings is cached; a write makes no other read stale.
    return None


def notification_create(
    *, values: Mapping[str, Any], actor: User, ip_address: str | None = None
) -> NotificationSetting:
    """POST .../notification_settings (201): one more address told of one kind of event; audited."""
    new = NotificationSettingWrite(
        notification_type=values["notification_type"], email=values["email"], enabled=bool(values["enabled"])
    )
    act = Act(
        action=Action.NOTIFICATION_CREATE,
        send=partial(get_gcore_client().create_notification_setting, reseller_id=reseller_id_get(), new=new),
        invalidate=_changed,
        done=f"Gcore now e-mails {new.email} about {new.notification_type}.",
        changes=[FieldChange(name, None, value) for name, value in new.model_dump(exclude_none=True).items()],
        success_status=201,
    )
    return run_act(act, actor=actor, ip_address=ip_address)


def notification_update(
    *,
    setting_id: int,
    original: Mapping[str, Any],
    desired: Mapping[str, Any],
    actor: User,
    overwrite: bool = False,
    ip_address: str | None = None,
) -> SaveResult:
    """PATCH .../notification_settings/{id} with only what changed (switching on or off included)."""
    gcore = get_gcore_client()
    reseller_id = reseller_id_get()

    def send(changes: dict[str, Any], current: Mapping[str, Any]) -> NotificationSetting:
        body = NotificationSettingWrite(**changes)
        return gcore.update_notification_setting(reseller_id=reseller_id, setting_id=setting_id, changes=body)

    save = Save(
        action=Action.NOTIFICATION_UPDATE,
        labels={name: NOTIFICATION_LABELS[name] for name in desired},
        read=partial(gcore.get_notification_setting, reseller_id=reseller_id, setting_id=setting_id),
        values=notification_values,
        steps=[Step(tuple(desired), send)],
        invalidate=_changed,
        details={"notification_setting": setting_id},
    )
    return run_save(
        save, original=original, desired=desired, actor=actor, overwrite=overwrite, ip_address=ip_address
    )


def notification_delete(*, setting: NotificationSetting, actor: User, ip_address: str | None = None) -> None:
    """DELETE .../notification_settings/{id} (204): Gcore stops e-mailing that address about that."""
    act = Act(
        action=Action.NOTIFICATION_DELETE,
        send=partial(
            get_gcore_client().delete_notification_setting,
            reseller_id=reseller_id_get(),
            setting_id=setting.id,
        ),
        invalidate=_changed,
        done=f"Gcore no longer e-mails {setting.email} about {setting.notification_type}.",
        changes=[FieldChange("email", setting.email, None)],
        details={"notification_setting": setting.id, "notification_type": setting.notification_type},
        success_status=204,
    )
    run_act(act, actor=actor, ip_address=ip_address)
