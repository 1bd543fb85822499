"""The reseller's sellers: the list, and creating, editing and deleting one (administrators only).
Thin views: bind the form, call one service, pick the page."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dashboard.forms import ConfirmForm
from dashboard.gcore import GcoreNotFound
from dashboard.http import HtmxHttpRequest, client_ip, render_page, wants_fresh
from dashboard.mfa import fresh_identity_required, said_yes
from dashboard.models import AuditEntry
from dashboard.reseller_forms import SellerCreateForm, SellerEditForm
from dashboard.roles import perm
from dashboard.services.audit import Outcome, audit_refused_input
from dashboard.services.sellers import (
    ORDERINGS,
    seller_client_counts,
    seller_client_query,
    seller_create,
    seller_delete,
    seller_get,
    seller_update,
    seller_values,
    sellers_list,
)
from dashboard.upstream.errors import UpstreamError, UpstreamValidationError
from dashboard.views.saving import change_failed, form_status, save_form, saved_message

MANAGE = perm("manage_sellers")


class SellerFilterForm(forms.Form):
    """The list's search box, sort order and whether deleted sellers show."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    ordering = forms.ChoiceField(label="Sort by", required=False, choices=list(ORDERINGS.items()))
    deleted = forms.BooleanField(label="Show deleted sellers", required=False)


@require_GET
@permission_required(MANAGE, raise_exception=True)
def sellers_view(request: HtmxHttpRequest) -> HttpResponse:
    """Every seller with their client count (a link to those clients); search and sort."""
    filters = SellerFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    read, rows, counted = sellers_list(
        search=data.get("q") or "",
        ordering=data.get("ordering") or "full_name",
        show_deleted=bool(data.get("deleted")),
        fresh=wants_fresh(request),
    )
    links = {row.seller.id: f"{reverse('client-list')}?{seller_client_query(row.seller.id)}" for row in rows}
    context = {"filters": filters, "rows": [(row, links[row.seller.id]) for row in rows]}
    context |= {"counted": counted, "read": read}
    return render_page(request, "sellers/list.html", context, partial="seller-results")


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def seller_create_view(request: HtmxHttpRequest) -> HttpResponse:
    form = SellerCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return _form_page(request, {"form": form})
    if not form.is_valid():
        audit_refused_input(
            action=AuditEntry.Action.SELLER_CREATE, client_id=None, actor=request.user,
            errors=form.errors, ip_address=client_ip(request),
        )  # fmt: skip
        return _form_page(request, {"form": form}, 422)
    try:
        seller = seller_create(values=form.cleaned_data, actor=request.user, ip_address=client_ip(request))
    except UpstreamValidationError as exc:
        form.add_upstream_errors(exc)
        return _form_page(request, {"form": form}, 422)
    except UpstreamError as exc:
        text, status = change_failed(exc)
        form.add_error(None, text)
        return _form_page(request, {"form": form}, status)
    messages.success(
        request, f"Created the seller {seller.full_name}: Gcore e-mails {seller.email} an activation link."
    )
    return redirect(f"{reverse('seller-list')}?{urlencode({'q': seller.email})}")


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def seller_edit_view(request: HtmxHttpRequest, seller_id: int) -> HttpResponse:
    seller = seller_get(seller_id=seller_id)
    context: dict[str, Any] = {"seller": seller, "conflicts": []}
    if request.method == "GET":
        return _form_page(request, context | {"form": SellerEditForm(current=seller_values(seller))})
    form = SellerEditForm(request.POST)
    result, status = save_form(
        request,
        form,
        action=AuditEntry.Action.SELLER_UPDATE,
        client_id=None,
        save=partial(seller_update, seller_id=seller_id),
    )
    if result is not None and result.outcome != Outcome.CONFLICT:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        messages.add_message(request, level, saved_message(result, f"Seller {seller.full_name}"))
        return redirect("seller-list")
    context["conflicts"] = result.conflicts if result else []
    return _form_page(request, context | {"form": form}, status)


def _form_page(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("conflicts", [])
    status = form_status(request, status)
    return render_page(request, "sellers/form.html", context, partial="seller-form", status=status)


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
@fresh_identity_required(when=said_yes)
def seller_delete_view(request: HtmxHttpRequest, seller_id: int) -> HttpResponse:
    """What deleting the seller does and how many clients carry their id; a reason and a tick."""
    try:
        seller = seller_get(seller_id=seller_id)
    except GcoreNotFound:
        if request.method == "GET":
            raise
        messages.info(request, "Gcore has no such seller (any more): nothing was sent.")
        return redirect("seller-list")
    if seller.deleted:
        messages.info(request, f"The seller {seller.full_name} is already deleted: nothing was sent.")
        return redirect("seller-list")
    counts = seller_client_counts(seller_ids=[seller.id])
    clients = counts.get(seller.id, 0) if counts is not None else None
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"seller": seller, "clients": clients, "form": form}
    context["clients_url"] = f"{reverse('client-list')}?{seller_client_query(seller.id)}"
    if request.method == "GET":
        return _delete_page(request, context)
    if not form.is_valid():
        audit_refused_input(
            action=AuditEntry.Action.SELLER_DELETE, client_id=None, actor=request.user,
            errors=form.errors, ip_address=client_ip(request),
        )  # fmt: skip
        return _delete_page(request, context, 422)
    try:
        seller_delete(
            seller=seller,
            reason=form.cleaned_data["reason"],
            clients=clients,
            actor=request.user,
            ip_address=client_ip(request),
        )
    except GcoreNotFound:
        messages.info(request, f"The seller {seller.full_name} was already deleted: nothing more to do.")
        return redirect("seller-list")
    except UpstreamError as exc:
        text, status = change_failed(exc)
        form.add_error(None, text)
        return _delete_page(request, context, status)
    messages.success(request, f"Deleted the seller {seller.full_name}; Gcore took them off their clients.")
    return redirect("seller-list")


def _delete_page(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    status = form_status(request, status)
    return render_page(request, "sellers/delete.html", context, partial="seller-delete", status=status)
