"""Running a client's account: a service's status, the products the client sees, its features, and
creating a client. Each change is a form, one service call and a template (dashboard/changes.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_htmx.http import trigger_client_event

from dashboard.changes import ChangeView, RecordChangeView
from dashboard.forms.account import AvailabilityForm, ClientCreateForm, FeatureToggleForm, ServiceEditForm
from dashboard.gcore.models import SERVICE_NAMES
from dashboard.http import client_ip, notify, read_or_failure, render_page
from dashboard.mfa import stops_a_service
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.audit import Outcome
from dashboard.services.availability import (
    availability_defaults_or_none,
    availability_get,
    availability_reset,
    availability_update,
)
from dashboard.services.client_services import (
    STATUS_MEANINGS,
    consequence,
    service_get,
    service_update,
    service_values,
    services_get,
)
from dashboard.services.clients import client_get
from dashboard.services.features import feature_toggle, features_get, may_manage_feature
from dashboard.services.onboarding import CreatedClient, client_create, client_created_meanwhile, sellers_get
from dashboard.services.saves import SaveResult
from dashboard.upstream.errors import UpstreamError, UpstreamNotFound, UpstreamValidationError
from dashboard.views.clients import detail_context
from dashboard.views.saving import change_failed, saved_message

# -- a service's status ----------------------------------------------------------------------------


class ServiceEditView(RecordChangeView):
    """PUT /iam/clients/{id}/services/{serviceId}: status and enabled flag, with a reason."""

    permission = "change_services"
    fresh_identity = staticmethod(stops_a_service)
    audit_action = AuditEntry.Action.SERVICE_UPDATE
    form_class = ServiceEditForm
    template_name, partial_name = "clients/service_edit.html", "service-editor"
    reread_failed = (
        "Reading it again failed too: reload the client's page in a moment to see what Gcore holds."
    )

    def load(self) -> None:
        client_id, service_id = self.kwargs["client_id"], self.kwargs["service_id"]
        self.client = client_get(client_id=client_id).value
        # A form opens on Gcore's current values; a POST's save reads them again itself.
        fresh = self.request.method == "GET"
        self.service = service_get(client_id=client_id, service_id=service_id, fresh=fresh)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            "can_delete": self.request.user.has_perm(perm("delete_services")),
            "consequence": partial(consequence, service=self.service.name, company=self.client.company_name),
        }

    def get_initial_form(self) -> ServiceEditForm:
        return ServiceEditForm(current=service_values(self.service), **self.get_form_kwargs())

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = {"client": self.client, "client_id": self.client.id, "service": self.service}
        return super().get_context_data(meanings=STATUS_MEANINGS, **context, **extra)

    def save_record(self, form: ServiceEditForm, **values: Any) -> SaveResult:
        reason = form.cleaned_data.get("reason") or ""
        return service_update(client_id=self.client.id, service=self.service, reason=reason, **values)

    def reread(self) -> str:
        now = service_get(client_id=self.client.id, service_id=self.service.id, fresh=True)
        enabled = "enabled" if now.enabled else "not enabled"
        return f"Read again just now, Gcore shows {now.name} as {now.status}, {enabled}."

    def saved(self, result: SaveResult) -> HttpResponse:
        client_id = self.client.id
        message = saved_message(result, f"{self.service.name} service")
        if not self.request.htmx:
            messages.success(self.request, message)
            return redirect(f"{reverse('client-detail', args=[client_id])}#client-services")
        closed = {"closed": True, "client_id": client_id}
        response = render_page(self.request, self.template_name, closed, partial=self.partial_name)
        if result.outcome != Outcome.UNCHANGED:
            trigger_client_event(response, "services-updated", {"id": client_id})
            trigger_client_event(response, "client-updated", {"id": client_id})
        return notify(response, message, "success" if result.outcome != Outcome.UNCHANGED else "info")


# -- product availability ----------------------------------------------------------------------------


class AvailabilityView(RecordChangeView):
    """Which products the client sees; those who may change it toggle each (one PATCH per product
    changed), or reset every product to the reseller's defaults (the `action=reset` button)."""

    permission = "view_clients"
    post_permission = "change_availability"
    post_refusal = "Your role does not allow changing which products a client sees."
    audit_action = AuditEntry.Action.AVAILABILITY_UPDATE
    form_class = AvailabilityForm
    template_name, partial_name = "clients/availability.html", "availability"

    def load(self) -> None:
        client_id = self.kwargs["client_id"]
        self.client = client_get(client_id=client_id).value
        # A form opens on Gcore's current values; a POST needs only the product list (its save re-reads).
        self.rows = availability_get(client_id=client_id, fresh=self.request.method == "GET")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"products": [row.product for row in self.rows]}

    def get_initial_form(self) -> AvailabilityForm | None:
        if not self.request.user.has_perm(perm("change_availability")):
            return None  # the page only shows what the client sees
        return AvailabilityForm(
            current={row.product: row.available for row in self.rows}, **self.get_form_kwargs()
        )

    def accepts(self, form: AvailabilityForm) -> bool:
        # The reset needs none of the form's values, but a doctored form is refused whichever
        # button sent it.
        return form.is_valid() or (form.resets and not form.tampered)

    def save_instance(self, form: AvailabilityForm) -> SaveResult | None:
        if form.resets:
            availability_reset(
                client_id=self.client.id, actor=self.request.user, ip_address=client_ip(self.request)
            )
            return None
        return super().save_instance(form)

    def save_record(self, form: AvailabilityForm, **values: Any) -> SaveResult:
        return availability_update(client_id=self.client.id, **values)

    def show_failure(self, form: AvailabilityForm, exc: UpstreamError) -> int:
        if not form.resets:
            return super().show_failure(form, exc)
        text, _ = change_failed(exc, input_kept=False)
        form.add_error(None, text)
        return 422

    def get_success_response(self, form: AvailabilityForm, result: SaveResult | None) -> HttpResponse:
        if result is None:
            return self._after_change("Every product follows the reseller's defaults again.")
        return super().get_success_response(form, result)

    def partly_saved(self, form: AvailabilityForm, result: SaveResult) -> HttpResponse:
        self.rows = availability_get(client_id=self.client.id, fresh=True)
        return super().partly_saved(form, result)

    def saved(self, result: SaveResult) -> HttpResponse:
        return self._after_change(saved_message(result, "Products"))

    def _after_change(self, message: str) -> HttpResponse:
        if not self.request.htmx:
            messages.success(self.request, message)
            return redirect("client-availability", client_id=self.client.id)
        self.rows = availability_get(client_id=self.client.id, fresh=True)
        return notify(self.render_form(self.get_initial_form()), message)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        form = context.get("form")
        fields = form.fields if form else {}
        return context | {
            "client": self.client,
            "client_id": self.client.id,
            "can_change": self.request.user.has_perm(perm("change_availability")),
            "rows": self.rows,
            "lines": [(row, form[row.product] if row.product in fields else None) for row in self.rows],
        }


