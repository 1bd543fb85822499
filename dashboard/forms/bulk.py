"""A change across many clients: what it changes, and for which clients."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from dashboard.forms.account import SERVICE_STATUS_LABELS
from dashboard.forms.saving import ID_MAX, ConfirmForm, PostForm, an_id
from dashboard.gcore.models import SERVICE_NAMES


class BulkPreviewForm(PostForm):
    """A change across many clients: which service, which status, and which clients."""

    service = forms.ChoiceField(label="Service", choices=[(name, name) for name in SERVICE_NAMES])
    status = forms.ChoiceField(label="New status", choices=list(SERVICE_STATUS_LABELS.items()))
    client = forms.TypedMultipleChoiceField(coerce=int, required=False)
    scope = forms.ChoiceField(
        choices=[("ids", "The ticked clients"), ("query", "All clients matching the filters")], initial="ids"
    )
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ticked = self.data.getlist("client") if hasattr(self.data, "getlist") else []
        client = cast(forms.ChoiceField, self.fields["client"])
        client.choices = [(value, value) for value in ticked if an_id(str(value))]


class BulkStartForm(ConfirmForm):
    """Starting a previewed change across many clients: the draft (`batch`), a reason and the tick."""

    action = forms.ChoiceField(choices=[("start", "Start")], widget=forms.HiddenInput)
    batch = forms.IntegerField(min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)
