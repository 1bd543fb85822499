"""Pages that are not about one feature: health checks (the landing page is the overview)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from dashboard.services.health import readiness_check


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: the process answers; Gcore is not asked."""
    return JsonResponse({"status": "ok"})


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness for load balancers: database and cache must answer; Gcore's state is reported.

    Gcore being down does not make this server unready: every server shares the same Gcore, so
    taking them all out of the pool would only replace the dashboard's own plain error messages
    with the load balancer's.
    """
    report = readiness_check()
    return JsonResponse(report, status=200 if report["ready"] else 503)
