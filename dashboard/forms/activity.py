"""The activity page's filters (the audit log)."""

from __future__ import annotations

from typing import Any

from django import forms

from dashboard.forms.saving import ID_MAX, NUMERIC
from dashboard.models import AuditEntry


class ActivityFilterForm(forms.Form):
    """Filters of the activity page (the audit log)."""

    actor = forms.CharField(label="Staff member", required=False, max_length=150, help_text="Username")
    client_id = forms.IntegerField(
        label="Client ID",
        required=False,
        min_value=1,
        max_value=ID_MAX,
        widget=forms.TextInput(attrs=NUMERIC),
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any"), *AuditEntry.Outcome.choices]
    )
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any"), *AuditEntry.Action.choices]
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict[str, Any]:
        """The valid filters, for `audit_query`; an invalid one is shown on its field and not applied."""
        data = getattr(self, "cleaned_data", {})
        return {
            name: data[name]
            for name in self.fields
            if name in data and name not in self.errors and data[name] not in (None, "")
        }
