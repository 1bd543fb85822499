"""A client's people and keys: the invitation, and the API tokens' filters."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms

from dashboard.forms.saving import LANGUAGE_NAMES, UpstreamErrorsForm
from dashboard.gcore.models import GROUPS, Language


class InviteForm(UpstreamErrorsForm):
    """POST /iam/clients/invite_user: who, with which role, in which language."""

    upstream_fields: ClassVar[dict[str, str]] = {
        "user_role": "role",
        "user_role.id": "role",
        "user_role.name": "role",
    }

    email = forms.EmailField(label="Email", max_length=254)
    name = forms.CharField(label="Name", max_length=255, required=False)
    role = forms.TypedChoiceField(
        label="Role", coerce=int, initial=2, choices=[(group.id, group.name) for group in GROUPS]
    )
    lang = forms.ChoiceField(
        label="Language",
        initial="en",
        choices=[(lang.value, LANGUAGE_NAMES[lang.value]) for lang in Language],
        help_text="Of the invitation e-mail and the control panel.",
    )


class TokenFilterForm(forms.Form):
    """The API tokens' filters: one owner among the client's users, and deleted tokens or not."""

    owner = forms.TypedChoiceField(label="Owner", coerce=int, required=False, empty_value=None)
    deleted = forms.BooleanField(label="Show deleted tokens", required=False)

    def __init__(self, *args: Any, users: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.TypedChoiceField, self.fields["owner"])
        owner.choices = [("", "anyone"), *((user.id, user.email) for user in users)]
