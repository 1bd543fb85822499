"""Display helpers for templates: status badges, the list's rows and filter controls. No business logic.

Templates and partials are the rule. HTML is written here, always through `format_html` and
`format_html_join` (every value escaped), only where `make bench` showed a template costing the
person time: the client list's rows and its ~35 filter controls.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from dashboard.gcore.models import ClientSummary

register = template.Library()

EMPTY = mark_safe("")


# -- statuses ----------------------------------------------------------------------------------------


def css_token(value: object) -> str:
    """A status as a CSS class suffix (Gcore's statuses are plain words; anything else is dropped)."""
    return "".join(ch for ch in str(value or "none").lower() if ch.isalnum() or ch in "-_") or "none"


# Statuses repeat across rows and pages (a few dozen combinations), so each badge is written once
# per process; the caches are bounded in case an upstream invents many.
@register.simple_tag
@functools.lru_cache(maxsize=256)
def status_badge(status: str | None) -> SafeString:
    """A client's or a service's status as a coloured badge: the one way every page shows one."""
    return format_html('<span class="status status-{}">{}</span>', css_token(status), status or "—")


@functools.lru_cache(maxsize=1024)
def service_badge(service: str, state: str | None, enabled: bool) -> SafeString:
    """A service in the list: its name, coloured by status; the status is in the title and read aloud."""
    note = "" if enabled else " (not enabled)"
    return format_html(
        '<span class="svc status-{}{}" title="{}: {}{}">{}<span class="visually-hidden"> {}{}</span></span>',
        css_token(state),
        "" if enabled else " svc-disabled",
        service,
        state or "no status",
        note,
        service,
        state or "no status",
        note,
    )


# -- the client list ----------------------------------------------------------------------------------

TEST_BADGE = mark_safe(' <span class="badge badge-test">Test</span>')
DELETED_BADGE = mark_safe(' <span class="badge badge-deleted">Deleted</span>')


@functools.lru_cache(maxsize=4096)
def _services_cell(states: tuple[tuple[str, str | None, bool], ...]) -> SafeString:
    """A row's service badges; rows share a few hundred combinations, so each is written once."""
    return format_html_join(" ", "{}", ((service_badge(*state),) for state in states))


FLAGS = {
    (False, False): EMPTY,
    (True, False): TEST_BADGE,
    (False, True): DELETED_BADGE,
    (True, True): TEST_BADGE + DELETED_BADGE,
}
NO_CELL = object()  # the "Created" column is not shown


@register.simple_tag
def client_flags(client: ClientSummary) -> SafeString:
    """The Test and Deleted badges after a client's name: the same in the list and on its page."""
    return FLAGS[client.is_test, client.deleted]


# A row's cells after its link, keyed by everything they show. List pages show the same clients
# again and again (paging back and forth, other filters, other staff), so most rows are written
# once per process; the link before them differs from page to page and is added per row. Bounded.
@functools.lru_cache(maxsize=4096)
def _row_tail(
    company: str,
    flags: tuple[bool, bool],
    email: str,
    name: str | None,
    status: str | None,
    services: tuple[tuple[str, str | None, bool], ...],
    created: Any,
) -> SafeString:
    created_cell = EMPTY
    if created is not NO_CELL:
        created_cell = format_html('<td class="nowrap">{}</td>', f"{created:%Y-%m-%d}" if created else "—")
    return format_html(
        '" title="{}">{}</a>{}</td><td class="cut" title="{}">{}</td><td class="cut">{}</td>'
        '<td>{}</td><td class="services">{}</td>{}</tr>\n',
        company,
        company,
        FLAGS[flags],
        email,
        email,
        name or "—",
        status_badge(status),
        _services_cell(services),
        created_cell,
    )


def _row(
    client: ClientSummary, link: SafeString, back_suffix: SafeString, show_created: bool
) -> tuple[Any, ...]:
    tail = _row_tail(
        client.company_name,
        (client.is_test, client.deleted),
        client.email,
        client.name,
        client.status,
        tuple((name, s.status, s.enabled) for name, s in client.services()),
        client.created_at if show_created else NO_CELL,
    )
    return (client.id, link, client.id, back_suffix, tail)


ROW = '<tr><td class="num">{}</td><td class="cut"><a href="{}{}/{}{}'


# With a first cell to tick the client for a change across many clients (its form is #bulk-form).
PICK_ROW = (
    '<tr><td class="pick"><input type="checkbox" name="client" value="{}" form="bulk-form" '
    'aria-label="Select client {}"></td><td class="num">{}</td><td class="cut"><a href="{}{}/{}{}'
)


@register.simple_tag
def client_rows(
    clients: Iterable[ClientSummary],
    list_url: str,
    back_suffix: str,
    show_created: bool,
    selectable: bool = False,
) -> SafeString:
    """The client list's table rows; `selectable` adds a first cell with a box to tick the client.

    Written here rather than as a template loop: with 50 to 100 rows the loop was most of the list
    page's render time, which the dashboard adds to every Gcore round trip. Upstream text is
    untrusted: format_html escapes every value.
    """
    link, suffix = conditional_escape(list_url), conditional_escape(back_suffix)  # once, not per row
    rows = (_row(client, link, suffix, show_created) for client in clients)
    if selectable:
        return format_html_join("", PICK_ROW, ((row[0], row[0], *row) for row in rows))
    return format_html_join("", ROW, rows)


# -- filter controls --------------------------------------------------------------------------------

# The widgets written faithfully below: what Django would render for them, minus its per-option templates.
TEXT_WIDGETS = (forms.TextInput, forms.DateInput, forms.EmailInput, forms.NumberInput, forms.SearchInput)


@functools.lru_cache(maxsize=512)
def _options(choices: tuple[tuple[str, str], ...], selected: str) -> SafeString:
    """A select's <option>s; the same few selects and values recur on every page, so kept per process."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((key, mark_safe(" selected") if key == selected else "", label) for key, label in choices),
    )


def _control(
    field: forms.Field, name: str, control_id: str, value: str | None, invalid: SafeString
) -> SafeString:
    widget = field.widget
    if type(widget) is forms.Select:
        if any(isinstance(label, list | tuple) for _, label in widget.choices):
            raise TypeError(f"filter_fields cannot write the grouped options of {name!r}")
        choices = tuple((str(key), str(label)) for key, label in widget.choices)
        selected = "" if value is None else str(value)
        return format_html(
            '<select name="{}" id="{}"{}>{}</select>', name, control_id, invalid, _options(choices, selected)
        )
    if type(widget) in TEXT_WIDGETS:
        attrs = {"type": widget.input_type, **field.widget_attrs(widget), **widget.attrs}
        attrs.pop("required", None)
        extra = format_html_join(
            "", ' {}="{}"', ((key, val) for key, val in attrs.items() if val not in (None, False))
        )
        shown = "" if value is None else str(value)
        return format_html(
            '<input name="{}" id="{}" value="{}"{}{}>', name, control_id, shown, extra, invalid
        )
    raise TypeError(
        f"filter_fields cannot write a {type(widget).__name__} ({name!r}) faithfully; "
        "render that field with its own template"
    )


# Keyed by the field object itself: the client list's fields live as long as the process (its
# form shares them between requests), and a key holds its field, so an identity is never reused.
@functools.lru_cache(maxsize=2048)
def _written_field(
    field: forms.Field, name: str, control_id: str, label: str, value: Any, error: str
) -> SafeString:
    invalid = mark_safe(' aria-invalid="true"') if error else EMPTY
    return format_html(
        '<div class="filter-field{}"><label for="{}">{}</label>{}'
        '<small class="field-error" id="error-{}">{}</small></div>',
        " has-error" if error else "",
        control_id,
        label,
        _control(field, name, control_id, value, invalid),
        name,
        error,
    )


def _filter_field(bound: BoundField) -> SafeString:
    value = bound.value()
    if not isinstance(value, str | None):  # a widget with several values: refused by _control
        return _control(bound.field, bound.html_name, bound.auto_id or bound.html_name, None, EMPTY)
    error = str(bound.errors[0]) if bound.errors else ""
    label = str(bound.label)
    return _written_field(bound.field, bound.html_name, bound.auto_id or bound.html_name, label, value, error)


@register.simple_tag
def filter_fields(form: forms.Form, names: Iterable[str] | None = None) -> SafeString:
    """Label, control and error slot for each named field of a filter form (default: all).

    Plain text inputs and single selects only; any other widget raises TypeError rather than be
    written differently from what Django would render. Django's own widget templates render every
    <option> through a template, which for the client list's ~35 filters was most of the page's
    render time.
    """
    return format_html_join("", "{}", ((_filter_field(form[name]),) for name in (names or form.fields)))


# -- rendering order ------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def render_now(context: template.Context, template_name: str) -> SafeString:
    """An included template rendered at this point of the page, to be placed later with `{{ name }}`.

    A page renders top to bottom, and stops where it first needs Gcore's answer. A region that
    needs no Gcore data but sits below that point (the client list's sidebar) would be rendered
    after Gcore answered, adding to the wait; rendered first, it is ready when the answer comes.
    """
    if context.template is None:  # a tag runs while its template renders, which sets this
        raise template.TemplateSyntaxError("render_now runs only inside a template")
    return context.template.engine.get_template(template_name).render(context)


@register.simple_tag
def sort_state(field: str, ordering: str) -> dict[str, str]:
    """For a column header: the ordering a click asks for, and the column's current direction."""
    first = ordering.split(",")[0] if ordering else ""
    if first == field:
        return {"target": f"-{field}", "direction": "ascending", "arrow": " ▲"}
    if first == f"-{field}":
        return {"target": field, "direction": "descending", "arrow": " ▼"}
    return {"target": field, "direction": "", "arrow": ""}


@register.filter
def get_item(mapping: Mapping[str, Any], key: str) -> Any:
    """`mapping[key]` in a template (None when absent): `{{ meanings|get_item:service.status }}`."""
    return mapping.get(key) if mapping else None
