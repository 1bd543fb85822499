"""Running a client's account: a service's status, the products the client sees, a new client."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms

from dashboard.forms.saving import (
    ID_MAX,
    LANGUAGE_NAMES,
    NUMERIC,
    PostForm,
    RecordEditForm,
    UpstreamErrorsForm,
    reason_field,
)
from dashboard.gcore.models import SERVICE_NAMES, Language, ServiceStatus
from dashboard.services.client_services import STOPPING_STATUSES
from dashboard.services.onboarding import NEW_CLIENT_FIELDS

SERVICE_STATUS_LABELS = {
    "new": "new",
    "trial": "trial",
    "trialend": "trial ended (trialend)",
    "active": "active",
    "paused": "paused",
    "activating": "activating",
    "deleted": "deleted",
}


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
    reason = reason_field()
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
    """Which products the client sees: one box per product (PATCH one product at a time), or, with
    the reset button (`action=reset`), every product back to the reseller's defaults."""

    action = forms.ChoiceField(
        required=False, choices=[("", "Save products"), ("reset", "Reset to the reseller's defaults")]
    )

    def __init__(self, *args: Any, products: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for product in products:
            self.fields[product] = forms.BooleanField(label=product, required=False)
        self.products = products

    @property
    def editable(self) -> list[str]:
        return list(self.products)

    @property
    def resets(self) -> bool:
        return self.is_bound and self.data.get("action") == "reset"


class FeatureToggleForm(PostForm):
    """Enable or disable one feature of the catalogue (a button per feature row)."""

    feature = forms.ChoiceField(error_messages={"invalid_choice": "Choose a feature of the catalogue."})
    action = forms.ChoiceField(choices=[("enable", "Enable"), ("disable", "Disable")])

    def __init__(self, *args: Any, rows: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = {str(row.feature.id): row for row in rows}
        feature = cast(forms.ChoiceField, self.fields["feature"])
        feature.choices = [(key, row.feature.name) for key, row in self.rows.items()]

    def row(self) -> Any:
        return self.rows[self.cleaned_data["feature"]]

    @property
    def enable(self) -> bool:
        return self.cleaned_data["action"] == "enable"


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
                max_value=ID_MAX,
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
