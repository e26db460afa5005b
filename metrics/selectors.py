"""Reads that pages share, each in a constant number of queries.

Dashboards read the precomputed aggregates (MetricSnapshot, Rollup), never raw
readings; only a metric's own page lists its readings.
"""

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from . import access
from .history import metric_history  # noqa: F401 - pages read it from here
from .language import with_translations
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
from .periods import Period, next_period
from .rowformat import export_readings
from .status import is_overdue, overdue_filter


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


OUTLINE_ORDER = ("metric__priority_area__order", "metric__goal__order", "-metric__is_headline",
                 "metric__headline_order", "metric__name")


def pillar_rows(pillar, limit=None):
    """A pillar's dashboard rows in outline order (at most `limit`)."""
    rows = dashboard_rows().filter(metric__pillar=pillar).order_by(*OUTLINE_ORDER)
    return list(rows if limit is None else rows[:limit])


def pillar_status_counts(pillar):
    """How many of a pillar's metrics have each status, by priority area and goal:
    [(priority area id, goal id, status, n)], in one query."""
    return list(
        MetricSnapshot.objects.filter(is_county_wide=True, metric__pillar=pillar).order_by()
        .values_list("metric__priority_area", "metric__goal", "status")
        .annotate(n=Count("id"))
    )


def furthest_behind(pillar, limit, *, within=None):
    """The pillar's rows with a progress toward target, at most `limit` of them, those
    furthest behind the progress expected by now; in outline order. `within`: the
    snapshots to choose among (every one by default; the public view's are fewer)."""
    behind = (
        (MetricSnapshot.objects.all() if within is None else within)
        .filter(is_county_wide=True, metric__pillar=pillar, progress__isnull=False)
        .annotate(shortfall=Coalesce(F("expected"), 0.0) - F("progress"))
        .order_by("-shortfall", "metric__name").values("pk")[:limit]
    )
    return list(dashboard_rows().filter(pk__in=behind).order_by(*OUTLINE_ORDER))


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
    rows = dashboard_rows().filter(metric__plan=plan).prefetch_related("metric__owners")
    overdue = overdue_filter(plan, timezone.localdate())
    groups = {
        "off_track": rows.filter(status=Status.OFF_TRACK).order_by("metric__name"),
        "stale": rows.filter(overdue).order_by("next_due_on", "metric__name"),
        "no_data": rows.filter(status=Status.NO_DATA).order_by("metric__name"),
    }
    return {name: list(qs[:limit]) for name, qs in groups.items()}


def aggregate_state():
    return AggregateState.current()


def aggregates_version(state):
    """What every dashboard figure follows, for keying pages cached until it moves: when
    the aggregates were last rebuilt (`state`, the AggregateState), and how many metrics
    wait for a rebuild and since when. Every write path of a reading, target or
    placement marks its metric pending in its own transaction (aggregates/__init__.py
    lists them) and every rebuild moves last_rebuild_at, so a new approved value changes
    this at once, before its rebuild ("update pending") and after it. One query."""
    pending = PendingRebuild.objects.aggregate(n=Count("pk"), last=Max("requested_at"))
    return (state.last_rebuild_at, pending["n"], pending["last"])


# The same three values as SQL, so that a page's key reads them inside its own query
# (pillars/page_cache.py: one round trip for the whole key, and no ORM to compile).
def aggregates_version_sql():
    """Three select-list columns: last_rebuild_at, the pending count, the newest pending
    request (aggregates_version's parts, in its order)."""
    state, pending = AggregateState._meta.db_table, PendingRebuild._meta.db_table
    return (f"(SELECT last_rebuild_at FROM {state} WHERE id = 1), "  # noqa: S608 - model tables
            f"(SELECT COUNT(*) FROM {pending}), (SELECT MAX(requested_at) FROM {pending})")


def metric_page(plan_slug, code):
    """One metric with its place in the plan and owners, and its county-wide snapshot."""
    metric = get_object_or_404(
        Metric.objects.select_related(
            "plan", "pillar__plan", "priority_area", "goal", "program"
        ).prefetch_related("owners"),
        plan__slug=plan_slug,
        code=code,
    )
    snapshot = dashboard_rows().county_wide_of(metric)
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


