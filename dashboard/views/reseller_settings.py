"""The reseller's own settings at Gcore: the products every client sees by default, the e-mails Gcore
sends about the account, and the branding.
Administrators only. Thin views: bind the form, call one service, pick the page."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.forms import AvailabilityForm, ConfirmForm
from dashboard.gcore import GcoreNotFound
from dashboard.gcore.models import NotificationSetting
from dashboard.http import HtmxHttpRequest, client_ip, render_page
from dashboard.mfa import fresh_identity_required, said_yes
from dashboard.models import AuditEntry
from dashboard.reseller_forms import (
    BrandingForm,
    BrandingUploadForm,
    NotificationCreateForm,
    NotificationEditForm,
    NotificationToggleForm,
)
from dashboard.roles import perm
from dashboard.services.audit import Outcome, audit_refused_input
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
    defaults_get,
    defaults_reset_all,
    defaults_update,
    personal_query,
)
from dashboard.upstream.errors import UpstreamError, UpstreamValidationError
from dashboard.views.saving import change_failed, form_status, partly_saved, save_form, saved_message


def resets_every_client(request: HttpRequest) -> bool:
    """Putting every client back on the defaults, said yes to: a risky action."""
    return request.POST.get("action") == "reset" and said_yes(request)


@require_http_methods(["GET", "POST"])
@permission_required(perm("change_product_defaults"), raise_exception=True)
@fresh_identity_required(when=resets_every_client)
def product_defaults_view(request: HtmxHttpRequest) -> HttpResponse:
    """Each product's default with how many clients override it; change them, or reset every client."""
    rows, personal = defaults_get()
    products = [row.product for row in rows]
    context: dict[str, Any] = {"rows": rows, "personal": personal, "conflicts": []}
    context["personal_url"] = f"{reverse('client-list')}?{personal_query(products)}"
    current = {row.product: row.available for row in rows}
    if request.method == "GET":
        form = AvailabilityForm(current=current, products=products)
        return _page(request, context | {"form": form, "reset": ConfirmForm()})

    if request.POST.get("action") == "reset":
        reset = ConfirmForm(request.POST)
        context |= {"form": AvailabilityForm(current=current, products=products), "reset": reset}
        if not reset.is_valid():
            audit_refused_input(
                action=AuditEntry.Action.DEFAULTS_RESET, client_id=None, actor=request.user,
                errors=reset.errors, ip_address=client_ip(request),
            )  # fmt: skip
            return _page(request, context, 422)
        try:
            defaults_reset_all(
                products=products,
                clients=personal,
                reason=reset.cleaned_data["reason"],
                actor=request.user,
                ip_address=client_ip(request),
            )
        except UpstreamError as exc:
            text, status = change_failed(exc)
            reset.add_error(None, text)
            return _page(request, context, status)
        messages.success(request, "Every client follows the default products again.")
        return redirect("settings-products")

    form = AvailabilityForm(request.POST, products=products)
    context["reset"] = ConfirmForm()
    result, status = save_form(
        request,
        form,
        action=AuditEntry.Action.DEFAULTS_UPDATE,
        client_id=None,
        save=defaults_update,
    )
    if result is not None and result.outcome == Outcome.PARTIAL:
        form.add_error(None, partly_saved(result))
        return _page(request, context | {"form": form}, 502)
    if result is not None and result.outcome != Outcome.CONFLICT:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        messages.add_message(request, level, saved_message(result, "Default products"))
        return redirect("settings-products")
    context["conflicts"] = result.conflicts if result else []
    return _page(request, context | {"form": form}, status)


