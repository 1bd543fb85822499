"""Forms: the client list filters (the only parser of the list's query string)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import validate_email

from dashboard.gcore import ORDERING_FIELDS, GcoreValidationError
from dashboard.gcore.models import GROUPS, AuthType, ClientType, Language, ServiceStatus
from dashboard.models import AuditEntry
from dashboard.services.clients import DEFAULT_ORDERING, DEFAULT_PAGE_SIZE, PAGE_SIZES

LANGUAGE_NAMES = {"de": "German", "en": "English", "ru": "Russian", "zh": "Chinese", "az": "Azerbaijani"}
TRI_STATE = [("", "Any"), ("true", "Yes"), ("false", "No")]
SERVICE_STATUS_CHOICES = [("", "Any")] + [(s.value, s.value) for s in ServiceStatus]
# Gcore: `deleted` takes "true" / "false"; anything else returns all (seed). We send nothing for "all".
DELETED_CHOICES = [("", "Hidden"), ("true", "Only deleted"), ("any", "Shown")]
CLIENT_TYPE_CHOICES = [("", "Any")] + [(t.value, t.value.capitalize()) for t in ClientType]
# Service filters: query name -> label. infrastructure_protection and connect have no serviceStatuses key.
SERVICE_FILTERS = {
    "cdn": "CDN",
    "storage": "Storage",
    "ddos": "DDoS",
    "dns": "DNS",
    "cloud": "Cloud",
    "infrastructure_protection": "Infrastructure protection",
    "connect": "Connect",
}
ORDERING_CHOICES = [
    ("id", "ID, ascending"),
    ("-id", "ID, descending"),
    ("companyName", "Company, A–Z"),
    ("-companyName", "Company, Z–A"),
    ("email", "Email, A–Z"),
    ("-email", "Email, Z–A"),
    ("name", "Contact, A–Z"),
    ("-name", "Contact, Z–A"),
    ("status", "Status, A–Z"),
    ("-status", "Status, Z–A"),
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
]
NUMERIC = forms.TextInput(attrs={"inputmode": "numeric"})
DECIMAL = forms.TextInput(attrs={"inputmode": "decimal"})
INT_LIST = re.compile(r"^\d+(,\d+)*$")
WORD_LIST = re.compile(r"^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$")
COUNTRY = re.compile(r"^([A-Za-z]{2}|null)$")


class SharedFields(dict):
    """A form's declared fields, used as they are by every instance of the form.

    Django deep-copies every field for each form instance, so that one request's changes to a
    field cannot reach another's. A form whose fields no request changes can share them: copying
    the client list's 37 filters was a noticeable part of the time the dashboard adds to a page.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class CsvField(forms.CharField):
    """Comma-separated values; spaces around commas are dropped before the pattern is checked."""

    def __init__(self, *, pattern: re.Pattern[str], message: str, **kwargs: Any) -> None:
        self.pattern, self.message = pattern, message
        super().__init__(required=False, max_length=500, **kwargs)

    def clean(self, value: Any) -> str:
        value = ",".join(part.strip() for part in (super().clean(value) or "").split(",") if part.strip())
        if value and not self.pattern.match(value):
            raise forms.ValidationError(self.message)
        return value


def _text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=255, help_text=help_text)


def _choice(label: str, choices: list[tuple[str, str]]) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, choices=choices)


