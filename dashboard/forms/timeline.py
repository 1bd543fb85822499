"""Filters of the client timeline and of Gcore's account-wide activity log (controls only: the
services read the filters as dataclasses). An invalid filter is shown on its field and not applied."""

from __future__ import annotations

from typing import Any

from django import forms

from dashboard.forms.saving import NUMERIC
from dashboard.services.timeline import OUTSIDE, SOURCES, GcoreLogFilters, TimelineFilters

DATE = {"type": "date"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class _Filters(forms.Form):
    def valid(self) -> dict[str, Any]:
        """The valid filters, by name; an invalid one is left out (its error shows on its field)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: data[name]
            for name in self.fields
            if name in data and name not in self.errors and data[name] not in (None, "")
        }


class TimelineFilterForm(_Filters):
    source = forms.ChoiceField(label="Source", required=False, choices=[("", "Any"), *SOURCES.items()])
    origin = forms.ChoiceField(label="Made", required=False, choices=[("", "Anywhere"), ("outside", OUTSIDE)])
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs=DATE))
    until = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs=DATE))

    def filters(self) -> TimelineFilters:
        data = self.valid()
        source = data.get("source")
        return TimelineFilters(
            sources=frozenset([source]) if source else frozenset(),
            outside_only=data.get("origin") == "outside",
            since=data.get("since"),
            until=data.get("until"),
        )


class GcoreLogFilterForm(_Filters):
    client = forms.IntegerField(
        label="Account (client ID)", required=False, min_value=1, widget=forms.TextInput(attrs=NUMERIC)
    )
    user = forms.CharField(label="User e-mail", required=False, max_length=254)
    method = forms.ChoiceField(
        label="Method", required=False, choices=[("", "Any"), *((m, m) for m in METHODS)]
    )
    path = forms.CharField(label="Path contains", required=False, max_length=500)
    status_code = forms.IntegerField(
        label="Status code",
        required=False,
        min_value=100,
        max_value=599,
        widget=forms.TextInput(attrs=NUMERIC),
    )
    origin = forms.ChoiceField(
        label="Made",
        required=False,
        choices=[("", "Anywhere"), ("outside", OUTSIDE), ("dashboard", "through the dashboard")],
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs=DATE))
    until = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs=DATE))

    def filters(self) -> GcoreLogFilters:
        data = self.valid()
        return GcoreLogFilters(
            client=data.get("client"),
            user=data.get("user", ""),
            method=data.get("method", ""),
            path=data.get("path", ""),
            status_code=data.get("status_code"),
            since=data.get("since"),
            until=data.get("until"),
            origin=data.get("origin", ""),
        )
