"""The client and user edit forms (PATCH /iam/clients/{id}, PATCH /iam/users/{id} and the role)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django import forms

from dashboard.forms.saving import ID_MAX, LANGUAGE_NAMES, NUMERIC, RecordEditForm, optional_text
from dashboard.gcore.models import GROUPS, AuthType, Language


class RevertibleEditForm(RecordEditForm):
    """An edit form that can be opened to revert an audit entry (services/revert.py): `reverts`
    carries the entry's id, so the new entry says which one it undoes."""

    reverts = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=ID_MAX)

    def revert(self, *, entry_id: int, undo: dict[str, Any], opened_with: dict[str, Any]) -> None:
        """Open on the values before the entry; "opened with" what the entry set (see RevertPlan)."""
        self.initial["original"] = json.dumps(opened_with, default=str)
        self.initial["reverts"] = entry_id
        for name, value in undo.items():
            if name in self.editable:  # a disabled field keeps Gcore's value: not this person's to set
                self.initial[name] = value


class ClientEditForm(RevertibleEditForm):
    """PATCH /iam/clients/{id}: UpdateClientRequest's fields (docs/gcore-api-notes.md §4)."""

    upstream_fields: ClassVar[dict[str, str]] = {"companyName": "company_name", "resellers": "reseller"}

    company_name = forms.CharField(label="Company name", max_length=255)
    email = forms.EmailField(label="Email", max_length=254)
    name = optional_text("Contact name", 255)
    phone = optional_text("Phone", 30)
    custom_id = optional_text("Custom ID", 255)
    is_test = forms.BooleanField(
        label="Test client", required=False, help_text="Test clients are left out of production figures."
    )
    reseller = forms.IntegerField(
        label="Reseller ID", min_value=1, max_value=ID_MAX, widget=forms.TextInput(attrs=NUMERIC)
    )
    seller = forms.IntegerField(
        label="Seller ID",
        min_value=1,
        max_value=ID_MAX,
        required=False,
        widget=forms.TextInput(attrs=NUMERIC),
        help_text="Empty for no seller.",
    )

    def __init__(self, *args: Any, can_reassign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_reassign:
            for name in ("reseller", "seller"):
                field = self.fields[name]
                field.disabled = True
                field.help_text = "Only administrators can move a client to another reseller or seller."


class UserEditForm(RevertibleEditForm):
    """PATCH /iam/users/{id} for the profile, PUT client-users for the role."""

    email = forms.EmailField(label="Email", max_length=254)
    name = optional_text("Name", 255)
    lang = forms.ChoiceField(
        label="Language", choices=[(lang.value, LANGUAGE_NAMES[lang.value]) for lang in Language]
    )
    phone = optional_text("Phone", 30)
    company = forms.CharField(label="Company", max_length=255)
    auth_types = forms.MultipleChoiceField(
        label="Sign-in methods",
        choices=[(auth.value, auth.value) for auth in AuthType],
        widget=forms.CheckboxSelectMultiple,
    )
    role = forms.TypedChoiceField(
        label="Role", coerce=int, choices=[(group.id, group.name) for group in GROUPS]
    )

    upstream_fields: ClassVar[dict[str, str]] = {
        "user_role": "role",
        "groups": "role",
        "client_user.role": "role",
    }
