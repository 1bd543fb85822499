from __future__ import annotations

from django.http import HttpRequest

from dashboard.gcore import is_sandbox


def gcore(request: HttpRequest) -> dict[str, object]:
    """Tells every page whether it shows sandbox data, for the badge in the header."""
    return {"gcore_sandbox": is_sandbox()}