def my_update_rows(user, plan=None, today=None):
    """The dashboard rows of the metrics `user` may enter, overdue first.

    Each row gets `.next_period` (the period whose value is due next, text, or None
    when its plan has no period left or is closed: `entry_period`) and `.is_overdue`
    (`status.is_overdue`: never once the plan has ended).
    """
    metrics = access.editable_metrics(user)
    if plan is not None:
        metrics = metrics.filter(plan=plan)
    rows = _sharing_plans(dashboard_rows().filter(metric__in=metrics))
    today = today or timezone.localdate()
    for row in rows:
        following = entry_period(row, today)
        row.next_period = following.text if following else None
        row.is_overdue = is_overdue(row.next_due_on, row.metric.plan, today)
    # Overdue first, then the ones never reported, then the rest by due date; last the
    # ones with nothing left to enter.
    rows.sort(key=lambda r: (r.next_period is None, not r.is_overdue, r.next_due_on is not None,
                             r.next_due_on or today, r.metric.name))
    return rows


def owned_metric_rows():
    """Dashboard rows of every metric that has owners, with the owners prefetched."""
    return _sharing_plans(
        dashboard_rows().filter(metric__owners__isnull=False).distinct()
        .prefetch_related("metric__owners")
    )


def _sharing_plans(rows):
    """The rows as a list, the metrics of one plan sharing one plan object, so that the
    plan's end (status.overdue_until) is looked up once per plan, not once per row."""
    rows, plans = list(rows), {}
    for row in rows:
        row.metric.plan = plans.setdefault(row.metric.plan_id, row.metric.plan)
    return rows


def entered_period(row):
    """The newest period of a dashboard row entered so far, approved or waiting, or None.
    A returned value is not entered (the snapshot keeps it out of `pending_period`): its
    period stays the one due until it is resubmitted."""
    entered = [Period.parse(p) for p in (row.latest_period, row.pending_period) if p]
    return max(entered, key=lambda p: (p.end, p.start)) if entered else None


def entry_period(row, today):
    """The period a row's metric is due for next: `periods.next_period` (the one rule)."""
    return next_period(row.metric, entered_period(row), today)


def returned_readings(user):
    """Readings sent back to `user` with a comment, to fix."""
    return list(
        Reading.objects.filter(entered_by=user, state=ReadingState.RETURNED)
        .select_related("metric__plan", "district", "student_group")
        .order_by("-updated_at")
    )


# --- Worklists: targets and owners ---------------------------------------------------


def _worklist_metrics(user, plan=None):
    """The metrics of `user`'s worklists: those they may set targets of (a lead's
    pillars, every one for an administrator), in open plans, not retired, in outline order."""
    metrics = (
        access.approvable_metrics(user)
        .filter(plan__closed_at__isnull=True)
        .filter(Q(retired_on__isnull=True) | Q(retired_on__gt=timezone.localdate()))
        .select_related("plan", "pillar")
        .order_by("plan__start_year", "plan__name", "pillar__order", "priority_area__order",
                  "goal__order", "name")
    )
    return metrics if plan is None else metrics.filter(plan=plan)


def metrics_without_target(user, plan=None):
    """Metrics of `user`'s pillars without a target: context figures (never judged) and
    retired metrics left out."""
    return _worklist_metrics(user, plan).filter(target_value__isnull=True, is_context=False)


def metrics_without_owner(user, plan=None):
    """Metrics of `user`'s pillars that no data steward keeps."""
    return _worklist_metrics(user, plan).filter(owners__isnull=True)


def users_with_role(role):
    """Active users holding `role` (a metrics.roles name), by name: whom a grid offers."""
    return (get_user_model().objects.filter(is_active=True, groups__name=role).distinct()
            .order_by("first_name", "last_name", "username"))


def readings_for_period(metrics, period):
    """County-wide readings of `metrics` for one period, by metric id (one query)."""
    return {
        r.metric_id: r
        for r in county_wide_readings().filter(metric__in=metrics, period=period)
    }


def approval_queue(user):
    """Readings waiting for `user`'s approval, oldest first (a queryset: pages count or
    paginate it)."""
    return (
        Reading.objects.filter(
            state=ReadingState.SUBMITTED, metric__in=access.approvable_metrics(user)
        )
        .select_related("metric__plan", "metric__pillar", "district", "student_group",
                        "entered_by")
        .order_by("updated_at", "pk")
    )


# --- Reads for reports ---


def report_metrics(plan, pillars):
    """Plan-wide metrics and the metrics of `pillars`, in report order: by pillar,
    priority area and goal, then within a level the order the metrics were entered in
    (the report's own order for fixtures loaded from it)."""
    return list(
        Metric.objects.filter(Q(pillar__isnull=True) | Q(pillar__in=pillars), plan=plan)
        .select_related("plan", "pillar", "priority_area", "goal")
        .order_by(
            "pillar__order", "priority_area__order", "goal__order", "headline_order", "pk"
        )
    )


