"""What the database can hold. PostgreSQL's text and jsonb columns refuse the NUL character, which a
doctored form (echoed in a refusal's message) or an upstream answer (a customer's request body in
Gcore's activity log) can carry; SQLite stores it. Rows built from such text go through
`storable_row` before they are written, so a NUL never turns a refusal or an indexing pass into a
500 or a stuck task: it is kept visible as U+FFFD, the replacement character."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

NUL = "\x00"
REPLACEMENT = "\ufffd"

Row = TypeVar("Row", bound=models.Model)


def storable(value: Any) -> Any:
    """`value` with every NUL in its text (keys and values, nested) replaced; other values as given."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def storable_row(row: Row) -> Row:
    """The unsaved `row` with the text of each of its fields made storable (in place)."""
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if isinstance(value, str | dict | list):
            setattr(row, field.attname, storable(value))
    return row
