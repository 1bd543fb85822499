"""The reseller's own settings at Gcore: the products every client sees by default and the e-mails
Gcore sends about the account.
Administrators only. Thin views: bind the form, call one service, pick the page."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.forms import AvailabilityForm, ConfirmForm
from dashboard.gcore import GcoreNotFound
from dashboard.gcore.models import NotificationSetting
from dashboard.http import HtmxHttpRequest, client_ip, render_page
from dashboard.mfa import fresh_identity_required, said_yes
from dashboard.models import AuditEntry
from dashboard.reseller_forms import NotificationCreateForm, NotificationEditForm, NotificationToggleForm
from dashboard.roles import perm
from dashboard.services.audit import Outcome, audit_refused_input
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
