"""Reads that pages share, each in a constant number of queries.

Dashboards read the precomputed aggregates (MetricSnapshot, Rollup), never raw
readings; only a metric's own page lists its readings.
"""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import AggregateState, Metric, MetricSnapshot, PendingRebuild, Reading, Rollup, Status


def dashboard_rows():
    """County-wide snapshot rows (one per metric) with what a dashboard row shows."""
    return (
        MetricSnapshot.objects.filter(is_county_wide=True)
        .select_related(
            "metric__plan", "metric__pillar", "metric__priority_area", "metric__goal",
            "metric__program",
        )
        .annotate(is_pending=Exists(PendingRebuild.objects.filter(metric_id=OuterRef("metric_id"))))
    )


def pillar_rows(pillar):
    return list(
        dashboard_rows()
        .filter(metric__pillar=pillar)
        .order_by("metric__priority_area__order", "metric__goal__order", "-metric__is_headline",
                  "metric__headline_order", "metric__name")
    )


def plan_wide_rows(plan):
    return list(
        dashboard_rows().filter(metric__plan=plan, metric__pillar__isnull=True)
        .order_by("metric__name")
    )


def headline_rows(plan):
    """The plan's big-number callouts with their latest figure, in report order."""
    return list(
        dashboard_rows()
        .filter(metric__plan=plan, metric__is_headline=True)
        .order_by("metric__pillar__order", "metric__headline_order")
    )


def rollups(plan):
    """Every roll-up of the plan, keyed by (level, id of the plan/pillar/area/goal)."""
    result = {}
    for rollup in Rollup.objects.filter(plan=plan):
        node = {"plan": rollup.plan_id, "pillar": rollup.pillar_id,
                "priority_area": rollup.priority_area_id, "goal": rollup.goal_id}[rollup.level]
        result[(rollup.level, node)] = rollup
    return result


def attention(plan, limit=8):
    """What needs attention: off-track, overdue and no-data metrics, with their total counts."""
    rows = dashboard_rows().filter(metric__plan=plan)
    today = timezone.localdate()
    groups = {
        "off_track": rows.filter(status=Status.OFF_TRACK).order_by("metric__name"),
        "stale": rows.filter(next_due_on__lt=today).order_by("next_due_on", "metric__name"),
        "no_data": rows.filter(status=Status.NO_DATA).order_by("metric__name"),
    }
    return {name: list(qs[:limit]) for name, qs in groups.items()}


def aggregate_state():
    return AggregateState.current()


def metric_page(plan_slug, code):
    """One metric, its county-wide snapshot and all its readings (newest first)."""
    readings = Reading.objects.select_related("district", "student_group").order_by(
        "-period_end", "-period_start", "district__name", "student_group__name"
    )
    metric = get_object_or_404(
        Metric.objects.select_related(
            "plan", "pillar__plan", "priority_area", "goal", "program"
        ).prefetch_related(Prefetch("readings", queryset=readings), "owners"),
        plan__slug=plan_slug,
        code=code,
    )
    snapshot = dashboard_rows().filter(metric=metric).first()
    return metric, snapshot


def search(rows, text):
    """Free-text search over a metric's code, name, definition and callout label."""
    return rows.filter(
        Q(metric__name__icontains=text) | Q(metric__code__icontains=text)
        | Q(metric__definition__icontains=text) | Q(metric__headline_label__icontains=text)
    )
