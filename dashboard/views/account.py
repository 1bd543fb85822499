"""Running a client's account: a service's status, the products the client sees, its features, and
creating a client. Thin views: bind the form, call one service, pick the template or partial."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods
from django_htmx.http import trigger_client_event

from dashboard.forms.account import AvailabilityForm, ClientCreateForm, FeatureToggleForm, ServiceEditForm
from dashboard.http import HtmxHttpRequest, client_ip, notify, render_page, upstream_failure
from dashboard.mfa import fresh_identity_required, stops_a_service
from dashboard.models import AuditEntry
from dashboard.roles import perm
from dashboard.services.audit import Outcome, audit_refused_input
from dashboard.services.availability import (
    availability_defaults_get,
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
from dashboard.services.onboarding import client_create, client_created_meanwhile, sellers_get
from dashboard.upstream.errors import UpstreamError, UpstreamValidationError
from dashboard.views.clients import detail_context
from dashboard.views.saving import change_failed, form_status, partly_saved, save_form, saved_message

# -- a service's status ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(perm("change_services"), raise_exception=True)
@fresh_identity_required(when=stops_a_service)
def service_edit_view(request: HtmxHttpRequest, client_id: int, service_id: int) -> HttpResponse:
    client = client_get(client_id=client_id).value
    service = service_get(client_id=client_id, service_id=service_id, fresh=request.method == "GET")
    options: dict[str, Any] = {
        "can_delete": request.user.has_perm(perm("delete_services")),
        "consequence": partial(consequence, service=service.name, company=client.company_name),
    }
    context = {"client": client, "client_id": client_id, "service": service, "conflicts": []}
    context["meanings"] = STATUS_MEANINGS
    if request.method == "GET":
        form = ServiceEditForm(current=service_values(service), **options)
        return _service_form(request, context | {"form": form})

    form = ServiceEditForm(request.POST, **options)

    def save(**kwargs: Any):
        return service_update(
            client_id=client_id, service=service, reason=form.cleaned_data.get("reason") or "", **kwargs
        )

    def reread() -> str:
        try:
            now = service_get(client_id=client_id, service_id=service_id, fresh=True)
        except UpstreamError:
            return (
                "Reading it again failed too: reload the client's page in a moment to see what Gcore holds."
            )
        enabled = "enabled" if now.enabled else "not enabled"
        return f"Read again just now, Gcore shows {now.name} as {now.status}, {enabled}."

    result, status = save_form(
        request, form, action=AuditEntry.Action.SERVICE_UPDATE, client_id=client_id, save=save, reread=reread
    )
    if result is not None and result.outcome != Outcome.CONFLICT:
        message = saved_message(result, f"{service.name} service")
        if not request.htmx:
            messages.success(request, message)
            return redirect(f"{reverse('client-detail', args=[client_id])}#client-services")
        closed = {"closed": True, "client_id": client_id}
        response = render_page(request, "clients/service_edit.html", closed, partial="service-editor")
        if result.outcome != Outcome.UNCHANGED:
            trigger_client_event(response, "services-updated", {"id": client_id})
            trigger_client_event(response, "client-updated", {"id": client_id})
        return notify(response, message, "success" if result.outcome != Outcome.UNCHANGED else "info")
    context["conflicts"] = result.conflicts if result else []
    return _service_form(request, context | {"form": form}, status=form_status(request, status))


def _service_form(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render_page(request, "clients/service_edit.html", context, partial="service-editor", status=status)


# -- product availability ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(perm("view_clients"), raise_exception=True)
def availability_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Which products the client sees; those who may change it toggle each, or reset to the defaults."""
    client = client_get(client_id=client_id).value
    can_change = request.user.has_perm(perm("change_availability"))
    context: dict[str, Any] = {"client": client, "client_id": client_id, "can_change": can_change}
    if request.method == "POST" and not can_change:
        raise PermissionDenied("Your role does not allow changing which products a client sees.")
    if request.method == "POST" and request.POST.get("action") == "reset":
        rows = availability_get(client_id=client_id)
        form = AvailabilityForm(request.POST, products=[row.product for row in rows])
        # The reset needs none of the form's values, but a doctored form is refused whichever
        # button sent it.
        if not form.is_valid() and form.tampered:
            status = 400
            return _availability_page(request, context | {"rows": rows, "form": form}, status=status)
        try:
            availability_reset(client_id=client_id, actor=request.user, ip_address=client_ip(request))
        except UpstreamError as exc:
            context["error"], _ = change_failed(exc, input_kept=False)
            return _availability_page(request, context, status=422)
        return _after_availability(request, client, "Every product follows the reseller's defaults again.")

    # A form opens on Gcore's current values; a POST needs only the product list (its save re-reads).
    rows = availability_get(client_id=client_id, fresh=request.method == "GET")
    context["rows"] = rows
    products = [row.product for row in rows]
    if request.method == "GET":
        form = AvailabilityForm(current={row.product: row.available for row in rows}, products=products)
        return _availability_page(request, context | {"form": form})
    form = AvailabilityForm(request.POST, products=products)
    result, status = save_form(
        request,
        form,
        action=AuditEntry.Action.AVAILABILITY_UPDATE,
        client_id=client_id,
        save=partial(availability_update, client_id=client_id),
    )
    if result is not None and result.outcome == Outcome.PARTIAL:
        form.add_error(None, partly_saved(result))
        context["rows"] = availability_get(client_id=client_id, fresh=True)
        return _availability_page(request, context | {"form": form}, status=form_status(request, 502))
    if result is not None and result.outcome != Outcome.CONFLICT:
        return _after_availability(request, client, saved_message(result, "Products"))
    context["conflicts"] = result.conflicts if result else []
    return _availability_page(request, context | {"form": form}, status=form_status(request, status))


