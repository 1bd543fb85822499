"""Forms: the controls of the client list's filters, the edit forms and the activity filters.

The client list's query is parsed by `ClientQuery` (services/client_query.py); its form here only
declares the controls and renders them with the values as typed and the query's messages.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any, ClassVar, cast

from django import forms
from django.forms.utils import ErrorDict

from dashboard.gcore.models import GROUPS, SERVICE_NAMES, AuthType, Language, ServiceStatus
from dashboard.models import AuditEntry
from dashboard.services import client_query
from dashboard.services.account import STOPPING_STATUSES
from dashboard.services.client_query import ClientQuery
from dashboard.services.onboarding import NEW_CLIENT_FIELDS
from dashboard.services.saved_views import SavedViewError
from dashboard.upstream.errors import UpstreamValidationError

LANGUAGE_NAMES = {"de": "German", "en": "English", "ru": "Russian", "zh": "Chinese", "az": "Azerbaijani"}
# Text inputs, not type=number: a browser blanks a number input holding text, hiding the mistake.
NUMERIC = {"inputmode": "numeric"}
DECIMAL = {"inputmode": "decimal"}
DATE = {"type": "date"}


def _control(name: str, **attrs: str) -> forms.Field:
    """The control of one list parameter: a select for a choice, else a text input."""
    param = client_query.PARAMS[name]
    if param.choices:
        return forms.ChoiceField(
            label=param.label, required=False, choices=param.choices, help_text=param.help_text
        )
    return forms.CharField(
        label=param.label, required=False, help_text=param.help_text, widget=forms.TextInput(attrs=attrs)
    )


class ClientFilterForm(forms.Form):
    """The client list's controls, one per parameter of the list's address (Gcore's own names).

    It validates nothing: bound to the query's data, it shows what was typed, and its errors are
    the query's own messages.
    """

    q = _control("q")
    # The common filters.
    activated = _control("activated")
    is_test = _control("is_test")
    deleted = _control("deleted")
    client_type = _control("client_type")
    country_code = _control("country_code")
    cdn = _control("cdn")
    storage = _control("storage")
    ddos = _control("ddos")
    dns = _control("dns")
    cloud = _control("cloud")
    infrastructure_protection = _control("infrastructure_protection")
    connect = _control("connect")
    # The advanced filters.
    email = _control("email")
    companyName = _control("companyName")  # noqa: N815 - Gcore's own parameter name, as in the address
    name = _control("name")
    custom_id = _control("custom_id")
    users_name = _control("users_name")
    users_email = _control("users_email")
    secondaryhostnames = _control("secondaryhostnames")
    promocode = _control("promocode")
    bill_type = _control("bill_type")
    reseller_id = _control("reseller_id", **NUMERIC)
    seller_id = _control("seller_id", **NUMERIC)
    min_traffic = _control("min_traffic", **DECIMAL)
    max_traffic = _control("max_traffic", **DECIMAL)
    created_at_gte = _control("created_at_gte", **DATE)
    created_at_lte = _control("created_at_lte", **DATE)
    id__in__exclude = _control("id__in__exclude")
    feature_id_in = _control("feature_id_in")
    personal_product_availability = _control("personal_product_availability")
    ordering = _control("ordering")
    page_size = _control("page_size")

    COMMON = tuple(param.name for param in client_query.COMMON)
    ADVANCED = tuple(param.name for param in client_query.ADVANCED)
    SORTING = tuple(param.name for param in client_query.SORTING)

    def __init__(self, query: ClientQuery) -> None:
        super().__init__(query.data)
        self.query = query
        current = query.data.get("ordering", "")
        if current and current not in dict(client_query.ORDERING_CHOICES):
            # An ordering typed into the address by hand stays selected rather than silently lost;
            # this request's own copy of the field, as the others are shared (SharedFields).
            ordering = copy.deepcopy(cast(forms.ChoiceField, self.fields["ordering"]))
            self.fields["ordering"] = ordering
            ordering.choices = [*client_query.ORDERING_CHOICES, (current, f"Custom: {current}")]

    def full_clean(self) -> None:
        """The query has parsed the data already: take its messages as this form's errors."""
        self._errors = ErrorDict(
            {
                name: self.error_class([message])
                for name, message in self.query.errors.items()
                if name in self.fields
            }
        )
        self.cleaned_data = {}


class SharedFields(dict):
    """A form's declared fields, used as they are by every instance of the form.

    Django deep-copies every field for each form instance, so that one request's changes to a
    field cannot reach another's. The client list's form changes none (it replaces the one it
    adapts), so its 35 controls are shared rather than copied on every request.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


ClientFilterForm.base_fields = SharedFields(ClientFilterForm.base_fields)


# -- edit forms ------------------------------------------------------------------------------------


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
        super().clean()
        data = self.cleaned_data  # what Form.clean returns (its stubs allow a subclass's None)
        if data.get("original") is None:
            # A hidden field's error would be invisible: say it above the form.
            self.add_error(None, "This form is out of date. Reload the page and try again.")
        return data

    def desired(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.editable}


def _optional_text(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    # Gcore: these fields are nullable; an emptied field is sent as null (docs/gcore-api-notes.md §2, §4).
    return forms.CharField(label=label, required=False, max_length=max_length, empty_value=None, **kwargs)


class ClientEditForm(RecordEditForm):
    """PATCH /iam/clients/{id}: UpdateClientRequest's fields (docs/gcore-api-notes.md §4)."""

    upstream_fields: ClassVar[dict[str, str]] = {"companyName": "company_name", "resellers": "reseller"}

    company_name = forms.CharField(label="Company name", max_length=255)
    email = forms.EmailField(label="Email", max_length=254)
    name = _optional_text("Contact name", 255)
    phone = _optional_text("Phone", 30)
    custom_id = _optional_text("Custom ID", 255)
    is_test = forms.BooleanField(
        label="Test client", required=False, help_text="Test clients are left out of production figures."
    )
    reseller = forms.IntegerField(label="Reseller ID", min_value=1, widget=forms.TextInput(attrs=NUMERIC))
    seller = forms.IntegerField(
        label="Seller ID",
        min_value=1,
        required=False,
        widget=forms.TextInput(attrs=NUMERIC),
        help_text="Empty for no seller.",
    )

    def __init__(self, *args: Any, can_reassign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_reassign:
            for name in ("reseller", "seller"):
                field = self.fields[name]
                field.disabled = True
                field.help_text = "Only administrators can move a client to another reseller or seller."


class UserEditForm(RecordEditForm):
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

    upstream_fields: ClassVar[dict[str, str]] = {
        "user_role": "role",
        "groups": "role",
        "client_user.role": "role",
    }


# -- running a client's account ------------------------------------------------------------------------

SERVICE_STATUS_LABELS = {
    "new": "new",
    "trial": "trial",
    "trialend": "trial ended (trialend)",
    "active": "active",
    "paused": "paused",
    "activating": "activating",
    "deleted": "deleted",
}


def _reason_field(required: bool = False) -> forms.CharField:
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


class ServiceEditForm(RecordEditForm):
    """PUT /iam/clients/{id}/services/{serviceId}: status and enabled flag, with a reason.

    A status that stops the customer's resources (paused, trialend, deleted) needs a reason and an
    explicit confirmation of what it does; `deleted` is offered only to those who may set it.
    """

    status = forms.ChoiceField(label="Status")
    enabled = forms.BooleanField(
        label="Enabled",
        required=False,
        help_text="The customer can use the product. Turning this off may suspend its active resources.",
    )
    reason = _reason_field()
    confirm = forms.BooleanField(label="I understand", required=False)

    def __init__(self, *args: Any, can_delete: bool = False, consequence: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = (self.initial or {}).get("status")
        statuses = [s for s in ServiceStatus if s != ServiceStatus.DELETED or can_delete or current == s]
        choices = [(s.value, SERVICE_STATUS_LABELS[s.value]) for s in statuses]
        if current and current not in SERVICE_STATUS_LABELS:
            # Gcore: a status the spec does not list yet is kept as it is, never replaced unasked.
            choices.insert(0, (current, current))
        cast(forms.ChoiceField, self.fields["status"]).choices = choices
        self.can_delete = can_delete
        self.consequence = consequence  # status -> the plain-words consequence, for the confirmation

    @property
    def editable(self) -> list[str]:
        return ["status", "enabled"]

    def stopping(self) -> str | None:
        """The stopping status the person chose, when it is a change."""
        data = getattr(self, "cleaned_data", {})
        status, original = data.get("status"), (data.get("original") or {}).get("status")
        return status if status in STOPPING_STATUSES and status != original else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        stopping = self.stopping()
        if stopping == ServiceStatus.DELETED and not self.can_delete:
            self.add_error("status", "Only administrators may set a service to deleted.")
        elif stopping:
            if not data.get("reason"):
                self.add_error("reason", "Say why: this change stops the customer's resources.")
            if not data.get("confirm"):
                self.add_error("confirm", "Tick to confirm what this change does.")
        return data

    def confirmation(self) -> str:
        """What the confirmation box states: the consequence of the status chosen (as typed)."""
        chosen = self["status"].value()
        return self.consequence(chosen) if self.consequence and chosen in STOPPING_STATUSES else ""


class AvailabilityForm(RecordEditForm):
    """Which products the client sees: one box per product (PATCH one product at a time)."""

    def __init__(self, *args: Any, products: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for product in products:
            self.fields[product] = forms.BooleanField(label=product, required=False)
        self.products = products

    @property
    def editable(self) -> list[str]:
        return list(self.products)


class ClientCreateForm(UpstreamErrorsForm):
    """POST /iam/users (CreateUserRequest): the client and its first user."""

    upstream_fields: ClassVar[dict[str, str]] = {"services": "products"}

    email = forms.EmailField(
        label="Email", max_length=254, help_text="The first user's sign-in, and the client's e-mail."
    )
    company = forms.CharField(label="Company name", max_length=255)
    name = forms.CharField(label="Contact name", max_length=255, required=False)
    phone = forms.CharField(label="Phone", max_length=30, required=False)
    lang = forms.ChoiceField(
        label="Language",
        initial="en",
        choices=[(lang.value, LANGUAGE_NAMES[lang.value]) for lang in Language],
        help_text="Of the control panel and Gcore's e-mails to the user.",
    )
    seller = forms.TypedChoiceField(label="Seller", coerce=int, required=False, empty_value=None)
    custom_id = forms.CharField(
        label="Custom ID", max_length=255, required=False, help_text="Your own reference, e.g. a CRM ID."
    )
    country_code = forms.RegexField(
        label="Country",
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        error_messages={"invalid": "Enter the two-letter country code (ISO 3166-1), e.g. DE."},
        help_text="Two letters, e.g. DE, US.",
    )
    is_test = forms.BooleanField(
        label="Test client", required=False, help_text="Test clients are left out of production figures."
    )
    products = forms.MultipleChoiceField(
        label="Products the client sees",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, name) for name in SERVICE_NAMES],
        help_text="Preset to the reseller's defaults. Seeing a product does not activate it.",
    )
    password = forms.CharField(
        label="Password",
        required=False,
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to generate a strong one. It is shown once, to hand over; never stored.",
    )

    def __init__(self, *args: Any, sellers: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sellers is None:
            # Gcore does not list the sellers here: ask for the id.
            self.fields["seller"] = forms.IntegerField(
                label="Seller ID",
                min_value=1,
                required=False,
                widget=forms.TextInput(attrs=NUMERIC),
                help_text="Empty for no seller.",
            )
        else:
            choices = [
                (seller.id, f"{seller.full_name or seller.email} (#{seller.id})") for seller in sellers
            ]
            cast(forms.ChoiceField, self.fields["seller"]).choices = [("", "No seller"), *choices]

    def clean_country_code(self) -> str:
        return (self.cleaned_data.get("country_code") or "").upper()

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in NEW_CLIENT_FIELDS}


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
        owner = cast(forms.ChoiceField, self.fields["owner"])
        owner.choices = [("", "anyone"), *((user.id, user.email) for user in users)]


class ConfirmForm(forms.Form):
    """An action that cannot be taken back (removing a user, revoking a token, starting a change
    across many clients): a reason for the activity log, and an explicit tick."""

    reason = _reason_field(required=True)
    confirm = forms.BooleanField(label="I understand")


class BulkPreviewForm(forms.Form):
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
        client.choices = [(value, value) for value in ticked if str(value).isdigit()]


# -- the billing link (SPP) ---------------------------------------------------------------------------


class IntegerListField(forms.CharField):
    """Integers separated by commas ("25, 31"), as a list."""

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]  # text in, a list out (stubs: str)
        if isinstance(value, list | tuple):  # a disabled field's initial value, already a list
            return [int(item) for item in value]
        text = super().to_python(value) or ""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError("Enter numbers separated by commas.")
        return [int(part) for part in parts]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(str(item) for item in value) if isinstance(value, list | tuple) else value


def _spp_text(label: str, **kwargs: Any) -> forms.CharField:
    # SPP: text fields are strings; an emptied one is sent as "" (null is not documented as
    # accepted, docs/spp-api-notes.md §8).
    return forms.CharField(label=label, required=False, max_length=255, **kwargs)


class BillingEditForm(RecordEditForm):
    """PUT /api/clients/{user}: the SPP client's contact fields, and (administrators) its account."""

    # SPP's field names in its validation errors -> this form's fields (docs/spp-api-notes.md §7).
    upstream_fields: ClassVar[dict[str, str]] = {
        **{f"address.{name}": name for name in ("line_1", "city", "state", "postcode", "country")},
        "employee_id": "employee_ids",
        "status": "status_id",
    }

    name_f = _spp_text("First name")
    name_l = _spp_text("Last name")
    email = forms.EmailField(label="Email", max_length=254)
    company = _spp_text("Company")
    tax_id = _spp_text("Tax ID")
    phone = _spp_text("Phone")
    line_1 = _spp_text("Address")
    city = _spp_text("City")
    state = _spp_text("State")
    postcode = _spp_text("Postcode")
    country = _spp_text("Country", help_text="As SPP keeps it, for example US.")
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    balance = forms.DecimalField(label="Balance", required=False, max_digits=14, decimal_places=2)
    status_id = forms.IntegerField(
        label="Status", required=False, min_value=0, widget=forms.TextInput(attrs=NUMERIC)
    )
    stripe_id = _spp_text("Stripe ID")
    employee_ids = IntegerListField(
        label="Assigned employees", required=False, help_text="SPP team member IDs, separated by commas."
    )

    ACCOUNT = ("balance", "status_id", "stripe_id", "employee_ids")

    def __init__(
        self,
        *args: Any,
        can_change_account: bool = False,
        status_names: dict[int, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if status_names:
            # The reseller named SPP's status numbers (SPP_STATUS_NAMES): offer the names.
            choices = [
                ("", "—"),
                *((number, f"{name} ({number})") for number, name in sorted(status_names.items())),
            ]
            current = self.initial.get("status_id")
            if current is not None and current not in status_names:
                choices.append((current, str(current)))
            self.fields["status_id"] = forms.TypedChoiceField(
                label="Status", required=False, coerce=int, empty_value=None, choices=choices
            )
        if not can_change_account:
            for name in self.ACCOUNT:
                field = self.fields[name]
                field.disabled = True
                field.help_text = (
                    "Only administrators can change the balance, status, Stripe ID and employees."
                )

    def clean_original(self) -> dict[str, Any] | None:
        original = super().clean_original()
        if original is not None and original.get("balance") is not None:
            # Opened as text in the hidden field: compared as the amount it is.
            original["balance"] = Decimal(str(original["balance"]))
        return original


SYNC_CHOICES = [("leave", "Leave as they are"), ("to_spp", "Gcore → SPP"), ("to_gcore", "SPP → Gcore")]


class BillingSyncForm(forms.Form):
    """For each field both systems hold: leave it, or copy one system's value to the other."""

    original = forms.CharField(widget=forms.HiddenInput, required=False)
    overwrite = forms.BooleanField(widget=forms.HiddenInput, required=False)
    email = forms.ChoiceField(label="Email", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect)
    company = forms.ChoiceField(
        label="Company", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect
    )
    phone = forms.ChoiceField(label="Phone", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect)
    contact = forms.ChoiceField(
        label="Contact name", choices=SYNC_CHOICES, initial="leave", widget=forms.RadioSelect
    )

    CHOICES = ("email", "company", "phone", "contact")

    def __init__(self, data: Any = None, *, current: dict[str, Any] | None = None, **kwargs: Any) -> None:
        initial = {"original": json.dumps(current)} if current is not None else {}
        super().__init__(data, initial=initial, **kwargs)

    def clean_original(self) -> dict[str, Any] | None:
        try:
            original = json.loads(self.cleaned_data["original"] or "")
        except ValueError:
            original = None
        if not isinstance(original, dict):
            raise forms.ValidationError("This form is out of date. Reload the page and try again.")
        return original

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # as above
        if "original" in self.errors:
            self.add_error(None, self.errors.pop("original")[0])
        elif not self.errors and all(data.get(name) == "leave" for name in self.CHOICES):
            self.add_error(None, "Choose at least one field to copy across.")
        return data

    def choices(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.CHOICES}


class LinkForm(forms.Form):
    """Link a Gcore client to an SPP client by its ID (typed, or picked among the email matches)."""

    spp_id = forms.IntegerField(label="SPP client ID", min_value=1, widget=forms.TextInput(attrs=NUMERIC))


class SavedViewForm(forms.Form):
    """Save the client list's current filters under a name, or rename and share a saved view."""

    name = forms.CharField(label="Name", max_length=80)
    shared = forms.BooleanField(label="Share with the team", required=False)
    # The list's query string when the form was shown (the sidebar keeps it in step with the address bar).
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def add_service_error(self, exc: SavedViewError) -> None:
        self.add_error(exc.field if exc.field in ("name",) else None, exc.message)


class ActivityFilterForm(forms.Form):
    """Filters of the activity page (the audit log)."""

    actor = forms.CharField(label="Staff member", required=False, max_length=150, help_text="Username")
    client_id = forms.IntegerField(
        label="Client ID", required=False, min_value=1, widget=forms.TextInput(attrs=NUMERIC)
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
