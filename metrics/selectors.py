"""Reads of metrics and readings that pages share, each in a constant number of queries."""

from django.db.models import OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404

from .models import Metric, Reading


def county_wide_readings():
    """Readings for all districts and all students: the figures a page shows by default."""
    return Reading.objects.filter(district__is_total=True, student_group__is_total=True)


def with_latest(metrics):
    """Annotate metrics with their latest county-wide value, qualifier and period."""
    latest = county_wide_readings().filter(metric=OuterRef("pk")).order_by("-period_start")
    return metrics.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_qualifier=Subquery(latest.values("qualifier")[:1]),
        latest_period=Subquery(latest.values("period")[:1]),
    )


def headline_metrics(plan):
    """The plan's big-number callouts with their latest figure, in report order."""
    return list(with_latest(Metric.objects.filter(plan=plan).headlines()).select_related("plan"))


def pillar_metrics(pillar):
    """Every metric of a pillar with its latest figure, in a single query."""
    return list(
        with_latest(Metric.objects.filter(pillar=pillar))
        .select_related("plan", "program")
        .order_by("priority_area__order", "goal__order", "-is_headline", "headline_order", "name")
    )


def plan_wide_metrics(plan):
    metrics = Metric.objects.filter(plan=plan, pillar__isnull=True).select_related("plan")
    return list(with_latest(metrics).order_by("name"))


def metric_with_readings(plan_slug, code):
    """One metric, its place in the plan and all its readings (newest first)."""
    readings = Reading.objects.select_related("district", "student_group", "entered_by")
    return get_object_or_404(
        Metric.objects.select_related(
            "plan", "pillar__plan", "priority_area", "goal", "program"
        ).prefetch_related(
            Prefetch("readings", queryset=readings.order_by("-period_start", "district__name",
                                                            "student_group__name")),
            "owners",
        ),
        plan__slug=plan_slug,
        code=code,
    )
