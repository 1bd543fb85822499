from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from dashboard.gcore import is_sandbox
from dashboard.spp import spp_mode


def gcore(request: HttpRequest) -> dict[str, object]:
    """Tells every page which systems answer from a sandbox (the header's badge) and whether this is a
    production training install, whether the billing features (SPP) are on, and whether a second
    factor is required."""
    mode = spp_mode()
    sandboxes = [name for name, on in (("Gcore", is_sandbox()), ("SPP", mode == "sandbox")) if on]
    return {
        "sandboxes": sandboxes,
        "training_install": bool(sandboxes) and settings.TRAINING_INSTALL,
        "billing_connected": mode != "off",
        "mfa_required": settings.MFA_REQUIRED,
        "reauth_minutes": settings.REAUTH_MINUTES,
    }
