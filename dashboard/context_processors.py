from __future__ import annotations

from django.http import HttpRequest

from dashboard.gcore import is_sandbox
from dashboard.spp import spp_mode


def gcore(request: HttpRequest) -> dict[str, object]:
    """Tells every page which systems answer from a built-in sandbox (the header's badge), and
    whether the billing features (SPP) are on."""
    mode = spp_mode()
    sandboxes = [name for name, on in (("Gcore", is_sandbox()), ("SPP", mode == "sandbox")) if on]
    return {"sandboxes": sandboxes, "billing_connected": mode != "off"}