def _page(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    form: AvailabilityForm = context["form"]
    context["lines"] = [(row, form[row.product]) for row in context["rows"]]
    status = form_status(request, status)
    return render_page(request, "settings/products.html", context, partial="product-defaults", status=status)


# -- notification e-mails --------------------------------------------------------------------------

NOTIFY = perm("manage_notifications")


@require_http_methods(["GET", "POST"])
@permission_required(NOTIFY, raise_exception=True)
def notifications_view(request: HtmxHttpRequest) -> HttpResponse:
    """Who Gcore e-mails about what; add an address (the list's own form)."""
    form = NotificationCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return _notifications_page(request, form)
    if not form.is_valid():
        audit_refused_input(
            action=AuditEntry.Action.NOTIFICATION_CREATE, client_id=None, actor=request.user,
            errors=form.errors, ip_address=client_ip(request),
        )  # fmt: skip
        return _notifications_page(request, form, 422)
    try:
        created = notification_create(
            values=form.cleaned_data, actor=request.user, ip_address=client_ip(request)
        )
    except UpstreamValidationError as exc:
        form.add_upstream_errors(exc)
        return _notifications_page(request, form, 422)
    except UpstreamError as exc:
        text, status = change_failed(exc)
        form.add_error(None, text)
        return _notifications_page(request, form, status)
    kind = NOTIFICATION_TYPES.get(created.notification_type, created.notification_type)
    messages.success(request, f"Gcore now e-mails {created.email}: {kind.lower()}.")
    return redirect("settings-notifications")


def _notifications_page(
    request: HtmxHttpRequest, form: NotificationCreateForm, status: int = 200, error: str = ""
) -> HttpResponse:
    settings = notifications_list()
    rows = [(item, NotificationToggleForm(current={"enabled": item.enabled})) for item in settings]
    context = {"rows": rows, "form": form, "types": NOTIFICATION_TYPES, "error": error}
    status = form_status(request, status)
    return render_page(
        request, "settings/notifications.html", context, partial="notifications", status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required(NOTIFY, raise_exception=True)
def notification_edit_view(request: HtmxHttpRequest, setting_id: int) -> HttpResponse:
    setting = notification_get(setting_id=setting_id)
    context: dict[str, Any] = {"setting": setting, "conflicts": []}
    if request.method == "GET":
        form = NotificationEditForm(current=notification_values(setting))
        return _notification_form(request, context | {"form": form})
    form = NotificationEditForm(request.POST)
    result, status = save_form(
        request,
        form,
        action=AuditEntry.Action.NOTIFICATION_UPDATE,
        client_id=None,
        save=partial(notification_update, setting_id=setting_id),
    )
    if result is not None and result.outcome != Outcome.CONFLICT:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        messages.add_message(request, level, saved_message(result, f"Notification to {setting.email}"))
        return redirect("settings-notifications")
    context["conflicts"] = result.conflicts if result else []
    return _notification_form(request, context | {"form": form}, status)


def _notification_form(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    status = form_status(request, status)
    return render_page(
        request, "settings/notification_form.html", context, partial="notification-form", status=status
    )


@require_POST
@permission_required(NOTIFY, raise_exception=True)
def notification_toggle_view(request: HtmxHttpRequest, setting_id: int) -> HttpResponse:
    """Switch one address on or off (PATCH `enabled`); a change made meanwhile is said, not overwritten."""
    form = NotificationToggleForm(request.POST)
    result, status = save_form(
        request,
        form,
        action=AuditEntry.Action.NOTIFICATION_UPDATE,
        client_id=None,
        save=partial(notification_update, setting_id=setting_id),
    )
    if result is None:
        errors = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
        return _notifications_page(request, NotificationCreateForm(), status, error=errors)
    if result.outcome == Outcome.CONFLICT:
        text = "Someone switched it in Gcore meanwhile: nothing was sent. It shows as Gcore has it now."
        return _notifications_page(request, NotificationCreateForm(), 422, error=text)
    record = result.record
    state = "on" if form.cleaned_data["enabled"] else "off"
    if result.outcome == Outcome.SAVED and isinstance(record, NotificationSetting):
        messages.success(request, f"Switched {state} the e-mails to {record.email}.")
    else:
        messages.info(request, saved_message(result, "Notification"))
    return redirect("settings-notifications")


@require_http_methods(["GET", "POST"])
@permission_required(NOTIFY, raise_exception=True)
def notification_delete_view(request: HtmxHttpRequest, setting_id: int) -> HttpResponse:
    try:
        setting = notification_get(setting_id=setting_id)
    except GcoreNotFound:
        if request.method == "GET":
            raise
        messages.info(request, "Gcore has no such notification (any more): nothing was sent.")
        return redirect("settings-notifications")
    context: dict[str, Any] = {"setting": setting, "types": NOTIFICATION_TYPES, "error": ""}
    if request.method == "POST":
        try:
            notification_delete(setting=setting, actor=request.user, ip_address=client_ip(request))
        except GcoreNotFound:
            messages.info(
                request, f"Gcore no longer e-mailed {setting.email} about this: nothing more to do."
            )
            return redirect("settings-notifications")
        except UpstreamError as exc:
            context["error"], status = change_failed(exc, input_kept=False)
            return _delete_notification_page(request, context, status)
        messages.success(request, f"Gcore no longer e-mails {setting.email} about this.")
        return redirect("settings-notifications")
    return _delete_notification_page(request, context)


def _delete_notification_page(
    request: HtmxHttpRequest, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    status = form_status(request, status)
    return render_page(
        request, "settings/notification_delete.html", context, partial="notification-delete", status=status
    )


# -- branding ------------------------------------------------------------------------------------------

BRANDING = perm("change_branding")


@sensitive_post_parameters(PASSWORD_FIELD)
@sensitive_variables("form")  # its data hold a typed mail password
@require_http_methods(["GET", "POST"])
@permission_required(BRANDING, raise_exception=True)
def branding_view(request: HtmxHttpRequest) -> HttpResponse:
    """The public settings and the mail server (one PUT), and the logo and favicon (an upload);
    one form, so a failed upload, or one made before saving, loses nothing typed."""
    settings = branding_get()
    context: dict[str, Any] = {"settings": settings, "conflicts": [], "uploaded": None}
    if request.method == "GET":
        form = BrandingForm(current=branding_values(settings))
        return _branding_page(request, context | {"form": form, "upload": BrandingUploadForm()})

    form = BrandingForm(request.POST)
    if request.POST.get("action") == "upload":
        upload = BrandingUploadForm(request.POST, request.FILES)
        context |= {"form": form, "upload": upload}
        if not upload.is_valid():
            audit_refused_input(
                action=AuditEntry.Action.BRANDING_UPLOAD, client_id=None, actor=request.user,
                errors=upload.errors, ip_address=client_ip(request),
            )  # fmt: skip
            return _branding_page(request, context, 422)
        try:
            branding_upload(assets=upload.assets(), actor=request.user, ip_address=client_ip(request))
        except UpstreamValidationError as exc:
            _upload_refused(upload, exc)
            return _branding_page(request, context, 422)
        except UpstreamError as exc:
            text, status = change_failed(exc, input_kept=False)
            upload.add_error(None, text)
            return _branding_page(request, context, status)
        names = " and ".join(f"{asset.field} {asset.filename}" for asset in upload.assets())
        if not form.unsaved():
            messages.success(request, f"Gcore accepted the {names}.")
            return redirect("settings-branding")
        # What was typed above and not saved yet stays on the page, as typed.
        context |= {"upload": BrandingUploadForm(), "uploaded": f"Gcore accepted the {names}."}
        return _branding_page(request, context)

    result, status = save_form(
        request, form, action=AuditEntry.Action.BRANDING_UPDATE, client_id=None, save=branding_update
    )
    context["upload"] = BrandingUploadForm()
    if result is not None and result.outcome != Outcome.CONFLICT:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        messages.add_message(request, level, saved_message(result, "Branding"))
        return redirect("settings-branding")
    context["conflicts"] = result.conflicts if result else []
    return _branding_page(request, context | {"form": form}, status)


def _upload_refused(upload: BrandingUploadForm, exc: UpstreamValidationError) -> None:
    """Gcore's refusal of a file on that file's field; anything else above the form."""
    for name, field_messages in exc.field_errors.items():
        for message in field_messages:
            upload.add_error(name if name in upload.fields else None, message)
    for message in exc.non_field_errors or ([] if exc.field_errors else [exc.message]):
        upload.add_error(None, message)


def _branding_page(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    form: BrandingForm = context["form"]
    saved = branding_values(context["settings"])
    context["preview"] = {
        name: _shown_value(form, name, saved.get(name))
        for name in ("brand_name", "color_header", "color_primary")
    }
    context["has_password"] = has_mail_password(context["settings"])
    context["last_uploads"] = branding_last_uploads()
    context["assets"] = ASSETS
    status = form_status(request, status)
    response = render_page(request, "settings/branding.html", context, partial="branding", status=status)
    add_never_cache_headers(response)
    return response


def _shown_value(form: BrandingForm, name: str, saved: Any) -> Any:
    """What the preview shows for a field: the value on the form if it is a valid one, else the saved."""
    value = form[name].value()
    if name.startswith("color_"):
        return value if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value) else saved
    return value or saved
