"""The reseller's own settings at Gcore: the products every client sees by default, the e-mails Gcore
sends about the account, and the branding. Administrators only. Each change is a form, one service
call and a template (dashboard/changes.py)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from dashboard.changes import ChangeView, RecordChangeView
from dashboard.forms.account import AvailabilityForm
from dashboard.forms.reseller_settings import (
    BrandingForm,
    BrandingUploadForm,
    NotificationCreateForm,
    NotificationEditForm,
    NotificationToggleForm,
)
from dashboard.forms.saving import ConfirmForm, PostForm
from dashboard.gcore.models import NotificationSetting
from dashboard.http import HtmxHttpRequest, client_ip
from dashboard.mfa import said_yes
from dashboard.models import AuditEntry
from dashboard.services.audit import Outcome
from dashboard.services.branding import (
    ASSETS,
    PASSWORD_FIELD,
    branding_get,
    branding_last_uploads,
    branding_update,
    branding_upload,
    branding_values,
    has_mail_password,
)
from dashboard.services.notifications import (
    NOTIFICATION_TYPES,
    notification_create,
    notification_delete,
    notification_get,
    notification_update,
    notification_values,
    notifications_list,
)
from dashboard.services.product_defaults import (
    DefaultRow,
    defaults_get,
    defaults_reset_all,
    defaults_update,
    personal_query,
)
from dashboard.services.saves import SaveResult
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound, UpstreamValidationError
from dashboard.views.saving import refusal_above_form, refusal_on_form, saved_message


def _done(request: HtmxHttpRequest, message: str, to: str, *, level: int = messages.SUCCESS) -> HttpResponse:
    messages.add_message(request, level, message)
    return redirect(to)


# -- default products ----------------------------------------------------------------------------------


class ProductDefaultsPage:
    """What the default products' page shows beside its two forms: each product's default with its
    override count, and how many clients have their own settings (read once per request)."""

    rows: list[DefaultRow]
    personal: int | None

    def load(self) -> None:
        self.rows, self.personal = defaults_get()

    @property
    def products(self) -> list[str]:
        return [row.product for row in self.rows]

    def page_context(self, form: AvailabilityForm, reset: ConfirmForm) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "personal": self.personal,
            "personal_url": f"{reverse('client-list')}?{personal_query(self.products)}",
            "form": form,
            "reset": reset,
            "lines": [(row, form[row.product]) for row in self.rows],
        }

    def defaults_form(self) -> AvailabilityForm:
        current = {row.product: row.available for row in self.rows}
        return AvailabilityForm(current=current, products=self.products)


class ProductDefaultsView(ProductDefaultsPage, RecordChangeView):
    """Each product's default, one PATCH per product changed."""

    permission = "change_product_defaults"
    audit_action = AuditEntry.Action.DEFAULTS_UPDATE
    form_class = AvailabilityForm
    template_name, partial_name = "settings/products.html", "product-defaults"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"products": self.products}

    def get_initial_form(self) -> AvailabilityForm:
        return self.defaults_form()

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        return context | self.page_context(context["form"], ConfirmForm())

    def save_record(self, form: AvailabilityForm, **values: Any) -> SaveResult:
        return defaults_update(**values)

    def saved(self, result: SaveResult) -> HttpResponse:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        return _done(
            self.request, saved_message(result, "Default products"), "settings-products", level=level
        )


