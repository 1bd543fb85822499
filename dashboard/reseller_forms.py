"""Forms of the reseller's own settings: its sellers and the e-mails Gcore notifies."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from dashboard.forms import RecordEditForm, UpstreamErrorsForm
from dashboard.services.notifications import NOTIFICATION_TYPES

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


# -- notification e-mails ----------------------------------------------------------------------------


class NotificationFields(forms.Form):
    """NotificationSettingsWrite: which event, which address, on or off."""

    notification_type = forms.ChoiceField(label="Type", choices=list(NOTIFICATION_TYPES.items()))
    email = forms.EmailField(label="Email", max_length=254)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)


class NotificationCreateForm(NotificationFields, UpstreamErrorsForm):
    """POST .../notification_settings."""


class NotificationEditForm(NotificationFields, RecordEditForm):
    """PATCH .../notification_settings/{id} with the changed fields."""


class NotificationToggleForm(RecordEditForm):
    """Switching one setting on or off: PATCH `enabled` alone."""

    enabled = forms.BooleanField(required=False, widget=forms.HiddenInput)
