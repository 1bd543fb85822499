"""Saved views of the client list."""

from __future__ import annotations

from django import forms

from dashboard.forms.saving import PostForm
from dashboard.services.saved_views import SavedViewError


class SavedViewForm(PostForm):
    """Save the client list's current filters under a name, or rename and share a saved view."""

    name = forms.CharField(label="Name", max_length=80)
    shared = forms.BooleanField(label="Share with the team", required=False)
    # The list's query string when the form was shown (the sidebar keeps it in step with the address bar).
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def add_service_error(self, exc: SavedViewError) -> None:
        self.add_error(exc.field if exc.field in ("name",) else None, exc.message)
