from __future__ import annotations

from functools import partial

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


def attention(request: HttpRequest) -> dict[str, object]:
    """The header's number: open findings assigned to the signed-in person, counted only when a page
    shows it (a template calls the function)."""
    from dashboard.services.attention import findings_assigned_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"attention_mine": partial(findings_assigned_count, user=user)}
