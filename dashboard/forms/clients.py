"""The client list's controls.

The client list's query is parsed by `ClientQuery` (services/client_query.py); its form here only
declares the controls and renders them with the values as typed and the query's messages.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from django import forms
from django.forms.utils import ErrorDict

from dashboard.forms.saving import DATE, DECIMAL, NUMERIC
from dashboard.services import client_query
from dashboard.services.client_query import ClientQuery


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
