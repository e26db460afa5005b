"""The public view of a metric page and its CSV (issue 17): approved figures only, each
through the publication rule (metrics.public); nothing staff-only."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from pillars import charts

from .. import access, public, selectors
from ..dashboard import metric_grid
from ..privacy import MARK
from ..rowformat import QUALIFIER_TEXT, csv_bytes
from ..units import plain_number
from .equity import equity_context

# A public CSV holds at most this many readings; `?page=2` and on hold the rest, and the
# file's last row (and its Link header) says where the next page is.
CSV_ROWS = 10_000
CSV_HEADER = ["period", "value", "qualifier", "district", "student_group", "footnote"]


def metric_page(request, plan, code):
    """The public metric page: status, latest figure and change, the trend of published
    county-wide figures with its data table, the Dashboard placement, and the CSV link."""
    metric = public.public_metric(plan, code)
    snapshot = selectors.dashboard_rows().county_wide_of(metric)
    if snapshot is not None:
        public.public_row(snapshot, metric.plan)
    series = public.public_series(metric)
    shown = [[figure.period, figure.value] for figure in series if figure.value is not None]
    return render(request, "metrics/metric_detail.html", {
        # By student group and by district, through the same rule (issue 16).
        **equity_context(request, metric, public_view=True),
        "public_view": True,
        "plan": metric.plan,
        "metric": metric,
        "snapshot": snapshot,
        "series": series,
        "trend_chart": charts.trend(metric, shown, "trend") if shown else None,
        "footnotes": list(dict.fromkeys(f.footnote for f in series if f.footnote)),
        "state": selectors.aggregate_state(),
        "dashboard": metric_grid(metric, snapshot, public_view=True),
        "csv_url": reverse("metrics:public_csv", args=[metric.plan.slug, metric.code]),
    })


def _page(request):
    """The page number asked for: 1 for anything that is not a plain positive number."""
    text = request.GET.get("page", "")
    number = int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 1
    return max(number, 1)


@require_safe
@access.staff_or_public
def metric_csv(request, plan, code):
    """The public CSV of one metric: every approved reading (districts and student
    groups), a suppressed one as "*" with its footnote; formula-safe (csv_bytes). Staff
    may download it too, to see what the public sees (or would, before the plan is
    public)."""
    metric = public.public_metric(plan, code, preview=not request.public_view)
    page = _page(request)
    start = (page - 1) * CSV_ROWS
    readings = list(public.csv_readings(metric)[start:start + CSV_ROWS + 1])
    more = len(readings) > CSV_ROWS
    # A data file stays English whatever the page's language (README "Languages"): its
    # headings, names and footnotes read back the same.
    with translation.override("en"):
        rows = [_csv_row(reading, metric.plan) for reading in readings[:CSV_ROWS]]
    next_url = f"{request.path}?page={page + 1}"
    if more:
        rows.append({"period": f"More readings: {request.build_absolute_uri(next_url)}"})
    mark = "-SYNTHETIC" if metric.plan.is_synthetic else ""
    name = f"{metric.plan.slug}-{metric.code}{mark}{'' if page == 1 else f'-{page}'}.csv"
    response = HttpResponse(csv_bytes(CSV_HEADER, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    if more:
        response["Link"] = f'<{next_url}>; rel="next"'
    return response


def _csv_row(reading, plan):
    published = reading.publication == public.PUBLISHED
    return {
        "period": reading.period,
        "value": plain_number(reading.approved_value) if published else MARK,
        "qualifier": QUALIFIER_TEXT.get(reading.approved_qualifier, "") if published else "",
        "district": reading.district.name,
        "student_group": reading.student_group.name,
        "footnote": public.footnote(reading.publication, plan),
    }