class ProductDefaultsResetView(ProductDefaultsPage, ChangeView):
    """Every client back on the defaults (one DELETE naming every product): their own settings are
    lost; a reason, the tick and the fresh confirmation."""

    permission = "change_product_defaults"
    fresh_identity = staticmethod(said_yes)
    audit_action = AuditEntry.Action.DEFAULTS_RESET
    form_class = ConfirmForm
    template_name, partial_name = "settings/products.html", "product-defaults"

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        return context | self.page_context(self.defaults_form(), context["form"])

    def save_instance(self, form: ConfirmForm) -> None:
        defaults_reset_all(
            products=self.products,
            clients=self.personal,
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def show_failure(self, form: ConfirmForm, exc: UpstreamError) -> int:
        return refusal_above_form(form, exc)

    def get_success_response(self, form: ConfirmForm, result: None) -> HttpResponse:
        return _done(self.request, "Every client follows the default products again.", "settings-products")


# -- notification e-mails --------------------------------------------------------------------------

NOTIFY = "manage_notifications"


class NotificationsPage:
    """The list of notification e-mails, each with its switch, read once per request."""

    rows: list[tuple[NotificationSetting, NotificationToggleForm]]

    def load(self) -> None:
        settings = notifications_list()
        self.rows = [(item, NotificationToggleForm(current={"enabled": item.enabled})) for item in settings]

    def page_context(self, form: NotificationCreateForm, error: str = "") -> dict[str, Any]:
        return {"rows": self.rows, "form": form, "types": NOTIFICATION_TYPES, "error": error}


class NotificationsView(NotificationsPage, ChangeView):
    """Who Gcore e-mails about what; add an address (POST .../notification_settings)."""

    permission = NOTIFY
    audit_action = AuditEntry.Action.NOTIFICATION_CREATE
    form_class = NotificationCreateForm
    template_name, partial_name = "settings/notifications.html", "notifications"

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        return context | self.page_context(context["form"])

    def save_instance(self, form: NotificationCreateForm) -> NotificationSetting:
        return notification_create(
            values=form.cleaned_data, actor=self.request.user, ip_address=client_ip(self.request)
        )

    def show_failure(self, form: NotificationCreateForm, exc: UpstreamError) -> int:
        return refusal_on_form(form, exc)

    def get_success_response(self, form: NotificationCreateForm, result: NotificationSetting) -> HttpResponse:
        kind = NOTIFICATION_TYPES.get(result.notification_type, result.notification_type)
        return _done(
            self.request, f"Gcore now e-mails {result.email}: {kind.lower()}.", "settings-notifications"
        )


class NotificationEditView(RecordChangeView):
    """PATCH .../notification_settings/{id} with the changed fields, after the conflict check."""

    permission = NOTIFY
    audit_action = AuditEntry.Action.NOTIFICATION_UPDATE
    form_class = NotificationEditForm
    template_name, partial_name = "settings/notification_form.html", "notification-form"

    def load(self) -> None:
        self.setting = notification_get(setting_id=self.kwargs["setting_id"])

    def get_initial_form(self) -> NotificationEditForm:
        return NotificationEditForm(current=notification_values(self.setting))

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(setting=self.setting, **extra)

    def save_record(self, form: NotificationEditForm, **values: Any) -> SaveResult:
        return notification_update(setting_id=self.setting.id, **values)

    def saved(self, result: SaveResult) -> HttpResponse:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        message = saved_message(result, f"Notification to {self.setting.email}")
        return _done(self.request, message, "settings-notifications", level=level)


class NotificationToggleView(NotificationsPage, RecordChangeView):
    """Switch one address on or off: a PATCH of `enabled` alone; a switch made in Gcore meanwhile is
    said, never overwritten. Its page is the list (a GET goes there)."""

    permission = NOTIFY
    audit_action = AuditEntry.Action.NOTIFICATION_UPDATE
    form_class = NotificationToggleForm
    template_name, partial_name = "settings/notifications.html", "notifications"

    def get(self, request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("settings-notifications")

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        toggle: NotificationToggleForm = context["form"]
        errors = [str(message) for messages_ in toggle.errors.values() for message in messages_]
        if context.get("conflicts"):
            errors.append(
                "Someone switched it in Gcore meanwhile: nothing was sent. It shows as Gcore has it now."
            )
        return context | self.page_context(NotificationCreateForm(), " ".join(errors))

    def save_record(self, form: NotificationToggleForm, **values: Any) -> SaveResult:
        return notification_update(setting_id=self.kwargs["setting_id"], **values)

    def saved(self, result: SaveResult) -> HttpResponse:
        record = result.record
        if result.outcome == Outcome.SAVED and isinstance(record, NotificationSetting):
            state = "on" if record.enabled else "off"
            return _done(
                self.request, f"Switched {state} the e-mails to {record.email}.", "settings-notifications"
            )
        return _done(
            self.request, saved_message(result, "Notification"), "settings-notifications", level=messages.INFO
        )


class NotificationDeleteView(ChangeView):
    """DELETE .../notification_settings/{id}: Gcore stops e-mailing that address about that."""

    permission = NOTIFY
    audit_action = AuditEntry.Action.NOTIFICATION_DELETE
    form_class = PostForm
    template_name, partial_name = "settings/notification_delete.html", "notification-delete"

    def load(self) -> None:
        self.setting = notification_get(setting_id=self.kwargs["setting_id"])

    def not_loaded(self, exc: UpstreamNotFound) -> HttpResponse:
        return self.gone()

    def gone(self) -> HttpResponse:
        message = "Gcore has no such notification (any more): nothing was sent."
        return _done(self.request, message, "settings-notifications", level=messages.INFO)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(setting=self.setting, types=NOTIFICATION_TYPES, **extra)

    def save_instance(self, form: PostForm) -> None:
        notification_delete(setting=self.setting, actor=self.request.user, ip_address=client_ip(self.request))

    def not_found(self, form: Any, exc: UpstreamNotFound) -> HttpResponse:
        return self.gone()

    def show_failure(self, form: PostForm, exc: UpstreamError) -> int:
        return refusal_above_form(form, exc, input_kept=False)

    def get_success_response(self, form: PostForm, result: None) -> HttpResponse:
        message = f"Gcore no longer e-mails {self.setting.email} about this."
        return _done(self.request, message, "settings-notifications")


# -- branding ------------------------------------------------------------------------------------------

BRANDING = "change_branding"


class BrandingPage:
    """What the branding page shows beside its form: the settings as read, the colours' preview,
    whether Gcore holds a mail password, and what Gcore last accepted as logo and favicon."""

    settings: Any

    def load(self) -> None:
        self.settings = branding_get()

    def page_context(
        self, form: BrandingForm, upload: BrandingUploadForm, uploaded: str = ""
    ) -> dict[str, Any]:
        saved = branding_values(self.settings)
        preview = {
            name: _shown(form, name, saved.get(name))
            for name in ("brand_name", "color_header", "color_primary")
        }
        return {
            "settings": self.settings,
            "form": form,
            "upload": upload,
            "uploaded": uploaded,
            "preview": preview,
            "has_password": has_mail_password(self.settings),
            "last_uploads": branding_last_uploads(),
            "assets": ASSETS,
        }


def _shown(form: BrandingForm, name: str, saved: Any) -> Any:
    """What the preview shows for a field: the value on the form if it is a valid one, else the saved."""
    value = form[name].value()
    if name.startswith("color_"):
        return value if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value) else saved
    return value or saved


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)  # it may carry what was typed, a mail password's field among it
    return response


