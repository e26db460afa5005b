"""Reads for the annual report and its exports, each in a constant number of queries.

The report uses approved values only (`approved_value IS NOT NULL`); statuses and
roll-ups come from the precomputed dashboard aggregates.
"""

import datetime

from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from metrics.models import Metric, MetricSnapshot, Reading, Rollup
from metrics.rowformat import export_readings
from pillars.models import Pillar, StrategicPlan

from .models import ExportJob, ExportState, Highlight


def year_bounds(school_year):
    """First and last day of a school year "2023-24" (1 July to 30 June)."""
    start = int(school_year[:4])
    return datetime.date(start, 7, 1), datetime.date(start + 1, 6, 30)


def prior_year(school_year):
    start = int(school_year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def plans():
    """Plans a report can be made of: real ones first, the synthetic demo last."""
    return StrategicPlan.objects.order_by("is_synthetic", "-start_year", "name")


def report_plan(slug, school_year=None):
    """The plan with its pillars in order; 404 when the school year is not in the plan."""
    plan = get_object_or_404(
        StrategicPlan.objects.prefetch_related(
            Prefetch("pillars", queryset=Pillar.objects.order_by("order"))
        ),
        slug=slug,
    )
    if school_year is not None and school_year not in plan.school_years:
        raise Http404(f"{school_year} is not a school year of {plan}.")
    return plan


def report_metrics(plan, pillars):
    """Plan-wide metrics and the metrics of `pillars`, in report order."""
    return list(
        Metric.objects.filter(Q(pillar__isnull=True) | Q(pillar__in=pillars), plan=plan)
        .select_related("pillar", "priority_area", "goal")
        # Within a level, the order the metrics were entered in (the report's own order
        # for fixtures loaded from it).
        .order_by(
            "pillar__order", "priority_area__order", "goal__order", "headline_order", "pk"
        )
    )


def county_readings(plan, pillars, years):
    """Approved county-wide, all-students readings of those metrics within `years`
    (consecutive school years, oldest first)."""
    first, _ = year_bounds(years[0])
    _, last = year_bounds(years[-1])
    return list(
        Reading.objects.filter(
            Q(metric__pillar__isnull=True) | Q(metric__pillar__in=pillars),
            metric__plan=plan,
            approved_value__isnull=False,
            district__is_total=True,
            student_group__is_total=True,
            period_start__gte=first,
            period_end__lte=last,
        )
        .only(
            "id", "metric_id", "period", "period_start", "period_end", "approved_value",
            "approved_qualifier", "is_derived",
        )
        .order_by("metric_id", "period_end", "period_start")
    )


def district_readings(pairs, limit_per_metric=None):
    """Approved readings of whole districts (all students) for (metric id, period) pairs."""
    if not pairs:
        return []
    match = Q()
    for metric_id, period in pairs:
        match |= Q(metric_id=metric_id, period=period)
    return list(
        Reading.objects.filter(
            match, approved_value__isnull=False, district__is_total=False,
            student_group__is_total=True,
        )
        .select_related("district")
        .only("id", "metric_id", "period", "approved_value", "approved_qualifier",
              "district__name")
        .order_by("metric_id", "-approved_value", "district__name")
    )


def statuses(plan):
    """On-track status of each metric of the plan (county-wide), keyed by metric id."""
    return dict(
        MetricSnapshot.objects.filter(metric__plan=plan, is_county_wide=True)
        .values_list("metric_id", "status")
    )


def pillar_rollups(plan):
    return {
        rollup.pillar_id: rollup
        for rollup in Rollup.objects.filter(plan=plan, level=Rollup.Level.PILLAR)
    }


def highlights(plan, school_year):
    """The highlights of a year keyed by pillar id (None: the introduction)."""
    return {
        h.pillar_id: h
        for h in Highlight.objects.filter(plan=plan, school_year=school_year)
        .select_related("updated_by")
    }


def highlight_for(plan, pillar, school_year):
    return Highlight.objects.filter(plan=plan, pillar=pillar, school_year=school_year).first()


def export_rows(plan, years, pillars=None):
    """Approved readings (every district and student group) behind the report: those
    of the plan-wide metrics and of `pillars` (all when None) within `years`."""
    first, _ = year_bounds(years[0])
    _, last = year_bounds(years[-1])
    readings = export_readings(plan).filter(period_start__gte=first, period_end__lte=last)
    if pillars is not None:
        readings = readings.filter(Q(metric__pillar__in=pillars) | Q(metric__pillar__isnull=True))
    # The shared export order, with plan-wide metrics first on every database (NULLs
    # sort first on SQLite and last on PostgreSQL otherwise).
    return readings.order_by(
        F("metric__pillar__order").asc(nulls_first=True),
        F("metric__priority_area__order").asc(nulls_first=True),
        F("metric__goal__order").asc(nulls_first=True),
        "metric__code", "period_end", "district__name", "student_group__name",
    )


def jobs_of(user, limit=10):
    return list(
        ExportJob.objects.visible_to(user).filter(user=user)
        .select_related("plan").prefetch_related("pillars")[:limit]
    )


def job_for(user, pk):
    """An export job `user` may see, or 404."""
    return get_object_or_404(
        ExportJob.objects.visible_to(user).select_related("plan", "user")
        .prefetch_related(Prefetch("pillars", queryset=Pillar.objects.order_by("order"))),
        pk=pk,
    )


def expired_jobs(now):
    return ExportJob.objects.filter(expires_at__lte=now).exclude(state=ExportState.EXPIRED)


def latest_reported_year(plan):
    """The school year of the plan's newest approved reading (or its last year)."""
    newest = (
        Reading.objects.filter(metric__plan=plan, approved_value__isnull=False)
        .order_by("-period_end").values_list("period_end", flat=True).first()
    )
    if newest is None:
        return plan.school_years[-1]
    start = newest.year if newest.month >= 7 else newest.year - 1
    year = f"{start}-{(start + 1) % 100:02d}"
    return year if year in plan.school_years else plan.school_years[-1]
