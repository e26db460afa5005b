"""The metric page: status, trend, one slice of the readings (paginated) and history."""

from django.shortcuts import render
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from pillars import charts
from pillars.page_cache import cached_page

from .. import access, selectors
from ..dashboard import metric_grid
from ..forms import ReadingSliceForm
from ..tables import HistoryTable, ReadingTable
from . import public
from .equity import equity_context

READINGS_PER_PAGE = 50


@require_safe
@cached_page
@access.staff_or_public
def metric_detail(request, plan, code):
    """Staff see the metric's whole page; a signed-out visitor of a public plan its
    public view (views/public.py)."""
    if request.public_view:
        return public.metric_page(request, plan, code)
    metric, snapshot = selectors.metric_page(plan, code)
    slice_form = ReadingSliceForm(request.GET or None, plan=metric.plan)
    district, group = slice_form.chosen()
    readings = ReadingTable(
        selectors.metric_readings(metric, district=district, student_group=group), metric=metric
    )
    RequestConfig(request, paginate={"per_page": READINGS_PER_PAGE}).configure(readings)
    return render(request, "metrics/metric_detail.html", {
        "slice_form": slice_form,
        "readings": readings,
        "history": HistoryTable(selectors.metric_history(metric), metric=metric,
                                may_restore=access.is_administrator(request.user)),
        "plan": metric.plan,
        "metric": metric,
        "snapshot": snapshot,
        "can_enter": access.can_enter(request.user, metric),
        "can_set_target": access.can_set_target(request.user, metric),
        "trend_chart": charts.trend(metric, snapshot.series, "trend")
        if snapshot and snapshot.series else None,
        "state": selectors.aggregate_state(),
        "dashboard": metric_grid(metric, snapshot),
        **equity_context(request, metric, public_view=False),
    })
