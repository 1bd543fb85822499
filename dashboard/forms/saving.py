"""What the change forms share: the upstream's errors on their fields, the values an edit was
opened with, a reason and an explicit tick for what cannot be taken back, and the input hints."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import ErrorDict

from dashboard.upstream.errors import UpstreamValidationError

LANGUAGE_NAMES = {"de": "German", "en": "English", "ru": "Russian", "zh": "Chinese", "az": "Azerbaijani"}
# Text inputs, not type=number: a browser blanks a number input holding text, hiding the mistake.
NUMERIC = {"inputmode": "numeric"}
DECIMAL = {"inputmode": "decimal"}
DATE = {"type": "date"}


# What a person is told when a post holds what its page could not have sent (a hidden value
# rewritten, a field sent twice): the view answers 400 and sends nothing.
TAMPERED = "This form is out of date or was changed outside the page: reload it and try again."
OUT_OF_DATE = "This form is out of date. Reload the page and try again."
SCALARS = (str, int, float, bool, type(None))
# The largest id a number field takes: a longer number is no id of Gcore's or SPP's (nor fits a
# database's integer), so it is refused here rather than sent.
ID_MAX = 2**63 - 1


def an_id(text: str) -> bool:
    """ASCII digits that make an id no larger than ID_MAX (checked by length first: Python refuses
    to read a number of thousands of digits; `isdigit` alone takes "²", which `int` refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= len(str(ID_MAX)) and int(text) <= ID_MAX


def takes_list(field: forms.Field) -> bool:
    """Whether a field's value is a list (a group of boxes, a multiple select)."""
    return isinstance(field, forms.MultipleChoiceField) or getattr(field, "takes_list", False)


def posts_many(field: forms.Field) -> bool:
    """Whether a browser may send a field more than once (a group of boxes, a multiple select)."""
    widget = field.widget
    return getattr(widget, "allow_multiple_selected", False) or isinstance(widget, forms.MultipleHiddenInput)


class PostForm(forms.Form):
    """A form a POST binds. A field sent more than once (where the page sends one value or one
    file) makes it invalid as tampered, whichever value Django would have taken: see `tampered`."""

    # Django's own (private, so left out of django-stubs): the errors so far, None until cleaned.
    _errors: ErrorDict | None

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound:
            repeated = [
                name
                for name, field in self.fields.items()
                if not posts_many(field) and len(self._sent(name, field)) > 1
            ]
            if repeated:
                self.refuse_as_tampered()

    def _sent(self, name: str, field: forms.Field) -> list[Any]:
        """Every value the post holds for a field: a file field's among the uploads (request.FILES)."""
        values = self.files if isinstance(field, forms.FileField) else self.data
        return values.getlist(self.add_prefix(name)) if hasattr(values, "getlist") else []

    def refuse_as_tampered(self) -> None:
        if not self.tampered:
            self.add_error(None, ValidationError(TAMPERED, code="tampered"))

    @property
    def tampered(self) -> bool:
        """The post holds what the page could not have sent: a 400, not a form to correct."""
        errors = self._errors.as_data().get(NON_FIELD_ERRORS, []) if self._errors is not None else []
        return any(error.code == "tampered" for error in errors)


def json_record(
    text: str | None, takes_lists: set[str] | frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """The JSON object a hidden field holds, if it is one of plain values (a list only under
    `takes_lists`); None for anything else."""
    try:
        record = json.loads(text or "")
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
        return None
    if not isinstance(record, dict):
        return None
    for key, value in record.items():
        if isinstance(value, list) and key in takes_lists:
            if not all(isinstance(item, SCALARS) for item in value):
                return None
        elif not isinstance(value, SCALARS):
            return None
    return record


class UpstreamErrorsForm(PostForm):
    """A form that puts an upstream's validation errors on its fields (by `upstream_fields`, else
    by the same name among `editable`), and anything else above the form."""

    # The upstream's field name -> this form's field name, for upstream validation errors.
    upstream_fields: ClassVar[dict[str, str]] = {}

    @property
    def editable(self) -> list[str]:
        return list(self.fields)

    def add_upstream_errors(self, exc: UpstreamValidationError) -> None:
        self.add_upstream_field_errors(exc.field_errors)
        for message in exc.non_field_errors:
            self.add_error(None, message)
        if not exc.field_errors and not exc.non_field_errors:
            self.add_error(None, exc.message)

    def add_upstream_field_errors(self, field_errors: dict[str, list[str]]) -> None:
        """Each message on its field, or above the form naming the upstream's field."""
        for api_name, messages in field_errors.items():
            name = self.upstream_fields.get(api_name, api_name if api_name in self.editable else None)
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    self.add_error(None, f"{api_name}: {message}")


class OriginalForm(PostForm):
    """A form that carries the values it was opened with: `original` (hidden, JSON; each form's
    `clean_original` reads it, TAMPERED when it holds what the page could not have sent) and
    `overwrite`, the explicit choice to save over a change made upstream meanwhile. A doctored
    `original` makes the form tampered; a missing one, out of date."""

    original = forms.CharField(widget=forms.HiddenInput, required=False)
    overwrite = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (its stubs allow a subclass's None)
        if "original" in self.errors:  # not even text a page could hold (a NUL byte)
            del self.errors["original"]
            data["original"] = TAMPERED
        if data.get("original") is TAMPERED:
            data["original"] = None
            self.refuse_as_tampered()
        elif "original" in data and data["original"] is None:
            # A hidden field's error would be invisible: say it above the form.
            self.add_error(None, OUT_OF_DATE)
        return data


class RecordEditForm(OriginalForm, UpstreamErrorsForm):
    """A form that edits an upstream record (Gcore's or SPP's): keeps the values it was opened with,
    and puts the upstream's errors on its fields.

    `original` (hidden, JSON) carries the values shown when the form was opened, so the service can
    tell what the person changed and whether Gcore changed the same fields meanwhile. `overwrite`
    is the explicit choice to save over such a concurrent change (`OriginalForm`).
    """

    # The form's own hidden fields, never a field of the record.
    bookkeeping: ClassVar[tuple[str, ...]] = ("original", "overwrite", "reverts")

    def __init__(self, data: Any = None, *, current: dict[str, Any] | None = None, **kwargs: Any) -> None:
        initial = dict(current or {})
        if current is not None:
            initial["original"] = json.dumps(current, default=str)
        elif data is not None:
            # Disabled fields take their value from `initial`, never from the post: use the
            # values the form was opened with (when they are plain values at all).
            lists = {name for name, field in self.base_fields.items() if takes_list(field)}
            initial = json_record(data.get("original"), lists) or {}
        super().__init__(data, initial=initial, **kwargs)

    @property
    def editable(self) -> list[str]:
        """The fields the person may change here (disabled ones are shown, never taken from input)."""
        return [
            name for name, field in self.fields.items() if name not in self.bookkeeping and not field.disabled
        ]

    @property
    def record_fields(self) -> list[str]:
        """The fields `original` holds: those the person may change and those shown disabled."""
        return [
            name
            for name, field in self.fields.items()
            if name not in self.bookkeeping and (name in self.editable or field.disabled)
        ]

    def clean_original(self) -> dict[str, Any] | str | None:
        text = self.cleaned_data["original"]
        if not text:
            return None  # an old page, or a post without it: out of date
        lists = {name for name, field in self.fields.items() if takes_list(field)}
        original = json_record(text, lists)
        if original is None or not all(self._fits(name, original) for name in self.record_fields):
            return TAMPERED
        return original

    def _fits(self, name: str, original: dict[str, Any]) -> bool:
        """Whether `original` holds a value of the field's own type for `name`."""
        if name not in original:
            return False
        field, value = self.fields[name], original[name]
        if isinstance(value, list) != takes_list(field):
            return value is None
        if isinstance(field, forms.BooleanField):
            return isinstance(value, bool | None)
        try:
            field.to_python(value)
        except (ValidationError, TypeError, ValueError, ArithmeticError):
            return False
        return True

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


class ConfirmForm(PostForm):
    """An action that cannot be taken back (removing a user, revoking a token, starting a change
    across many clients): a reason for the activity log, and an explicit tick."""

    reason = reason_field(required=True)
    confirm = forms.BooleanField(label="I understand")
