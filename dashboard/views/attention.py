"""Needs attention (`/attention/`): the queue of what the scans found, most urgent first, with its
CSV export; Assign, Snooze and Resolve on each finding (one change view each, dashboard/changes.py);
Scan now for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dashboard.changes import ChangeView
from dashboard.forms.attention import (
    FindingAssignForm,
    FindingFilterForm,
    FindingResolveForm,
    FindingSnoozeForm,
)
from dashboard.http import HtmxHttpRequest, client_ip, render_page
from dashboard.models import AuditEntry, Finding
from dashboard.roles import perm
from dashboard.services.attention import (
    attention_scan_queue,
    finding_assign,
    finding_resolve,
    finding_snooze,
    finding_text,
    findings_counts,
    findings_export_csv,
    findings_query,
    scans_get,
)

PAGE_SIZE = 50
Rule = Finding.Rule


@dataclass(frozen=True)
class Row:
    """One finding as the queue shows it: in plain words, with the link to the page that fixes it."""

    finding: Finding
    text: str
    action_label: str
    action_url: str  # "" when the person's role cannot open that page


def _action(finding: Finding) -> tuple[str, str, str]:
    """(label, url, permission codename) of the existing page that fixes the finding."""
    client_id, d = finding.client_id, finding.details
    if finding.rule in (Rule.DELETION_DUE, Rule.LONG_TRIAL) and d.get("service_id"):
        url = reverse("service-edit", args=[client_id, d["service_id"]])
        return f"Change the {d.get('service', '')} service".replace("  ", " "), url, "change_services"
    if finding.rule == Rule.UNACTIVATED_USER and d.get("user_id"):
        url = reverse("user-resend-invitation", args=[client_id, d["user_id"]])
        return "Resend the invitation", url, "email_client_users"
    if finding.rule == Rule.TOKEN_EXPIRING:
        return "See the API tokens", reverse("client-tokens", args=[client_id]), "view_client_tokens"
    if finding.rule == Rule.BILLING_DRIFT:
        return "Sync with SPP", reverse("billing-sync", args=[client_id]), "change_billing"
    if finding.rule == Rule.NO_ADMIN:
        return "See the users", reverse("client-detail", args=[client_id]) + "#client-users", "view_clients"
    return "Open the client", reverse("client-detail", args=[client_id]), "view_clients"


def finding_rows(findings: Any, user: Any) -> list[Row]:
    """The findings of one page as rows, each with its action where the person may take it."""
    now = timezone.now()
    rows = []
    for finding in findings:
        label, url, codename = _action(finding)
        may = user.has_perm(perm(codename))
        rows.append(Row(finding, finding_text(finding, now=now), label, url if may else ""))
    return rows


@require_GET
@permission_required(perm("view_attention"), raise_exception=True)
def attention_view(request: HtmxHttpRequest) -> HttpResponse:
    form = FindingFilterForm(request.GET)
    form.is_valid()
    findings = findings_query(**form.filters(me=request.user))
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))  # past the end: the last page
    counts = findings_counts()
    context = {
        "form": form,
        "page": page,
        "rows": finding_rows(page.object_list, request.user),
        "counts": [(rule, counts[rule.value]) for rule in Rule],
        "scans": scans_get(),
        "export_query": request.GET.urlencode(),
    }
    return render_page(request, "attention/queue.html", context, partial="attention-results")


@require_GET
@permission_required(perm("view_attention"), raise_exception=True)
def attention_export_view(request: HtmxHttpRequest) -> StreamingHttpResponse:
    form = FindingFilterForm(request.GET)
    form.is_valid()
    findings = findings_query(**form.filters(me=request.user)).select_related("assignee", "resolved_by")
    response = StreamingHttpResponse(findings_export_csv(findings), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="needs-attention-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@permission_required(perm("scan_attention"), raise_exception=True)
def attention_scan_view(request: HtmxHttpRequest) -> HttpResponse:
    """Queue a run of every rule for the workers now (each within the shared budget)."""
    busy = attention_scan_queue(actor=request.user, ip_address=client_ip(request))
    text = "Queued a scan of every rule: the workers run them, and the freshness table says when."
    if busy:
        text += f" Already under way: {', '.join(Rule(rule).label for rule in busy)}."
    messages.success(request, text)
    return redirect("attention")


class FindingChangeView(ChangeView):
    """A change of one finding: its form on its own page, then back to the queue."""

    permission = "change_attention"
    template_name, partial_name = "attention/change.html", "finding-editor"
    action = ""
    done = ""

    def load(self) -> None:
        self.finding = get_object_or_404(Finding, pk=self.kwargs["finding_id"])

    def audit_ids(self) -> dict[str, Any]:
        return {"client_id": self.finding.client_id}

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(
            finding=self.finding, text=finding_text(self.finding), action=self.action, **extra
        )

    def get_success_response(self, form: Any, result: Finding) -> HttpResponse:
        messages.success(self.request, self.done.format(company=result.company_name or result.client_id))
        back = self.request.POST.get("back", "")
        if back.startswith(reverse("attention")) and "//" not in back:
            return redirect(back)
        return redirect("attention")


class FindingAssignView(FindingChangeView):
    form_class = FindingAssignForm
    audit_action = AuditEntry.Action.FINDING_ASSIGN
    action = "assign"
    done = "Assigned the finding about {company}."

    def get_initial_form(self) -> FindingAssignForm:
        return FindingAssignForm(initial={"assignee": self.finding.assignee or self.request.user})

    def save_instance(self, form: FindingAssignForm) -> Finding:
        return finding_assign(
            finding=self.finding,
            assignee=form.cleaned_data["assignee"],
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )


class FindingSnoozeView(FindingChangeView):
    form_class = FindingSnoozeForm
    audit_action = AuditEntry.Action.FINDING_SNOOZE
    action = "snooze"
    done = "Snoozed the finding about {company}."

    def save_instance(self, form: FindingSnoozeForm) -> Finding:
        return finding_snooze(
            finding=self.finding,
            until=form.cleaned_data["until"],
            note=form.cleaned_data["note"],
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )


class FindingResolveView(FindingChangeView):
    form_class = FindingResolveForm
    audit_action = AuditEntry.Action.FINDING_RESOLVE
    action = "resolve"
    done = "Resolved the finding about {company}."

    def save_instance(self, form: FindingResolveForm) -> Finding:
        return finding_resolve(
            finding=self.finding,
            note=form.cleaned_data["note"],
            actor=self.request.user,
            ip_address=client_ip(self.request),
        )


finding_assign_view = FindingAssignView.as_view()
finding_snooze_view = FindingSnoozeView.as_view()
finding_resolve_view = FindingResolveView.as_view()
