"""The billing link (SPP): linking, the SPP record's edit form, and the two-way sync."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, ClassVar

from django import forms

from dashboard.forms.saving import (
    ID_MAX,
    NUMERIC,
    TAMPERED,
    OriginalForm,
    PostForm,
    RecordEditForm,
    an_id,
    json_record,
)


class IntegerListField(forms.CharField):
    """Integers separated by commas ("25, 31"), as a list."""

    takes_list = True  # its value (and its `original`) is a list

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]  # text in, a list out (stubs: str)
        if isinstance(value, list | tuple):  # a disabled field's initial value, already a list
            return [int(item) for item in value]
        text = super().to_python(value) or ""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not all(an_id(part) for part in parts):
            raise forms.ValidationError("Enter numbers separated by commas.")
        return [int(part) for part in parts]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(str(item) for item in value) if isinstance(value, list | tuple) else value


def _spp_text(label: str, **kwargs: Any) -> forms.CharField:
    # SPP: text fields are strings; an emptied one is sent as "" (null is not documented as
    # accepted, docs/spp-api-notes.md §8).
    return forms.CharField(label=label, required=False, max_length=255, **kwargs)


class BillingEditForm(RecordEditForm):
    """PUT /api/clients/{user}: the SPP client's contact fields, and (administrators) its account."""

    # SPP's field names in its validation errors -> this form's fields (docs/spp-api-notes.md §7).
    upstream_fields: ClassVar[dict[str, str]] = {
        **{f"address.{name}": name for name in ("line_1", "city", "state", "postcode", "country")},
        "employee_id": "employee_ids",
        "status": "status_id",
    }

    name_f = _spp_text("First name")
    name_l = _spp_text("Last name")
    email = forms.EmailField(label="Email", max_length=254)
    company = _spp_text("Company")
    tax_id = _spp_text("Tax ID")
    phone = _spp_text("Phone")
    line_1 = _spp_text("Address")
    city = _spp_text("City")
    state = _spp_text("State")
    postcode = _spp_text("Postcode")
    country = _spp_text("Country", help_text="As SPP keeps it, for example US.")
    # SPP: the note's length is undocumented; a TEXT column's 65,535 bounds what a page sends.
    note = forms.CharField(
        label="Note", required=False, max_length=65_535, widget=forms.Textarea(attrs={"rows": 3})
    )
    balance = forms.DecimalField(label="Balance", required=False, max_digits=14, decimal_places=2)
    status_id = forms.IntegerField(
        label="Status", required=False, min_value=0, max_value=ID_MAX, widget=forms.TextInput(attrs=NUMERIC)
    )
    stripe_id = _spp_text("Stripe ID")
    employee_ids = IntegerListField(
        label="Assigned employees", required=False, help_text="SPP team member IDs, separated by commas."
    )

    ACCOUNT = ("balance", "status_id", "stripe_id", "employee_ids")

    def __init__(
        self,
        *args: Any,
        can_change_account: bool = False,
        status_names: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if status_names:
            # The reseller named SPP's status numbers (SPP_STATUS_NAMES): offer the names.
            choices = [
                ("", "—"),
                *((number, f"{name} ({number})") for number, name in sorted(status_names.items())),
            ]
            current = self.initial.get("status_id")
            if current is not None and current not in status_names:
                choices.append((current, str(current)))
            self.fields["status_id"] = forms.TypedChoiceField(
                label="Status", required=False, coerce=int, empty_value=None, choices=choices
            )
        if not can_change_account:
            for name in self.ACCOUNT:
                field = self.fields[name]
                field.disabled = True
                field.help_text = (
                    "Only administrators can change the balance, status, Stripe ID and employees."
                )

    def clean_original(self) -> dict[str, Any] | str | None:
        original = super().clean_original()
        if isinstance(original, dict) and original.get("balance") is not None:
            # Opened as text in the hidden field: compared as the amount it is.
            original["balance"] = Decimal(str(original["balance"]))
        return original


SYNC_CHOICES = [("leave", "Leave as they are"), ("to_spp", "Gcore → SPP"), ("to_gcore", "SPP → Gcore")]


class BillingSyncForm(OriginalForm):
    """For each field both systems hold: leave it, or copy one system's value to the other."""

    email = forms.ChoiceField(label="Email", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect)
    company = forms.ChoiceField(
        label="Company", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect
    )
    phone = forms.ChoiceField(label="Phone", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect)
    contact = forms.ChoiceField(
        label="Contact name", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect
    )

    CHOICES = ("email", "company", "phone", "contact")

    def __init__(self, data: Any = None, *, current: dict[str, Any] | None = None, **kwargs: Any) -> None:
        initial = {"original": json.dumps(current)} if current is not None else {}
        super().__init__(data, initial=initial, **kwargs)

    def clean_original(self) -> dict[str, Any] | str | None:
        text = self.cleaned_data["original"]
        if not text:
            return None  # an old page, or a post without it: out of date
        original = json_record(text)
        keys = {f"{side}.{name}" for side in ("gcore", "spp") for name in self.CHOICES}
        if original is None or not keys <= set(original):
            return TAMPERED
        return original

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # an out-of-date or doctored `original` is an error already
        if not self.errors and all(data.get(name) == "leave" for name in self.CHOICES):
            self.add_error(None, "Choose at least one field to copy across.")
        return data

    def choices(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.CHOICES}


class LinkForm(PostForm):
    """Link a Gcore client to an SPP client by its ID (typed, or picked among the email matches)."""

    spp_id = forms.IntegerField(
        label="SPP client ID", min_value=1, max_value=ID_MAX, widget=forms.TextInput(attrs=NUMERIC)
    )
