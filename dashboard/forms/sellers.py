"""The reseller's sellers: the create and edit forms (views/sellers.py)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from dashboard.forms.saving import RecordEditForm, UpstreamErrorsForm

# Gcore: Seller.phone matches `^[a-z0-9+\-()#, *]*$` (lower-case letters only), at most 30
# characters; the e-mail at most 150 (docs/gcore-api-notes.md §12).
SELLER_PHONE = RegexValidator(
    r"^[a-z0-9+\-()#, *]*$",
    "Digits, spaces and + - ( ) # , * only (and lower-case letters), as Gcore takes a seller's phone.",
)


class SellerFields(forms.Form):
    """A seller's writable fields (SellerCreate and SellerUpdate)."""

    full_name = forms.CharField(label="Name", max_length=255)
    email = forms.EmailField(
        label="Email", max_length=150, help_text="Gcore e-mails the seller an activation link here."
    )
    phone = forms.CharField(
        label="Phone", max_length=30, required=False, empty_value=None, validators=[SELLER_PHONE]
    )


class SellerCreateForm(SellerFields, UpstreamErrorsForm):
    """POST /iam/admin/sellers: a new seller's name, e-mail and phone."""


class SellerEditForm(SellerFields, RecordEditForm):
    """PATCH /iam/admin/sellers/{id}: the same fields, only the changed ones sent."""
