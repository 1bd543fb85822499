"""What the change forms share: the upstream's errors on their fields, the values an edit was
opened with, a reason and an explicit tick for what cannot be taken back, and the input hints."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django import forms

from dashboard.upstream.errors import UpstreamValidationError

LANGUAGE_NAMES = {"de": "German", "en": "English", "ru": "Russian", "zh": "Chinese", "az": "Azerbaijani"}
# Text inputs, not type=number: a browser blanks a number input holding text, hiding the mistake.
NUMERIC = {"inputmode": "numeric"}
DECIMAL = {"inputmode": "decimal"}
DATE = {"type": "date"}


class UpstreamErrorsForm(forms.Form):
    """A form that puts an upstream's validation errors on its fields (by `upstream_fields`, else
    by the same name among `editable`), and anything else above the form."""

    # The upstream's field name -> this form's field name, for upstream validation errors.
    upstream_fields: ClassVar[dict[str, str]] = {}

    @property
    def editable(self) -> list[str]:
        return list(self.fields)

    def add_upstream_errors(self, exc: UpstreamValidationError) -> None:
        for api_name, messages in exc.field_errors.items():
            name = self.upstream_fields.get(api_name, api_name if api_name in self.editable else None)
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, f"{api_name}: {message}")
        for message in exc.non_field_errors:
            self.add_error(None, message)
        if not exc.field_errors and not exc.non_field_errors:
            self.add_error(None, exc.message)


class RecordEditForm(UpstreamErrorsForm):
    """A form that edits an upstream record (Gcore's or SPP's): keeps the values it was opened with,
    and puts the upstream's errors on its fields.

    `original` (hidden, JSON) carries the values shown when the form was opened, so the service can
    tell what the person changed and whether Gcore changed the same fields meanwhile. `overwrite`
    is the explicit choice to save over such a concurrent change.
    """

    original = forms.CharField(widget=forms.HiddenInput, required=False)
    overwrite = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *, current: dict[str, Any] | None = None, **kwargs: Any) -> None:
        initial = dict(current or {})
        if current is not None:
            initial["original"] = json.dumps(current, default=str)
        elif data is not None:
            # Disabled fields take their value from `initial`, never from the post: use the
            # values the form was opened with.
            try:
                opened = json.loads(data.get("original") or "")
            except ValueError:
                opened = None
            initial = opened if isinstance(opened, dict) else {}
        super().__init__(data, initial=initial, **kwargs)

    @property
    def editable(self) -> list[str]:
        """The fields the person may change here (disabled ones are shown, never taken from input)."""
        return [
            name
            for name, field in self.fields.items()
            if name not in ("original", "overwrite") and not field.disabled
        ]

    def clean_original(self) -> dict[str, Any] | None:
        try:
            original = json.loads(self.cleaned_data["original"] or "")
        except ValueError:
            return None
        return original if isinstance(original, dict) else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("original") is None:
            # A hidden field's error would be invisible: say it above the form.
            self.add_error(None, "This form is out of date. Reload the page and try again.")
        return data

    def desired(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.editable}


def optional_text(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    # Gcore: these fields are nullable; an emptied field is sent as null (docs/gcore-api-notes.md §2, §4).
    return forms.CharField(label=label, required=False, max_length=max_length, empty_value=None, **kwargs)


def reason_field(required: bool = False) -> forms.CharField:
    help_text = (
        "Kept in the activity log."
        if required
        else "Kept in the activity log. Required when a change stops the customer's resources."
    )
    return forms.CharField(
        label="Reason",
        required=required,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


class ConfirmForm(forms.Form):
    """An action that cannot be taken back (removing a user, revoking a token, starting a change
    across many clients): a reason for the activity log, and an explicit tick."""

    reason = reason_field(required=True)
    confirm = forms.BooleanField(label="I understand")
