"""The reseller's own settings at Gcore: the products every client sees by default (more beside it).
Administrators only. Thin views: bind the form, call one service, pick the page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dashboard.forms import AvailabilityForm, ConfirmForm
from dashboard.http import HtmxHttpRequest, client_ip, render_page
from dashboard.mfa import fresh_identity_required, said_yes
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.audit import Outcome, audit_refused_input
from dashboard.services.product_defaults import (
    defaults_get,
    defaults_reset_all,
    defaults_update,
    personal_query,
)
from dashboard.upstream.errors import UpstreamError
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