# -- features ---------------------------------------------------------------------------------------


class FeaturesView(ChangeView):
    """The feature catalogue, free and paid, with what the client has; enable or disable one."""

    permission = "view_clients"
    post_refusal = "Your role does not allow switching features on or off."
    audit_action = None  # a feature row's buttons hold nothing a person types
    form_class = FeatureToggleForm
    template_name, partial_name = "clients/features.html", "features"

    def load(self) -> None:
        self.features = _features_context(self.request, self.kwargs["client_id"])

    def may_post(self) -> bool:
        user = self.request.user
        return may_manage_feature(user, paid=False) or may_manage_feature(user, paid=True)

    def get_initial_form(self) -> None:
        return None  # each row has its own buttons

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"rows": [*self.features["free"], *self.features["paid"]]}

    def save_instance(self, form: FeatureToggleForm) -> str:
        row = form.row()
        return feature_toggle(
            client_id=self.kwargs["client_id"],
            feature=row.feature,
            enable=form.enable,
            activation_id=row.activation_id,
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def show_failure(self, form: FeatureToggleForm, exc: UpstreamError) -> int:
        text, _ = change_failed(exc, input_kept=False)
        form.add_error(None, text)
        self.load()  # what the client has now
        return 422

    def not_found(self, form: FeatureToggleForm, exc: UpstreamNotFound) -> HttpResponse:
        # Gcore has no such activation (any more): said on the page, as any failure of the switch
        # is; a client gone altogether is the 404 page, when show_failure reads it again.
        return self.upstream_failed(form, exc)

    def get_success_response(self, form: FeatureToggleForm, outcome: str) -> HttpResponse:
        name, verb = form.row().feature.name, "enabled" if form.enable else "disabled"
        if outcome == Outcome.UNCHANGED:
            message, level = f"{name} is already {verb}; nothing was sent.", "info"
        else:
            message, level = f"{name} {verb}.", "success"
        if not self.request.htmx:
            getattr(messages, level)(self.request, message)
            return redirect("client-features", client_id=self.kwargs["client_id"])
        self.load()
        return notify(self.render_form(None), message, level)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        form = extra.pop("form", None)
        context = super().get_context_data(**self.features, **extra)
        if form is not None and form.errors:
            context["error"] = " ".join(message for messages in form.errors.values() for message in messages)
        return context


def _features_context(request: Any, client_id: int) -> dict[str, Any]:
    """The client as Gcore has it now, its features free and paid, and what the person may switch."""
    client = client_get(client_id=client_id, fresh=True).value
    free, paid = features_get(client=client)
    return {
        "client": client,
        "client_id": client_id,
        "free": free,
        "paid": paid,
        "can_free": may_manage_feature(request.user, paid=False),
        "can_paid": may_manage_feature(request.user, paid=True),
    }


# -- creating a client --------------------------------------------------------------------------------


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class ClientCreateView(ChangeView):
    """The create form; once created, the new client's page, with the password shown this once."""

    permission = "create_clients"
    audit_action = AuditEntry.Action.CLIENT_CREATE
    form_class = ClientCreateForm
    template_name, partial_name = "clients/create.html", "client-create"

    def load(self) -> None:
        self.sellers = sellers_get()
        defaults = availability_defaults_or_none()
        self.defaults, self.defaults_known = defaults or {}, defaults is not None
        self.existing: int | None = None

    def audit_ids(self) -> dict[str, Any]:
        return {"client_id": None}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"sellers": self.sellers}

    def get_initial_form(self) -> ClientCreateForm:
        initial = {"products": [name for name, available in self.defaults.items() if available], "lang": "en"}
        return ClientCreateForm(initial=initial, **self.get_form_kwargs())

    @method_decorator(sensitive_variables("form"))
    def save_instance(self, form: ClientCreateForm) -> CreatedClient:
        chosen = set(form.cleaned_data["products"])
        return client_create(
            values=form.values(),
            # Every product the form offers (its choices are these names): ticked or not.
            products={name: name in chosen for name in SERVICE_NAMES},
            defaults=self.defaults,
            password=form.cleaned_data["password"] or None,
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )

    def show_failure(self, form: ClientCreateForm, exc: UpstreamError) -> int:
        if isinstance(exc, UpstreamValidationError):
            form.add_upstream_errors(exc)
            return 422
        data = form.cleaned_data
        existing = client_created_meanwhile(data["email"], data["company"]) if exc.maybe_applied else None
        if existing is not None:
            self.existing = existing.id
            form.add_error(
                None,
                f"Gcore's answer never came, but it now has client {existing.id} ({existing.company_name}) "
                "with this user: it was created. As nothing confirms which password it took, send the user "
                "a password reset from the client's page.",
            )
            return 502
        text, status = change_failed(exc)
        form.add_error(None, text)
        if status != 422:  # a create that surely never reached Gcore can be sent again as it is
            status = 502 if exc.maybe_applied else 503
        return status

    def not_found(self, form: ClientCreateForm, exc: UpstreamNotFound) -> HttpResponse:
        # Nothing the create opens on can be gone: a 404 is a failure like any other, said on the
        # form with everything typed kept.
        return self.upstream_failed(form, exc)

    def render_form(self, form: ClientCreateForm, *, status: int = 200) -> HttpResponse:
        response = super().render_form(form, status=status)
        add_never_cache_headers(response)  # it may hold a typed password
        return response

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(defaults_known=self.defaults_known, existing=self.existing, **extra)

    @method_decorator(sensitive_variables("created"))
    def get_success_response(self, form: ClientCreateForm, created: CreatedClient) -> HttpResponse:
        """The new client's page, with the password to hand over. Not cached anywhere, and the
        address bar is moved to the client's own page (app.js), so a reload shows the page without it.

        The client exists once Gcore said 201: if reading it back fails, the password is still shown.
        """
        problem = "" if created.client_id else "Gcore's answer did not say which client it created."
        if not problem:
            read, failure = read_or_failure(
                lambda: (
                    client_get(client_id=created.client_id, fresh=True),
                    services_get(client_id=created.client_id, fresh=True),
                )
            )
            if failure is not None:
                problem = f"The client's page could not be read back just now: {failure.headline}"
            elif read is not None:  # always, once the read did not fail: it has its value
                context = detail_context(self.request, created.client_id, *read) | {"created": created}
                template, partial_name = "clients/detail.html", "client-summary"
        if problem:
            problem += " The password above is still the one to hand over."
            context = {"created": created, "problem": problem}
            template, partial_name = "clients/created.html", "created"
        response = render_page(self.request, template, context, partial=partial_name, status=201)
        add_never_cache_headers(response)
        return response


service_edit_view = ServiceEditView.as_view()
availability_view = AvailabilityView.as_view()
features_view = FeaturesView.as_view()
client_create_view = ClientCreateView.as_view()