class ClientFilterForm(forms.Form):
    """Every GET /iam/clients filter under its API name, plus quick search, ordering and page size.

    A bad value becomes an error on its field and is left out of the upstream call; the other
    filters still apply (see `upstream_filters`).
    """

    q = forms.CharField(
        label="Quick search",
        required=False,
        max_length=255,
        help_text="A client ID opens that client; text with @ searches by email; anything else searches company names.",
    )
    # The common filters, always visible.
    activated = _choice("Activated", TRI_STATE)
    is_test = _choice("Test clients", TRI_STATE)
    deleted = _choice("Deleted clients", DELETED_CHOICES)
    client_type = _choice("Client type", CLIENT_TYPE_CHOICES)
    country_code = forms.CharField(
        label="Country", required=False, max_length=20, help_text="Two letters (DE, US), or null for none."
    )
    cdn = _choice("CDN", SERVICE_STATUS_CHOICES)
    storage = _choice("Storage", SERVICE_STATUS_CHOICES)
    ddos = _choice("DDoS", SERVICE_STATUS_CHOICES)
    dns = _choice("DNS", SERVICE_STATUS_CHOICES)
    cloud = _choice("Cloud", SERVICE_STATUS_CHOICES)
    infrastructure_protection = _choice("Infrastructure protection", SERVICE_STATUS_CHOICES)
    connect = _choice("Connect", SERVICE_STATUS_CHOICES)
    # Advanced filters.
    email = forms.CharField(label="Email", required=False, max_length=254)
    companyName = _text("Company name")  # noqa: N815 - Gcore's own parameter name
    name = _text("Contact name")
    custom_id = _text("Custom ID")
    users_name = _text("User name")
    users_email = _text("User email")
    secondaryhostnames = _text("Secondary hostname")
    promocode = _text("Promo code")
    bill_type = _text("Bill type")
    # Text inputs, not type=number: a browser blanks a number input holding text, hiding the mistake.
    reseller_id = forms.IntegerField(label="Reseller ID", required=False, min_value=0, widget=NUMERIC)
    seller_id = forms.IntegerField(label="Seller ID", required=False, min_value=0, widget=NUMERIC)
    min_traffic = forms.DecimalField(
        label="Traffic from (GB)", required=False, min_value=0, max_digits=15, widget=DECIMAL
    )
    max_traffic = forms.DecimalField(
        label="Traffic up to (GB)", required=False, min_value=0, max_digits=15, widget=DECIMAL
    )
    created_at_gte = forms.DateField(
        label="Created from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_at_lte = forms.DateField(
        label="Created until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id__in__exclude = CsvField(
        label="Exclude client IDs",
        pattern=INT_LIST,
        message="Enter client IDs separated by commas.",
        help_text="1001,1002",
    )
    feature_id_in = CsvField(
        label="Feature IDs",
        pattern=INT_LIST,
        message="Enter feature IDs separated by commas.",
        help_text="104,202",
    )
    personal_product_availability = CsvField(
        label="Personal product availability",
        pattern=WORD_LIST,
        message="Enter product names separated by commas.",
        help_text="CDN,STORAGE",
    )
    ordering = forms.CharField(
        label="Sort by", required=False, max_length=200, widget=forms.Select(choices=ORDERING_CHOICES)
    )
    page_size = forms.TypedChoiceField(
        label="Per page",
        required=False,
        coerce=int,
        choices=[(n, str(n)) for n in PAGE_SIZES],
        empty_value=DEFAULT_PAGE_SIZE,
    )

    COMMON = (
        "activated", "is_test", "deleted", "client_type", "country_code",
        "cdn", "storage", "ddos", "dns", "cloud", "infrastructure_protection", "connect",
    )  # fmt: skip
    SORTING = ("ordering", "page_size")
    ADVANCED = (
        "email", "companyName", "name", "custom_id", "users_name", "users_email", "secondaryhostnames",
        "promocode", "bill_type", "reseller_id", "seller_id", "min_traffic", "max_traffic",
        "created_at_gte", "created_at_lte", "id__in__exclude", "feature_id_in", "personal_product_availability",
    )  # fmt: skip

    def select_choices(self, name: str) -> list[tuple[Any, str]]:
        """A select's options: the field's own, plus an ordering typed into the address by hand."""
        choices = list(self.fields[name].widget.choices)
        current = self.data.get(name, "")
        if name == "ordering" and current and current not in dict(ORDERING_CHOICES):
            choices.append((current, f"Custom: {current}"))
        return choices

    def clean_q(self) -> str:
        query = self.cleaned_data["q"].strip()
        if "@" in query and not query.isdigit():
            try:
                validate_email(query)
            except forms.ValidationError:
                # Gcore: the `email` filter is typed `format: email` (seed), so a fragment may be refused.
                raise forms.ValidationError("To search by email, type the whole address (name@example.com).")
        return query

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if value:
            validate_email(value)
        return value

    def clean_country_code(self) -> str:
        value = self.cleaned_data["country_code"].strip()
        if value and not COUNTRY.match(value):
            raise forms.ValidationError("Enter a two-letter country code (DE, US), or null.")
        return value if value == "null" else value.upper()

    def clean_ordering(self) -> str:
        value = self.cleaned_data["ordering"].strip()
        terms = [term.strip() for term in value.split(",") if term.strip()]
        if any(term.removeprefix("-") not in ORDERING_FIELDS for term in terms):
            raise forms.ValidationError("Unknown sort order.")
        return ",".join(terms)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_traffic"), data.get("max_traffic")
        if low is not None and high is not None and low > high:
            self.add_error("max_traffic", "Must not be less than the lower bound.")
        start, end = data.get("created_at_gte"), data.get("created_at_lte")
        if start and end and start > end:
            self.add_error("created_at_lte", "Must not be before the start date.")
        return data

    # -- what the rest of the dashboard reads ---------------------------------------------------

    def value(self, name: str) -> Any:
        """A field's clean value, or its empty value when it is missing or invalid."""
        data = getattr(self, "cleaned_data", {})
        return data.get(name) if name not in self.errors else None

    @property
    def quick_client_id(self) -> int | None:
        """The client ID typed into quick search, if that is what was typed."""
        query = self.value("q") or ""
        return int(query) if query.isdigit() else None

    @property
    def ordering_value(self) -> str:
        return self.value("ordering") or DEFAULT_ORDERING

    @property
    def page_size_value(self) -> int:
        return self.value("page_size") or DEFAULT_PAGE_SIZE

    def upstream_filters(self) -> dict[str, object]:
        """The valid filters as GET /iam/clients parameters (wire names and formats)."""
        filters: dict[str, object] = {}
        for name in self.COMMON + self.ADVANCED:
            value = self.value(name)
            if value in (None, ""):
                continue
            if isinstance(value, date):
                # Gcore: the created_at filters are date-times; a date covers the whole day (UTC).
                moment = time.min if name == "created_at_gte" else time.max.replace(microsecond=0)
                value = datetime.combine(value, moment, tzinfo=UTC)
            elif isinstance(value, Decimal):
                value = format(value.normalize(), "f")
            filters[name] = value
        deleted = filters.pop("deleted", None)
        if deleted != "any":
            # Hidden by default: Gcore's default for `deleted` is undocumented (gcore-api.md §3).
            filters["deleted"] = deleted or "false"
        query = self.value("q") or ""
        if query and self.quick_client_id is None:
            filters["email" if "@" in query else "companyName"] = query
        return filters

    def active_filters(self) -> list[dict[str, str]]:
        """The filters the person set, each with its label, shown value and the URL without it."""
        chips = []
        for name in ("q", *self.COMMON, *self.ADVANCED):
            raw = self.data.get(name, "")
            if raw in ("", None):
                continue
            field = self.fields[name]
            shown = dict(field.choices).get(raw, raw) if isinstance(field, forms.ChoiceField) else raw
            rest = self.data.copy()
            rest.pop(name, None)
            rest.pop("page", None)
            chips.append(
                {
                    "name": name,
                    "label": str(field.label),
                    "value": str(shown),
                    "remove_url": f"?{rest.urlencode()}",
                }
            )
        return chips

    def advanced_open(self) -> bool:
        """The advanced section opens by itself when one of its filters is set."""
        return any(self.data.get(name) for name in self.ADVANCED)