def approved_county_readings(plan, pillars, *, until):
    """Approved county-wide readings of the plan-wide metrics and of `pillars` whose
    period ends by `until`, each metric's oldest first."""
    return list(
        county_wide_readings().filter(
            Q(metric__pillar__isnull=True) | Q(metric__pillar__in=pillars),
            metric__plan=plan, approved_value__isnull=False, period_end__lte=until,
        )
        .only(
            "id", "metric_id", "period", "period_start", "period_end", "approved_value",
            "approved_qualifier", "is_derived", "value", "numerator", "denominator",
            "approved_at", "publication",
        ).order_by("metric_id", "period_end", "period_start")
    )


def approved_district_readings(pairs):
    """Approved readings of whole districts (all students) for (metric id, period) pairs,
    each metric's largest value first."""
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
              "value", "numerator", "denominator", "publication",
              *with_translations("district__name"))
        .order_by("metric_id", "-approved_value", "district__name")
    )


def approved_export_rows(plan, *, since, until, pillars=None):
    """Approved readings (every district and student group) of the plan-wide metrics
    and of `pillars` (all when None) within since..until, with what a row of the
    shared row format needs, plan-wide metrics first on every database (NULLs sort
    first on SQLite and last on PostgreSQL otherwise)."""
    readings = export_readings(plan).filter(period_start__gte=since, period_end__lte=until)
    if pillars is not None:
        readings = readings.filter(Q(metric__pillar__in=pillars) | Q(metric__pillar__isnull=True))
    return readings.order_by(
        F("metric__pillar__order").asc(nulls_first=True),
        F("metric__priority_area__order").asc(nulls_first=True),
        F("metric__goal__order").asc(nulls_first=True),
        "metric__code", "period_end", "district__name", "student_group__name",
    )


def newest_approved_period_end(plan):
    """The last day of the newest period of the plan with an approved value (of any
    district or student group), or None; read from the snapshots, one a slice, whose
    latest period is the slice's newest approved one (aggregates.rebuild)."""
    return MetricSnapshot.objects.filter(metric__plan=plan).aggregate(
        newest=Max("latest_period_end"))["newest"]


# --- What the dashboards say of their data (issue 10) ---


# The dashboards show county-wide figures, so what they say of their data reads the
# county-wide snapshots (one a metric), which the rebuild keeps from the metric's own
# approved readings: never the readings themselves (the guide's rule; reading every
# approved value of the plan scanned all 4.32 M readings of the large bench, issue 14).
# A continued metric's earlier-plan points live only in its series, so they never count.


def pillars_last_approved(plan):
    """{pillar id: when it last received an approved county-wide value} for `plan`, in
    one query. Figures loaded from a published report count from its publication
    (loading.publication_time); a reading without an approval time, from when it was
    saved (MetricSnapshot.last_approved_at)."""
    return dict(
        MetricSnapshot.objects.county_wide()
        .filter(metric__plan=plan, last_approved_at__isnull=False)
        .order_by().values("metric__pillar")
        .annotate(last=Max("last_approved_at"))
        .values_list("metric__pillar", "last")
    )


def latest_approved_period(plan, pillar=None, *, metrics=None):
    """The newest period of `plan`'s (or `pillar`'s) approved county-wide figures,
    "2023-24", or None; one query. Of periods ending the same day the shortest (the
    later start) is the newer, as the rebuild orders readings. `metrics`: only these
    (the public view's)."""
    rows = MetricSnapshot.objects.county_wide().filter(
        metric__plan=plan, latest_period_end__isnull=False)
    if pillar is not None:
        rows = rows.filter(metric__pillar=pillar)
    if metrics is not None:
        rows = rows.filter(metric__in=metrics)
    newest = rows.order_by("-latest_period_end").values("latest_period_end")[:1]
    periods = set(rows.filter(latest_period_end=Subquery(newest))
                  .values_list("latest_period", flat=True).distinct())
    return max(periods, key=lambda text: Period.parse(text).start, default=None)


def plan_worklist_counts(plan):
    """How long the plan's worklists are, plan-wide: tracked metrics without a target
    (context figures and retired metrics left out) and values waiting for approval;
    two queries."""
    today = timezone.localdate()
    return {
        "targets_missing": Metric.objects.filter(
            plan=plan, is_context=False, target_value__isnull=True
        ).filter(Q(retired_on__isnull=True) | Q(retired_on__gt=today)).count(),
        "to_approve": Reading.objects.filter(
            metric__plan=plan, state=ReadingState.SUBMITTED).count(),
    }
