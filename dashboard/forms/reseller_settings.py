"""The reseller's own settings: the notification e-mails' and the branding's forms
(views/reseller_settings.py; the default products use forms/account.py's AvailabilityForm)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms
from django.core.validators import RegexValidator

from dashboard.forms.saving import PostForm, RecordEditForm, UpstreamErrorsForm
from dashboard.services.branding import (
    ASSETS,
    IMAGE_TYPES,
    MAX_ASSET_BYTES,
    PASSWORD_FIELD,
    Asset,
    image_type,
)
from dashboard.services.notifications import NOTIFICATION_TYPES

# -- notification e-mails ----------------------------------------------------------------------------


class NotificationFields(forms.Form):
    """NotificationSettingsWrite: which event, which address, on or off."""

    notification_type = forms.ChoiceField(label="Type", choices=list(NOTIFICATION_TYPES.items()))
    email = forms.EmailField(label="Email", max_length=254)
    enabled = forms.BooleanField(label="Enabled", required=False, initial=True)


class NotificationCreateForm(NotificationFields, UpstreamErrorsForm):
    """POST .../notification_settings."""


class NotificationEditForm(NotificationFields, RecordEditForm):
    """PATCH .../notification_settings/{id} with the changed fields."""


class NotificationToggleForm(RecordEditForm):
    """Switching one setting on or off: PATCH `enabled` alone."""

    enabled = forms.BooleanField(required=False, widget=forms.HiddenInput)


# -- branding ------------------------------------------------------------------------------------------

NESTED = re.compile(r"^([A-Za-z_]+): (.+)$", re.S)  # "supportPhone: Ensure this field ..."
HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour as six hex digits after #, such as #0b3d91.")
PORT = RegexValidator(r"^[0-9]{1,5}$", "A port number: up to five digits, such as 587.")


def _text(label: str, max_length: int = 255, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=max_length, empty_value=None, **kwargs)


def _colour(label: str) -> forms.CharField:
    attrs = {"placeholder": "#RRGGBB", "data-preview": "colour", "spellcheck": "false"}
    return _text(label, 7, validators=[HEX_COLOUR], widget=forms.TextInput(attrs=attrs))


class BrandingForm(RecordEditForm):
    """PUT /iam/reselling/settings: the public settings and the private mail server, grouped as the
    portal groups them; each field checked here first (e-mails, links, colours as hex, the port).

    The mail server's password is write-only: never rendered, not among the values the form was
    opened with, and sent only when a new one is typed."""

    brand_name = _text("Brand name", widget=forms.TextInput(attrs={"data-preview": "brand"}))
    from_email = forms.EmailField(
        label="Sender address", required=False, max_length=254, empty_value=None,
        help_text="The address Gcore's e-mails to your clients come from.",
    )  # fmt: skip
    website_link = forms.URLField(
        label="Website", required=False, max_length=255, empty_value=None, assume_scheme="https"
    )
    support_email = forms.EmailField(label="Support e-mail", required=False, max_length=255, empty_value=None)
    support_phone = _text("Support phone")
    agreement_link = forms.URLField(
        label="Agreement link", required=False, max_length=255, empty_value=None, assume_scheme="https",
        help_text="Your terms, linked from the control panel.",
    )  # fmt: skip
    color_header = _colour("Header colour")
    color_primary = _colour("Primary colour")
    show_api_doc = forms.BooleanField(label="API documentation", required=False)
    show_knowledge_base = forms.BooleanField(label="Knowledge base", required=False)
    show_status_page = forms.BooleanField(label="Status page", required=False)
    show_tickets = forms.BooleanField(label="Support tickets", required=False)
    mail_host = _text("Mail server (SMTP host)")
    mail_port = _text("Port", 5, validators=[PORT], widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    mail_tls = forms.BooleanField(label="Use TLS", required=False)
    mail_login = _text("Login")
    mail_password = forms.CharField(
        label="New password",
        required=False,
        max_length=255,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Never shown. Leave empty to keep the password Gcore has.",
    )

    upstream_fields: ClassVar[dict[str, str]] = {
        "publicSettings.brandName": "brand_name",
        "publicSettings.fromEmail": "from_email",
        "publicSettings.websiteLink": "website_link",
        "publicSettings.supportEmail": "support_email",
        "publicSettings.supportPhone": "support_phone",
        "publicSettings.agreementLink": "agreement_link",
        "publicSettings.colors.header": "color_header",
        "publicSettings.colors.primary": "color_primary",
        "privateSettings.mailServer.host": "mail_host",
        "privateSettings.mailServer.port": "mail_port",
        "privateSettings.mailServer.login": "mail_login",
        "privateSettings.mailServer.password": "mail_password",
    }

    @property
    def editable(self) -> list[str]:
        return [name for name in super().editable if name != PASSWORD_FIELD]

    def add_upstream_field_errors(self, field_errors: dict[str, list[str]]) -> None:
        """Gcore's errors on their fields, nested ones too when they come flattened under the
        top-level key as "supportPhone: message" (the documented `{"errors": {field: [msg]}}` shape
        holds no nesting); anything else as the base form places it."""
        rest: dict[str, list[str]] = {}
        for api_name, messages in field_errors.items():
            for message in messages:
                path, text = api_name, message
                while (match := NESTED.match(text)) and any(
                    known.startswith(f"{path}.{match[1]}") for known in self.upstream_fields
                ):
                    path, text = f"{path}.{match[1]}", match[2]
                if path != api_name and path in self.upstream_fields:
                    self.add_error(self.upstream_fields[path], text)
                else:
                    rest.setdefault(api_name, []).append(message)
        super().add_upstream_field_errors(rest)

    def desired(self) -> dict[str, Any]:
        values = super().desired()
        if self.cleaned_data.get(PASSWORD_FIELD):
            values[PASSWORD_FIELD] = self.cleaned_data[PASSWORD_FIELD]
        return values

    def unsaved(self) -> bool:
        """The person changed something here that is not saved (typed, then uploaded a file)."""
        return bool(self.data.get(PASSWORD_FIELD)) or any(name in self.editable for name in self.changed_data)


class BrandingUploadForm(PostForm):
    """POST /iam/reselling/settings/upload: a logo, a favicon or both, checked here before sending."""

    logo = forms.FileField(label="Logo", required=False, help_text=f"{IMAGE_TYPES}, at most 1 MB.")
    favicon = forms.FileField(label="Favicon", required=False, help_text=f"{IMAGE_TYPES}, at most 1 MB.")

    def _asset(self, name: str) -> Asset | None:
        upload = self.cleaned_data.get(name)
        if upload is None:
            return None
        if upload.size > MAX_ASSET_BYTES:
            raise forms.ValidationError(
                f"This file is {upload.size // 1024} KB: at most 1 MB (1024 KB) is taken."
            )
        content = upload.read()
        kind = image_type(content)
        if kind is None:
            raise forms.ValidationError(f"This file is not an image Gcore takes: {IMAGE_TYPES} only.")
        return Asset(name, (upload.name or name)[-100:], kind, content)

    def clean_logo(self) -> Asset | None:
        return self._asset("logo")

    def clean_favicon(self) -> Asset | None:
        return self._asset("favicon")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("logo") and not data.get("favicon"):
            raise forms.ValidationError("Choose a logo, a favicon or both to upload.")
        return data

    def assets(self) -> list[Asset]:
        return [asset for name in ASSETS if isinstance(asset := self.cleaned_data.get(name), Asset)]