# Its per-request option (a custom ordering) is added when rendering (select_choices), not to the field.
ClientFilterForm.base_fields = SharedFields(ClientFilterForm.base_fields)


# -- edit forms ------------------------------------------------------------------------------------


class GcoreEditForm(forms.Form):
    """A form that edits a Gcore record: remembers the values it was opened with, maps Gcore's errors.

    `original` (hidden, JSON) carries the values shown when the form was opened, so the service can
    tell what the person changed and whether Gcore changed the same fields meanwhile. `overwrite`
    is the explicit choice to save over such a concurrent change.
    """

    # Gcore's field name -> this form's field name, for upstream validation errors.
    upstream_fields: dict[str, str] = {}

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

    def add_upstream_errors(self, exc: GcoreValidationError) -> None:
        """Put each Gcore field error on its field; anything else above the form."""
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


def _optional_text(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    # Gcore: these fields are nullable; an emptied field is sent as null.
    return forms.CharField(label=label, required=False, max_length=max_length, empty_value=None, **kwargs)


class ClientEditForm(GcoreEditForm):
    """PATCH /iam/clients/{id}: UpdateClientRequest's fields (seed)."""

    upstream_fields = {"companyName": "company_name", "resellers": "reseller"}

    company_name = forms.CharField(label="Company name", max_length=255)
    email = forms.EmailField(label="Email", max_length=254)
    name = _optional_text("Contact name", 255)
    phone = _optional_text("Phone", 30)
    custom_id = _optional_text("Custom ID", 255)
    is_test = forms.BooleanField(
        label="Test client", required=False, help_text="Test clients are left out of production figures."
    )
    reseller = forms.IntegerField(label="Reseller ID", min_value=1, widget=NUMERIC)
    seller = forms.IntegerField(
        label="Seller ID", min_value=1, required=False, widget=NUMERIC, help_text="Empty for no seller."
    )

    def __init__(self, *args: Any, can_reassign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_reassign:
            for name in ("reseller", "seller"):
                self.fields[name].disabled = True
                self.fields[
                    name
                ].help_text = "Only administrators can move a client to another reseller or seller."


class UserEditForm(GcoreEditForm):
    """PATCH /iam/users/{id} for the profile, PUT client-users for the role."""

    email = forms.EmailField(label="Email", max_length=254)
    name = _optional_text("Name", 255)
    lang = forms.ChoiceField(
        label="Language", choices=[(lang.value, LANGUAGE_NAMES[lang.value]) for lang in Language]
    )
    phone = _optional_text("Phone", 30)
    company = forms.CharField(label="Company", max_length=255)
    auth_types = forms.MultipleChoiceField(
        label="Sign-in methods",
        choices=[(auth.value, auth.value) for auth in AuthType],
        widget=forms.CheckboxSelectMultiple,
    )
    role = forms.TypedChoiceField(
        label="Role", coerce=int, choices=[(group.id, group.name) for group in GROUPS]
    )

    upstream_fields = {"user_role": "role", "groups": "role", "client_user.role": "role"}


class ActivityFilterForm(forms.Form):
    """Filters of the activity page (the audit log)."""

    actor = forms.CharField(label="Staff member", required=False, max_length=150, help_text="Username")
    client_id = forms.IntegerField(label="Client ID", required=False, min_value=1, widget=NUMERIC)
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
