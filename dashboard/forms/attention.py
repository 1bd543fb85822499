"""The Needs attention queue's filters, and the forms that assign, snooze and resolve a finding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from dashboard.forms.saving import ID_MAX, NUMERIC, PostForm
from dashboard.models import Finding

NOTE_MAX = 1000
SNOOZE_MAX_DAYS = 365
STATES = (("open", "Open"), ("snoozed", "Snoozed"), ("resolved", "Resolved"), ("all", "Any"))


def assignable_staff() -> QuerySet[User]:
    """Active staff members who may work on findings (the Support agents and administrators)."""
    may = (
        Q(is_superuser=True)
        | Q(groups__permissions__codename="change_attention")
        | Q(user_permissions__codename="change_attention")
    )
    return User.objects.filter(may, is_active=True).distinct().order_by("username")


class FindingFilterForm(forms.Form):
    """The queue's filters; state "open" (with the snoozes whose date has come) unless asked."""

    rule = forms.ChoiceField(label="Rule", required=False, choices=[("", "Any"), *Finding.Rule.choices])
    state = forms.ChoiceField(label="State", required=False, choices=STATES)
    assignee = forms.ChoiceField(label="Assigned to", required=False)
    client_id = forms.IntegerField(
        label="Client ID",
        required=False,
        min_value=1,
        max_value=ID_MAX,
        widget=forms.TextInput(attrs=NUMERIC),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(user.username, user.username) for user in assignable_staff()]
        choices = [("", "Anyone"), ("me", "Me"), ("none", "Nobody"), *people]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = choices

    def filters(self, *, me: User) -> dict[str, Any]:
        """The valid filters, for `findings_query`; an invalid one is shown on its field and left out."""
        data = {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if name not in self.errors and value not in (None, "")
        }
        filters: dict[str, Any] = {"state": data.get("state", "open")}
        if filters["state"] == "all":
            filters["state"] = None
        if "rule" in data:
            filters["rule"] = data["rule"]
        if "client_id" in data:
            filters["client_id"] = data["client_id"]
        who = data.get("assignee")
        if who == "me":
            filters["assignee"] = me
        elif who == "none":
            filters["unassigned"] = True
        elif who:
            filters["assignee"] = User.objects.filter(username=who).first()
        return filters


class FindingAssignForm(PostForm):
    """Give the finding to a staff member who may work on it, or to nobody."""

    assignee = forms.ModelChoiceField(
        label="Assign to",
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody",
        to_field_name="username",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = assignable_staff()


class FindingSnoozeForm(PostForm):
    """Put the finding aside until a date, with a note saying why."""

    until = forms.DateField(label="Snooze until", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="Note", max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_until(self) -> Any:
        until = self.cleaned_data["until"]
        today = timezone.localdate()
        if until <= today:
            raise forms.ValidationError("Pick a date after today.")
        if until > today + timedelta(days=SNOOZE_MAX_DAYS):
            raise forms.ValidationError(f"At most {SNOOZE_MAX_DAYS} days ahead.")
        return until


class FindingResolveForm(PostForm):
    """Close the finding by hand, saying what was done."""

    note = forms.CharField(label="Note", max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))
