"""Reads that pages share, each in a constant number of queries.

Dashboards read the precomputed aggregates (MetricSnapshot, Rollup), never raw
readings; only a metric's own page lists its readings.
"""

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from . import access
from .models import (
    AggregateState,
    District,
    Metric,
    MetricSnapshot,
    PendingRebuild,
    Reading,
    ReadingState,
    Rollup,
    Status,
    StudentGroup,
)
from .periods import Period


def county_wide_readings():
    """Readings for all districts and all students: the figures a page shows by default."""
    return Reading.objects.filter(district__is_total=True, student_group__is_total=True)


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
    """What needs attention: off-track, overdue and no-data metrics, a few of each."""
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
    """One metric with its place in the plan and owners, and its county-wide snapshot."""
    metric = get_object_or_404(
        Metric.objects.select_related(
            "plan", "pillar__plan", "priority_area", "goal", "program"
        ).prefetch_related("owners"),
        plan__slug=plan_slug,
        code=code,
    )
    snapshot = dashboard_rows().filter(metric=metric).first()
    return metric, snapshot


def metric_readings(metric, *, district=None, student_group=None):
    """A metric's readings for one district and student group (the whole by default),
    newest first. A metric may hold tens of thousands of readings across districts
    and groups: a page shows one slice, paginated."""
    return (
        Reading.objects.filter(
            metric=metric,
            district=district or District.objects.total(),
            student_group=student_group or StudentGroup.objects.total(),
        )
        .select_related("district", "student_group")
        .order_by("-period_end", "-period_start")
    )


def search(rows, text):
    """Free-text search over a metric's code, name, definition and callout label."""
    return rows.filter(
        Q(metric__name__icontains=text) | Q(metric__code__icontains=text)
        | Q(metric__definition__icontains=text) | Q(metric__headline_label__icontains=text)
    )


# --- Data entry ----------------------------------------------------------------


def my_update_rows(user, plan=None):
    """The dashboard rows of the metrics `user` may enter, overdue first.

    Each row gets `.next_period` (the period whose reading is due next) and
    `.is_overdue`.
    """
    metrics = access.editable_metrics(user)
    if plan is not None:
        metrics = metrics.filter(plan=plan)
    rows = list(dashboard_rows().filter(metric__in=metrics))
    today = timezone.localdate()
    for row in rows:
        row.next_period = next_period(row, today)
        row.is_overdue = bool(row.next_due_on and row.next_due_on < today)
    # Overdue first, then the ones never reported, then the rest by due date.
    rows.sort(key=lambda r: (not r.is_overdue, r.next_due_on is not None,
                             r.next_due_on or today, r.metric.name))
    return rows


def owned_metric_rows():
    """Dashboard rows of every metric that has owners, with the owners prefetched."""
    return list(
        dashboard_rows().filter(metric__owners__isnull=False).distinct()
        .prefetch_related("metric__owners")
    )


def next_period(row, today):
    """The period whose reading is due next: after the latest one, or the current one."""
    if row.latest_period or row.pending_period:
        latest = max(
            (Period.parse(p) for p in (row.latest_period, row.pending_period) if p),
            key=lambda p: p.end,
        )
        return latest.next().text
    frequency = row.metric.frequency
    year = today.year if today.month >= 7 else today.year - 1
    if frequency == "monthly":
        return Period.month(today.year, today.month).text
    if frequency == "quarterly":
        return f"{Period.school_year(year)} Q{(today.month - 7) % 12 // 3 + 1}"
    return Period.school_year(year).text


def returned_readings(user):
    """Readings sent back to `user` with a comment, to fix."""
    return list(
        Reading.objects.filter(entered_by=user, state=ReadingState.DRAFT)
        .exclude(review_comment="")
        .select_related("metric__plan", "district", "student_group")
        .order_by("-updated_at")
    )


def readings_for_period(metrics, period):
    """County-wide readings of `metrics` for one period, by metric id (one query)."""
    return {
        r.metric_id: r
        for r in county_wide_readings().filter(metric__in=metrics, period=period)
    }


def approval_queue(user):
    """Readings waiting for `user`'s approval, oldest first."""
    return list(
        Reading.objects.filter(
            state=ReadingState.SUBMITTED, metric__in=access.approvable_metrics(user)
        )
        .select_related("metric__plan", "metric__pillar", "district", "student_group",
                        "entered_by")
        .order_by("updated_at")
    )


def metric_history(metric, limit=100):
    """Every recorded change to the metric and its readings, newest first, with old → new.

    Two queries: the metric's history and its readings' history; diffs are taken
    between consecutive records of the same object.
    """
    # Bounded: a metric may have thousands of readings; the newest changes matter here.
    reading_records = sorted(
        Reading.history.filter(metric_id=metric.pk).select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit * 3],
        key=lambda r: (r.history_date, r.history_id),
    )
    metric_records = sorted(
        metric.history.select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit * 3],
        key=lambda r: (r.history_date, r.history_id),
    )
    entries = []
    for records, fields, kind in (
        (reading_records, ("period", "value", "qualifier", "state", "approved_value", "note",
                           "evidence_url"), "reading"),
        (metric_records, ("name", "definition", "unit", "target_value", "target_period",
                          "baseline_value", "baseline_period", "on_track_threshold",
                          "at_risk_threshold"), "metric"),
    ):
        previous = {}
        for record in records:
            before = previous.get(record.id)
            changes = [
                (name, getattr(before, name) if before else None, getattr(record, name))
                for name in fields
                if before is None or getattr(before, name) != getattr(record, name)
            ]
            if before is None:
                changes = [c for c in changes if c[2] not in (None, "")]
            entries.append({"record": record, "kind": kind, "changes": changes,
                            "type": record.get_history_type_display()})
            previous[record.id] = record
    entries.sort(key=lambda e: e["record"].history_date, reverse=True)
    return entries[:limit]
