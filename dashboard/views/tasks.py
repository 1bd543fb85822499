"""`/tasks/`: Background work, for administrators. Each kind of recurring work with its last run,
next run and Run now; what the workers have queued and running now; the failed tasks kept."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from dashboard.http import HtmxHttpRequest, render_page
from dashboard.services.schedules import (
    background_overview,
    kinds,
    queue_now,
    recent_failures,
    schedule_run_now,
)


@require_http_methods(["GET", "POST"])
def tasks_view(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("Background work is for administrators.")
    status = 200
    if request.method == "POST":
        sent = request.POST.getlist("kind")
        kind = kinds().get(sent[0]) if len(sent) == 1 else None
        if len(sent) > 1:  # the page sends one kind per button: a doctored post, nothing queued
            messages.error(request, "One kind of work at a time: nothing was queued.")
            status = 400
        elif kind is None:
            messages.error(request, "No such kind of work: choose one of those listed.")
            status = 422
        else:
            if schedule_run_now(kind.name, actor=request.user):
                messages.success(request, f"{kind.label}: queued; a worker starts it as soon as one is free.")
            else:
                messages.info(request, f"{kind.label}: one is already queued or running; not queued again.")
            return redirect("background-work")
    context = {"kinds": background_overview(), "queue": queue_now(), "failures": recent_failures()}
    return render_page(request, "tasks/index.html", context, partial="tasks-body", status=status)
