"""Display helpers for templates: sortable headers, the list's rows and filters. No business logic here."""

from __future__ import annotations

import functools
from html import escape
from urllib.parse import urlencode

from django import forms, template
from django.http import QueryDict
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


def _query_with_ordering(query: QueryDict, ordering: str) -> str:
    """The query string with this ordering and without `page` (built directly: copying a QueryDict
    deep-copies it, once per column)."""
    pairs: list[tuple[str, str]] = []
    for key, values in query.lists():
        if key == "ordering":
            pairs.append((key, ordering))
        elif key != "page":
            pairs.extend((key, value) for value in values)
    if "ordering" not in query:
        pairs.append(("ordering", ordering))
    return urlencode(pairs)


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, field: str, label: str, ordering: str) -> str:
    """A <th> whose link sorts by `field` (toggling direction), marked with aria-sort when active."""
    target, current = _toggle(ordering, field)
    href = f"?{_query_with_ordering(context['request'].GET, target)}"
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


@register.simple_tag(takes_context=True)
def render_now(context: template.Context, template_name: str) -> SafeString:
    """An included template rendered at this point of the page, to be placed later with `{{ name }}`.

    A page renders top to bottom, and stops where it first needs Gcore's answer. A region that
    needs no Gcore data but sits below that point (the client list's sidebar) would be rendered
    after Gcore answered, adding to the wait; rendered first, it is ready when the answer comes.
    """
    return context.template.engine.get_template(template_name).render(context)


@register.filter
def label_of(form, name: str) -> str:  # noqa: ANN001
    """A form field's label; `__all__` (errors about several fields) reads as "Filters"."""
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else "Filters"


def css_token(value: object) -> str:
    """A status as a CSS class suffix (Gcore's statuses are plain words; anything else is dropped)."""
    return "".join(ch for ch in str(value or "none").lower() if ch.isalnum() or ch in "-_") or "none"


# Statuses and service states repeat across rows and pages (a few dozen combinations), so each
# badge is written once per process; the caches are bounded in case an upstream invents many.
@functools.lru_cache(maxsize=256)
def _status_badge(status: str | None) -> str:
    return f'<span class="status status-{css_token(status)}">{escape(status or "—")}</span>'


@functools.lru_cache(maxsize=1024)
def _service_badge(service: str, state: str | None, enabled: bool) -> str:
    """A service's badge: name and status, dimmed when the service is not enabled."""
    name, status = escape(service), escape(state or "")
    dimmed, note = ("", "") if enabled else (" svc-disabled", " (not enabled)")
    return (
        f'<span class="svc status-{css_token(state)}{dimmed}" title="{name}: {status or "no status"}{note}">'
        f"{name} <small>{status or '–'}</small></span> "
    )


def _service_badges(client) -> str:  # noqa: ANN001 - a gcore.models.ClientSummary
    """One badge per service, in Gcore's order."""
    return "".join(_service_badge(service, state.status, state.enabled) for service, state in client.services())


@register.simple_tag
def client_rows(clients, detail_prefix: str, back_suffix: str, show_created: bool) -> SafeString:  # noqa: ANN001
    """The client list's table rows.

    Written in Python rather than as a template loop: with 50 to 100 rows it was most of the list
    page's render time, which the dashboard adds to every Gcore round trip. Every upstream value
    is escaped here (upstream text is untrusted).
    """
    rows = []
    prefix, suffix = escape(detail_prefix), escape(back_suffix)
    for client in clients:
        badges = (' <span class="badge badge-test">Test</span>' if client.is_test else "") + (
            ' <span class="badge badge-deleted">Deleted</span>' if client.deleted else ""
        )
        created = (
            f'<td class="nowrap">{client.created_at:%Y-%m-%d}</td>' if client.created_at else '<td class="nowrap">—</td>'
        ) if show_created else ""
        rows.append(
            f'<tr><td class="num">{client.id}</td>'
            f'<td><a href="{prefix}{client.id}/{suffix}">{escape(client.company_name)}</a>{badges}</td>'
            f"<td>{escape(client.email)}</td><td>{escape(client.name) if client.name else '—'}</td>"
            f'<td>{_status_badge(client.status)}</td><td class="services">{_service_badges(client)}</td>{created}</tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


@register.simple_tag
def filter_fields(form, names=None) -> SafeString:  # noqa: ANN001 - a Form, and field names (default: all)
    """Label, control and error slot for each named field of a filter form, built in one pass.

    Django renders every widget and every <option> through its own template; for the client
    list's ~35 filters that was most of the page's render time. Filters are plain inputs and
    selects, so they are written here, each value escaped (a bad value typed into a filter comes
    back in the page).
    """
    return mark_safe("".join(_filter_field(form[name]) for name in (names or form.fields)))  # noqa: S308


def _filter_field(bound) -> str:  # noqa: ANN001 - a BoundField
    form, field, widget = bound.form, bound.field, bound.field.widget
    name, control_id = escape(bound.html_name), escape(bound.auto_id or bound.html_name)
    error = bound.errors[0] if bound.errors else ""
    invalid = ' aria-invalid="true"' if error else ""
    value = bound.value()
    if isinstance(widget, forms.Select):
        selected = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) == selected else ""}>{escape(str(label))}</option>'
            for key, label in (form.select_choices(bound.name) if hasattr(form, "select_choices") else widget.choices)
        )
        control = f'<select name="{name}" id="{control_id}"{invalid}>{options}</select>'
    else:
        attrs = {"type": getattr(widget, "input_type", "text"), **field.widget_attrs(widget), **widget.attrs}
        attrs.pop("required", None)
        extra = "".join(f' {escape(key)}="{escape(str(val))}"' for key, val in attrs.items() if val not in (None, False))
        shown = "" if value is None else str(value)
        control = f'<input name="{name}" id="{control_id}" value="{escape(shown)}"{extra}{invalid}>'
    return (
        f'<div class="filter-field{" has-error" if error else ""}">'
        f'<label for="{control_id}">{escape(str(field.label))}</label>{control}'
        f'<small class="field-error" id="error-{name}">{escape(str(error))}</small></div>'
    )


@register.simple_tag
def filter_errors_oob(form) -> SafeString:  # noqa: ANN001 - a Form
    """Each filter's error slot, for htmx to swap out of band (clearing the ones now fixed)."""
    return mark_safe(  # noqa: S308 - messages escaped
        "".join(
            f'<small class="field-error" id="error-{escape(name)}" hx-swap-oob="true">'
            f"{escape(str(form.errors[name][0])) if name in form.errors else ''}</small>"
            for name in form.fields
        )
    )
