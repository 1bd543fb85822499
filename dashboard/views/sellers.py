"""The reseller's sellers: the list, and creating, editing and deleting one (administrators only).
Each change is a form, one service call and a template (dashboard/changes.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboard.changes import ChangeView, RecordChangeView
from dashboard.forms.saving import ConfirmForm
from dashboard.forms.sellers import SellerCreateForm, SellerEditForm
from dashboard.gcore.models import Seller
from dashboard.http import HtmxHttpRequest, client_ip, render_page, wants_fresh
from dashboard.mfa import said_yes
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.audit import Outcome
from dashboard.services.saves import SaveResult
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
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound
from dashboard.views.saving import refusal_above_form, refusal_on_form, saved_message

MANAGE = "manage_sellers"


class SellerFilterForm(forms.Form):
    """The list's search box, sort order and whether deleted sellers show."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    ordering = forms.ChoiceField(label="Sort by", required=False, choices=list(ORDERINGS.items()))
    deleted = forms.BooleanField(label="Show deleted sellers", required=False)


@require_GET
@permission_required(perm(MANAGE), raise_exception=True)
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


class SellerCreateView(ChangeView):
    """POST /iam/admin/sellers: Gcore e-mails the new seller an activation link."""

    permission = MANAGE
    audit_action = AuditEntry.Action.SELLER_CREATE
    form_class = SellerCreateForm
    template_name, partial_name = "sellers/form.html", "seller-form"

    def save_instance(self, form: SellerCreateForm) -> Seller:
        return seller_create(
            values=form.cleaned_data, actor=self.request.user, ip_address=client_ip(self.request)
        )

    def show_failure(self, form: SellerCreateForm, exc: UpstreamError) -> int:
        return refusal_on_form(form, exc)

    def get_success_response(self, form: SellerCreateForm, result: Seller) -> HttpResponse:
        messages.success(
            self.request,
            f"Created the seller {result.full_name}: Gcore e-mails {result.email} an activation link.",
        )
        return redirect(f"{reverse('seller-list')}?{urlencode({'q': result.email})}")


class SellerEditView(RecordChangeView):
    """PATCH /iam/admin/sellers/{id} with only what changed, after the conflict check."""

    permission = MANAGE
    audit_action = AuditEntry.Action.SELLER_UPDATE
    form_class = SellerEditForm
    template_name, partial_name = "sellers/form.html", "seller-form"

    def load(self) -> None:
        self.seller = seller_get(seller_id=self.kwargs["seller_id"])

    def get_initial_form(self) -> SellerEditForm:
        return SellerEditForm(current=seller_values(self.seller))

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(seller=self.seller, **extra)

    def save_record(self, form: SellerEditForm, **values: Any) -> SaveResult:
        return seller_update(seller_id=self.seller.id, **values)

    def saved(self, result: SaveResult) -> HttpResponse:
        level = messages.SUCCESS if result.outcome == Outcome.SAVED else messages.INFO
        messages.add_message(self.request, level, saved_message(result, f"Seller {self.seller.full_name}"))
        return redirect("seller-list")


class _SellerDeleted(Exception):
    """The seller is deleted already (Gcore keeps them, marked): there is nothing to send."""


class SellerDeleteView(ChangeView):
    """DELETE /iam/admin/sellers/{id}: what the seller loses and how many clients carry their id, a
    reason, the tick, and the fresh confirmation of the risky actions."""

    permission = MANAGE
    fresh_identity = staticmethod(said_yes)
    audit_action = AuditEntry.Action.SELLER_DELETE
    form_class = ConfirmForm
    template_name, partial_name = "sellers/delete.html", "seller-delete"

    def load(self) -> None:
        self.seller = seller_get(seller_id=self.kwargs["seller_id"])  # a 404 is the GET's answer
        if self.seller.deleted:
            raise _SellerDeleted
        counts = seller_client_counts(seller_ids=[self.seller.id])
        self.clients = counts.get(self.seller.id, 0) if counts is not None else None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        except _SellerDeleted:  # raised by load(), before any form is read: nothing was sent
            return self.gone()

    def not_loaded(self, exc: UpstreamNotFound) -> HttpResponse:
        return self.gone()

    def gone(self) -> HttpResponse:
        messages.info(self.request, "Gcore has no such seller (any more): nothing was sent.")
        return redirect("seller-list")

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        query = seller_client_query(self.seller.id)
        return super().get_context_data(
            seller=self.seller, clients=self.clients, clients_url=f"{reverse('client-list')}?{query}", **extra
        )

    def save_instance(self, form: ConfirmForm) -> None:
        seller_delete(
            seller=self.seller,
            reason=form.cleaned_data["reason"],
            clients=self.clients,
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def show_failure(self, form: ConfirmForm, exc: UpstreamError) -> int:
        return refusal_above_form(form, exc)

    def not_found(self, form: Any, exc: UpstreamNotFound) -> HttpResponse:
        return self.gone()

    def get_success_response(self, form: ConfirmForm, result: None) -> HttpResponse:
        name = self.seller.full_name
        messages.success(self.request, f"Deleted the seller {name}; Gcore took them off their clients.")
        return redirect("seller-list")