def _availability_page(request: HtmxHttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("conflicts", [])
    if "rows" not in context:
        context["rows"] = availability_get(client_id=context["client_id"], fresh=True)
    rows = context["rows"]
    if "form" not in context and context["can_change"]:
        context["form"] = AvailabilityForm(
            current={row.product: row.available for row in rows}, products=[row.product for row in rows]
        )
    form = context.get("form")
    fields = form.fields if form else {}
    context["lines"] = [(row, form[row.product] if row.product in fields else None) for row in rows]
    status = form_status(request, status)
    return render_page(request, "clients/availability.html", context, partial="availability", status=status)


def _after_availability(request: HtmxHttpRequest, client: Any, message: str) -> HttpResponse:
    client_id = client.id
    if not request.htmx:
        messages.success(request, message)
        return redirect("client-availability", client_id=client_id)
    context = {
        "client": client,
        "client_id": client_id,
        "can_change": True,
        "rows": availability_get(client_id=client_id, fresh=True),
    }
    return notify(_availability_page(request, context), message)


# -- features ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(perm("view_clients"), raise_exception=True)
def features_view(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """The feature catalogue, free and paid, with what the client has; enable or disable one."""
    context = _features_context(request, client_id)
    free, paid = context["free"], context["paid"]
    if request.method == "GET":
        return render_page(request, "clients/features.html", context, partial="features")

    if not (context["can_free"] or context["can_paid"]):
        raise PermissionDenied("Your role does not allow switching features on or off.")
    form = FeatureToggleForm(request.POST, rows=[*free, *paid])
    if not form.is_valid():
        context["error"] = " ".join(message for messages in form.errors.values() for message in messages)
        status = form_status(request, 400 if form.tampered else 422)
        return render_page(request, "clients/features.html", context, partial="features", status=status)
    row, enable = form.row(), form.enable
    try:
        outcome = feature_toggle(
            client_id=client_id,
            feature=row.feature,
            enable=enable,
            activation_id=row.activation_id,
            actor=request.user,
            ip_address=client_ip(request),
        )
    except UpstreamError as exc:
        text, _ = change_failed(exc, input_kept=False)
        context = _features_context(request, client_id) | {"error": text}
        return render_page(
            request, "clients/features.html", context, partial="features", status=form_status(request, 422)
        )
    verb = "enabled" if enable else "disabled"
    if outcome == Outcome.UNCHANGED:
        message = f"{row.feature.name} is already {verb}; nothing was sent."
        return _after_feature(request, client_id, message, "info")
    return _after_feature(request, client_id, f"{row.feature.name} {verb}.", "success")


def _after_feature(request: HtmxHttpRequest, client_id: int, message: str, level: str) -> HttpResponse:
    if not request.htmx:
        getattr(messages, level)(request, message)
        return redirect("client-features", client_id=client_id)
    context = _features_context(request, client_id)
    return notify(render_page(request, "clients/features.html", context, partial="features"), message, level)


def _features_context(request: HtmxHttpRequest, client_id: int) -> dict[str, Any]:
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


@sensitive_post_parameters("password")
@sensitive_variables("created", "form")
@require_http_methods(["GET", "POST"])
@permission_required(perm("create_clients"), raise_exception=True)
def client_create_view(request: HtmxHttpRequest) -> HttpResponse:
    """The create form; once created, the new client's page, with the password shown this once."""
    sellers = sellers_get()
    defaults, defaults_known = _defaults()
    if request.method == "GET":
        initial = {"products": [name for name, available in defaults.items() if available], "lang": "en"}
        form = ClientCreateForm(initial=initial, sellers=sellers)
        return _create_page(request, form, defaults_known)

    form = ClientCreateForm(request.POST, sellers=sellers)
    if not form.is_valid():
        audit_refused_input(
            action=AuditEntry.Action.CLIENT_CREATE, client_id=None, actor=request.user,
            errors=form.errors, ip_address=client_ip(request),
        )  # fmt: skip
        return _create_page(request, form, defaults_known, status=400 if form.tampered else 422)
    chosen = set(form.cleaned_data["products"])
    try:
        created = client_create(
            values=form.values(),
            products={name: name in chosen for name, _ in form.fields["products"].choices},
            defaults=defaults,
            password=form.cleaned_data["password"] or None,
            actor=request.user,
            ip_address=client_ip(request),
        )
    except UpstreamValidationError as exc:
        form.add_upstream_errors(exc)
        return _create_page(request, form, defaults_known, status=422)
    except UpstreamError as exc:
        data = form.cleaned_data
        existing = client_created_meanwhile(data["email"], data["company"]) if exc.maybe_applied else None
        if existing is not None:
            form.add_error(
                None,
                f"Gcore's answer never came, but it now has client {existing.id} ({existing.company_name}) "
                "with this user: it was created. As nothing confirms which password it took, send the user "
                "a password reset from the client's page.",
            )
            return _create_page(request, form, defaults_known, status=502, existing=existing.id)
        text, status = change_failed(exc)
        form.add_error(None, text)
        if status != 422:  # a create that surely never reached Gcore can be sent again as it is
            status = 502 if exc.maybe_applied else 503
        return _create_page(request, form, defaults_known, status=status)
    return _created_page(request, created)


def _defaults() -> tuple[dict[str, bool], bool]:
    """The reseller's default products, and whether Gcore could say what they are."""
    try:
        return availability_defaults_get(), True
    except UpstreamError:
        return {}, False


def _create_page(
    request: HtmxHttpRequest,
    form: ClientCreateForm,
    defaults_known: bool,
    *,
    status: int = 200,
    existing: int | None = None,
) -> HttpResponse:
    context = {"form": form, "defaults_known": defaults_known, "existing": existing}
    response = render_page(request, "clients/create.html", context, partial="client-create", status=status)
    add_never_cache_headers(response)  # it may hold a typed password
    return response


@sensitive_variables("created")
def _created_page(request: HtmxHttpRequest, created: Any) -> HttpResponse:
    """The new client's page, with the password to hand over. Not cached anywhere, and the address
    bar is moved to the client's own page (app.js), so a reload shows the page without it.

    The client exists once Gcore said 201: if reading it back fails, the password is still shown.
    """
    problem = "" if created.client_id else "Gcore's answer did not say which client it created."
    if not problem:
        try:
            client = client_get(client_id=created.client_id, fresh=True)
            services = services_get(client_id=created.client_id, fresh=True)
            context = detail_context(request, created.client_id, client, services) | {"created": created}
            template, partial = "clients/detail.html", "client-summary"
        except UpstreamError as exc:
            problem = f"The client's page could not be read back just now: {upstream_failure(exc).headline}"
    if problem:
        problem += " The password above is still the one to hand over."
        context = {"created": created, "problem": problem}
        template, partial = "clients/created.html", "created"
    response = render_page(request, template, context, partial=partial, status=201)
    add_never_cache_headers(response)
    return response
