"""Display helpers for templates: sortable column headers. No business logic here."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from html import escape

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _toggle(ordering: str, field: str) -> tuple[str, str | None]:
    """The ordering a click on `field` asks for, and the column's current direction."""
    first = ordering.split(",")[0] if ordering else ""
    if first == field:
        return f"-{field}", "ascending"
    if first == f"-{field}":
        return field, "descending"
    return field, None


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, field: str, label: str, ordering: str) -> str:
    """A <th> whose link sorts by `field` (toggling direction), marked with aria-sort when active."""
    request = context["request"]
    target, current = _toggle(ordering, field)
    query: QueryDict = request.GET.copy()
    query["ordering"] = target
    query.pop("page", None)
    href = f"?{query.urlencode()}"
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(current or "", "")
    return format_html(
        # The sort select in the filter form changes too, so the link swaps form and results.
        '<th scope="col"{}><a href="{}" hx-get="{}" hx-target="#client-browser" title="Sort by {}">{}{}</a></th>',
        format_html(' aria-sort="{}"', current) if current else "",
        href,
        href,
        label.lower(),
        label,
        arrow,
    )


@register.filter
def lookup(form, name: str):  # noqa: ANN001, ANN201
    """The bound field `name` of a form, for loops over field names."""
    return form[name]


@register.filter
def label_of(form, name: str) -> str:  # noqa: ANN001
    """A form field's label; `__all__` (errors about several fields) reads as "Filters"."""
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else "Filters"


def css_token(value: object) -> str:
    """A status as a CSS class suffix (Gcore's statuses are plain words; anything else is dropped)."""
    return "".join(ch for ch in str(value or "none").lower() if ch.isalnum() or ch in "-_") or "none"


@register.simple_tag
def status_badge(status: str | None) -> SafeString:
    return mark_safe(f'<span class="status status-{css_token(status)}">{escape(status or "—")}</span>')  # noqa: S308


@register.simple_tag
def service_badges(client) -> SafeString:  # noqa: ANN001 - a gcore.models.Client
    """One badge per service: name and status, dimmed when the service is not enabled.

    Built with the standard library's escape rather than format_html: this runs for every row of
    every list page, and every value is escaped here (upstream text is untrusted).
    """
    badges = []
    for service, state in client.services():
        name, status = escape(service), escape(state.status or "")
        dimmed, note = ("", "") if state.enabled else (" svc-disabled", " (not enabled)")
        badges.append(
            f'<span class="svc status-{css_token(state.status)}{dimmed}" title="{name}: {status or "no status"}{note}">'
            f"{name} <small>{status or '–'}</small></span> "
        )
    return mark_safe("".join(badges))  # noqa: S308 - every value above is escaped
