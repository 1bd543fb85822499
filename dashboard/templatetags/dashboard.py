"""Display helpers for templates: sortable column headers. No business logic here."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from django.utils.html import format_html

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
