"""The managers' overview at `/`: counts and bar charts, each number a link to those clients."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from dashboard.gcore.models import ServiceStatus
from dashboard.http import HtmxHttpRequest, render_page, wants_fresh
from dashboard.models import Finding
from dashboard.roles import perm
from dashboard.services.attention import findings_counts
from dashboard.services.overview import Tally, TallyGroup, overview_get

# Chart geometry in SVG user units; the SVG scales to its box (app.css), so these are proportions.
CHART_WIDTH = 360
LABEL_WIDTH = 110
BAR_SPACE = 190  # the longest bar; its number is written after it
ROW_HEIGHT = 26
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    tally: Tally
    y: int
    bar_y: int
    text_y: int
    width: int
    value_x: int


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of one group, laid out for the template's inline SVG."""

    group: TallyGroup
    bars: tuple[Bar, ...]
    width: int = CHART_WIDTH
    height: int = 0
    bar_x: int = LABEL_WIDTH
    row_height: int = ROW_HEIGHT
    bar_height: int = BAR_HEIGHT


def bar_chart(group: TallyGroup) -> Chart:
    largest = group.largest
    bars = []
    for index, tally in enumerate(group.tallies):
        y = index * ROW_HEIGHT
        # A non-zero count always shows at least a sliver, so "few" never looks like "none".
        width = round(BAR_SPACE * tally.count / largest) if largest else 0
        width = max(width, 2) if tally.count else 0
        bars.append(
            Bar(
                tally=tally,
                y=y,
                bar_y=y + (ROW_HEIGHT - BAR_HEIGHT) // 2,
                text_y=y + ROW_HEIGHT // 2 + 5,
                width=width,
                value_x=LABEL_WIDTH + width + 6,
            )
        )
    return Chart(group=group, bars=tuple(bars), height=len(bars) * ROW_HEIGHT)


@require_GET
@permission_required(perm("view_clients"), raise_exception=True)
def overview_view(request: HtmxHttpRequest) -> HttpResponse:
    refresh = wants_fresh(request)  # the same Refresh link as the client list's
    overview = overview_get(refresh=refresh)
    if refresh and not request.htmx:
        # Counted afresh and cached; the address bar goes back to "/", so a reload reads the cache.
        return redirect("home")
    context = {
        "overview": overview,
        "summary_charts": [
            bar_chart(group) for group in (overview.account, overview.environment, overview.client_types)
        ],
        "service_charts": [bar_chart(group) for group in overview.services],
        "statuses": [status.value for status in ServiceStatus],
    }
    if request.user.has_perm(perm("view_attention")):
        counts = findings_counts()
        context["attention_counts"] = [(rule, counts[rule.value]) for rule in Finding.Rule]
    return render_page(request, "overview.html", context, partial="overview-body")
