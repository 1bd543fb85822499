"""Display helpers for templates: sortable headers, the list's rows and filters. No business logic here."""

from __future__ import annotations

import functools
from html import escape
from urllib.parse import urlencode

from django import forms, template
from django.contrib.humanize.templatetags.humanize import intcomma
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


def _query_with(query: QueryDict, key: str, value: object, *, drop: tuple[str, ...] = ()) -> str:
    """`?` plus the query string with `key` set to `value` (in its place) and `drop` left out,
    HTML-escaped. Built directly: copying a QueryDict deep-copies it, once per link."""
    pairs: list[tuple[str, str]] = []
    for name, values in query.lists():
        if name == key:
            pairs.append((key, str(value)))
        elif name not in drop:
            pairs.extend((name, item) for item in values)
    if key not in query:
        pairs.append((key, str(value)))
    return escape(f"?{urlencode(pairs)}")


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, field: str, label: str, ordering: str) -> str:
    """A <th> whose link sorts by `field` (toggling direction), marked with aria-sort when active."""
    target, current = _toggle(ordering, field)
    href = mark_safe(_query_with(context["request"].GET, "ordering", target, drop=("page",)))  # noqa: S308 - escaped
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
def label_of(form, name: str) -> str:
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


def _service_badges(client) -> str:
    """One badge per service, in Gcore's order."""
    return "".join(
        _service_badge(service, state.status, state.enabled) for service, state in client.services()
    )


@register.simple_tag
def client_rows(clients, detail_prefix: str, back_suffix: str, show_created: bool) -> SafeString:
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
            (
                f'<td class="nowrap">{client.created_at:%Y-%m-%d}</td>'
                if client.created_at
                else '<td class="nowrap">—</td>'
            )
            if show_created
            else ""
        )
        rows.append(
            f'<tr><td class="num">{client.id}</td>'
            f'<td><a href="{prefix}{client.id}/{suffix}">{escape(client.company_name)}</a>{badges}</td>'
            f"<td>{escape(client.email)}</td><td>{escape(client.name) if client.name else '—'}</td>"
            f'<td>{_status_badge(client.status)}</td><td class="services">{_service_badges(client)}</td>{created}</tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def pagination(context: template.Context, listing) -> SafeString:
    """First / previous / "Page n of m" / next / last, keeping the list's other parameters.

    Written here rather than as an included template: it renders after Gcore has answered,
    where every fraction of a millisecond is added to the person's wait.
    """
    if listing.num_pages <= 1:
        return mark_safe("")
    query = context["request"].GET

    def link(page: int, text: str, rel: str) -> str:
        href = _query_with(query, "page", page)
        return f'<li><a href="{href}" hx-get="{href}" rel="{rel}">{text}</a></li>'

    if listing.has_previous:
        back = link(1, "« First", "first") + link(listing.page - 1, "‹ Previous", "prev")
    else:
        back = '<li><span class="muted">« First</span></li><li><span class="muted">‹ Previous</span></li>'
    if listing.has_next:
        on = link(listing.page + 1, "Next ›", "next") + link(listing.num_pages, "Last »", "last")
    else:
        on = '<li><span class="muted">Next ›</span></li><li><span class="muted">Last »</span></li>'
    here = f'<li><span aria-current="page">Page {intcomma(listing.page)} of {intcomma(listing.num_pages)}</span></li>'
    return mark_safe(f'<nav class="pagination" aria-label="Pages">\n  <ul>{back}{here}{on}</ul>\n</nav>')  # noqa: S308


@register.simple_tag(takes_context=True)
def freshness(context: template.Context, from_cache: bool, age: int, target: str = "") -> SafeString:
    """Whether the page shows a cached copy (and how old) or Gcore's answer now, and a Refresh link.

    The link's header asks the server to skip its cache; the address bar keeps the view's own URL.
    """
    query = escape(context["request"].GET.urlencode())
    state = f"Cached copy from {int(age)} s ago" if from_cache else "Fresh from Gcore"
    swap = f' hx-target="{escape(target)}" hx-swap="outerHTML"' if target else ""
    return mark_safe(  # noqa: S308 - the query and target are escaped
        f'<span class="freshness">{state} ·\n  <a href="?{query + "&amp;" if query else ""}refresh=1" hx-get=""{swap}'
        """ hx-headers='{"X-Refresh": "true"}' hx-push-url="false" title="Read it again from Gcore now">Refresh</a></span>"""
    )


@register.simple_tag
def filter_fields(form, names=None) -> SafeString:
    """Label, control and error slot for each named field of a filter form, built in one pass.

    Django renders every widget and every <option> through its own template; for the client
    list's ~35 filters that was most of the page's render time. Filters are plain inputs and
    selects, so they are written here, each value escaped (a bad value typed into a filter comes
    back in the page).
    """
    return mark_safe("".join(_filter_field(form[name]) for name in (names or form.fields)))  # noqa: S308


def _filter_field(bound) -> str:
    form, field, widget = bound.form, bound.field, bound.field.widget
    name, control_id = escape(bound.html_name), escape(bound.auto_id or bound.html_name)
    error = bound.errors[0] if bound.errors else ""
    invalid = ' aria-invalid="true"' if error else ""
    value = bound.value()
    if isinstance(widget, forms.Select):
        selected = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) == selected else ""}>{escape(str(label))}</option>'
            for key, label in (
                form.select_choices(bound.name) if hasattr(form, "select_choices") else widget.choices
            )
        )
        control = f'<select name="{name}" id="{control_id}"{invalid}>{options}</select>'
    else:
        attrs = {"type": getattr(widget, "input_type", "text"), **field.widget_attrs(widget), **widget.attrs}
        attrs.pop("required", None)
        extra = "".join(
            f' {escape(key)}="{escape(str(val))}"' for key, val in attrs.items() if val not in (None, False)
        )
        shown = "" if value is None else str(value)
        control = f'<input name="{name}" id="{control_id}" value="{escape(shown)}"{extra}{invalid}>'
    return (
        f'<div class="filter-field{" has-error" if error else ""}">'
        f'<label for="{control_id}">{escape(str(field.label))}</label>{control}'
        f'<small class="field-error" id="error-{name}">{escape(str(error))}</small></div>'
    )


@register.simple_tag
def filter_errors_oob(form) -> SafeString:
    """Each filter's error slot, for htmx to swap out of band (clearing the ones now fixed)."""
    return mark_safe(  # noqa: S308 - messages escaped
        "".join(
            f'<small class="field-error" id="error-{escape(name)}" hx-swap-oob="true">'
            f"{escape(str(form.errors[name][0])) if name in form.errors else ''}</small>"
            for name in form.fields
        )
    )