# Error reports of these requests show none of the form's values (a typed mail password).
@method_decorator([sensitive_post_parameters(PASSWORD_FIELD), sensitive_variables("form")], name="dispatch")
class BrandingView(BrandingPage, RecordChangeView):
    """One PUT of the whole settings as Gcore holds them now, with the person's changes."""

    permission = BRANDING
    audit_action = AuditEntry.Action.BRANDING_UPDATE
    form_class = BrandingForm
    template_name, partial_name = "settings/branding.html", "branding"

    def get_initial_form(self) -> BrandingForm:
        return BrandingForm(current=branding_values(self.settings))

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        return context | self.page_context(context["form"], BrandingUploadForm())

    def render_form(self, form: Any, *, status: int = 200) -> HttpResponse:
        return _no_store(super().render_form(form, status=status))

    def save_record(self, form: BrandingForm, **values: Any) -> SaveResult:
        return branding_update(**values)

    def saved(self, result: SaveResult) -> HttpResponse:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        return _done(self.request, saved_message(result, "Branding"), "settings-branding", level=level)


@method_decorator([sensitive_post_parameters(PASSWORD_FIELD), sensitive_variables("form")], name="dispatch")
class BrandingUploadView(BrandingPage, ChangeView):
    """POST /iam/reselling/settings/upload: the logo, the favicon or both, checked before sending.
    The branding form's button posts here (`formaction`) with everything typed on the page, so a
    refused or failed upload, or one made before saving, loses none of it."""

    permission = BRANDING
    audit_action = AuditEntry.Action.BRANDING_UPLOAD
    form_class = BrandingUploadForm
    template_name, partial_name = "settings/branding.html", "branding"
    uploaded = ""

    def get_form(self) -> BrandingUploadForm:
        return BrandingUploadForm(self.request.POST, self.request.FILES)

    def accepts(self, form: BrandingUploadForm) -> bool:
        valid = form.is_valid()
        typed = BrandingForm(self.request.POST)  # what rides along with the file, kept on the page
        if not typed.is_valid() and typed.tampered:
            form.refuse_as_tampered()  # a post the page did not send: the file is not sent either
            return False
        return valid

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        upload = extra.pop("form")
        typed = BrandingForm(self.request.POST) if self.request.method == "POST" else None
        form = typed or BrandingForm(current=branding_values(self.settings))
        return super().get_context_data(**extra) | self.page_context(form, upload, self.uploaded)

    def render_form(self, form: Any, *, status: int = 200) -> HttpResponse:
        return _no_store(super().render_form(form, status=status))

    def save_instance(self, form: BrandingUploadForm) -> object:
        return branding_upload(
            assets=form.assets(), actor=self.request.user, ip_address=client_ip(self.request)
        )

    def show_failure(self, form: BrandingUploadForm, exc: UpstreamError) -> int:
        if isinstance(exc, UpstreamValidationError):
            for name, field_messages in exc.field_errors.items():
                for message in field_messages:
                    form.add_error(name if name in form.fields else None, message)
            for message in exc.non_field_errors or ([] if exc.field_errors else [exc.message]):
                form.add_error(None, message)
            return 422
        return refusal_on_form(form, exc, input_kept=False)

    def get_success_response(self, form: BrandingUploadForm, result: object) -> HttpResponse:
        names = " and ".join(f"{asset.field} {asset.filename}" for asset in form.assets())
        if not BrandingForm(self.request.POST).unsaved():
            return _done(self.request, f"Gcore accepted the {names}.", "settings-branding")
        # What was typed on the page and not saved yet stays there, as typed.
        self.uploaded = f"Gcore accepted the {names}."
        return self.render_form(BrandingUploadForm())
