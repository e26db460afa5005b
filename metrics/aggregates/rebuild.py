"""Rebuild the dashboard aggregates from readings, set-based: one code path.

`rebuild(metric_ids)` rebuilds the metrics whose readings or target changed and the
roll-ups above them; `rebuild()` rebuilds everything. Either replaces its rows inside
one transaction, so pages never see a half-built state, and running either twice
gives the same rows. Nothing here queues anything: that is `queue.py`.
"""

import time
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from pillars.models import Goal, Pillar, PriorityArea

from ..models import (
    AggregateState,
    District,
    Metric,
    MetricSnapshot,
    PendingRebuild,
    Reading,
    ReadingState,
    Rollup,
    StudentGroup,
)
from ..selectors import county_wide_readings
from ..status import is_overdue, judge_metric, next_due_on, rollup_status
from ..units import plain_number

# Latest and previous approved reading of every metric x district x student group,
# in one statement: the database does the work, no row of readings travels to Python.
SNAPSHOT_SQL = """
INSERT INTO {snapshot} (
    metric_id, district_id, student_group_id, is_county_wide,
    latest_period, latest_period_end, latest_value, latest_qualifier,
    previous_period, previous_value, change, pending_qualifier, pending_period,
    status, status_reason, series
)
SELECT metric_id, district_id, student_group_id,
       (district_id = %s AND student_group_id = %s),
       MAX(CASE WHEN rn = 1 THEN period END),
       MAX(CASE WHEN rn = 1 THEN period_end END),
       MAX(CASE WHEN rn = 1 THEN approved_value END),
       COALESCE(MAX(CASE WHEN rn = 1 THEN approved_qualifier END), ''),
       COALESCE(MAX(CASE WHEN rn = 2 THEN period END), ''),
       MAX(CASE WHEN rn = 2 THEN approved_value END),
       MAX(CASE WHEN rn = 1 THEN approved_value END)
           - MAX(CASE WHEN rn = 2 THEN approved_value END),
       '', '', '', '', '[]'
FROM (
    SELECT metric_id, district_id, student_group_id, period, period_end, approved_value,
           approved_qualifier,
           ROW_NUMBER() OVER (
               PARTITION BY metric_id, district_id, student_group_id
               ORDER BY period_end DESC, period_start DESC
           ) AS rn
    FROM {reading}
    WHERE approved_value IS NOT NULL {where}
) ranked
WHERE rn <= 2
GROUP BY metric_id, district_id, student_group_id
"""


def rebuild(metric_ids=None):
    """Rebuild the aggregates of `metric_ids` (and the roll-ups above them), or of all."""
    started = timezone.now()
    clock = time.perf_counter()
    full = metric_ids is None
    ids = None if full else sorted(set(metric_ids))
    with transaction.atomic():
        metrics = Metric.objects.select_related("plan")
        if not full:
            metrics = metrics.filter(pk__in=ids)
        metrics = {m.pk: m for m in metrics}
        ids = None if full else [pk for pk in ids if pk in metrics]  # deleted ones are gone
        _rebuild_snapshots(metrics, ids)
        _rebuild_rollups({m.plan_id for m in metrics.values()}, metrics.values(), full)
        PendingRebuild.objects.filter(
            requested_at__lte=started, **({} if full else {"metric_id__in": metric_ids})
        ).delete()
        state = AggregateState.current()
        state.last_rebuild_at = timezone.now()
        if full:
            state.last_full_rebuild_at = state.last_rebuild_at
            state.last_full_rebuild_seconds = time.perf_counter() - clock
        state.save()
    return len(metrics)


def _rebuild_snapshots(metrics, ids):
    snapshots = MetricSnapshot.objects.all()
    where, params = "", []
    if ids is not None:
        snapshots = snapshots.filter(metric_id__in=ids)
        where = f"AND metric_id IN ({', '.join(['%s'] * len(ids))})" if ids else "AND 1 = 0"
        params = list(ids)
    snapshots.delete()
    district, group = District.objects.total(), StudentGroup.objects.total()
    sql = SNAPSHOT_SQL.format(
        snapshot=MetricSnapshot._meta.db_table, reading=Reading._meta.db_table, where=where
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling this one statement costs PostgreSQL's JIT ~0.7 s, more than it saves.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [district.pk, group.pk, *params])

    county = {
        s.metric_id: s
        for s in MetricSnapshot.objects.filter(
            is_county_wide=True, **({} if ids is None else {"metric_id__in": ids})
        )
    }
    missing = [
        MetricSnapshot(metric_id=pk, district=district, student_group=group, is_county_wide=True)
        for pk in metrics
        if pk not in county
    ]
    for snap in MetricSnapshot.objects.bulk_create(missing):
        county[snap.metric_id] = snap
    series = _county_wide_series(ids)
    pending = _county_wide_pending(ids)
    returned = _county_wide_returned(ids)
    for pk, snap in county.items():
        metric = metrics[pk]
        judgement = judge_metric(metric, snap.latest_value, snap.latest_period, series=series[pk])
        snap.status = judgement.status
        snap.status_reason = judgement.reason
        snap.progress = judgement.progress
        snap.expected = judgement.expected
        snap.next_due_on = next_due_on(metric, snap.latest_period)
        snap.series = series.get(pk, [])
        waiting = pending.get(pk)
        snap.pending_period, snap.pending_value, snap.pending_qualifier = (
            waiting if waiting else ("", None, "")
        )
        snap.returned_period, snap.returned_comment = returned.get(pk, ("", ""))
    MetricSnapshot.objects.bulk_update(
        county.values(),
        ["status", "status_reason", "progress", "expected", "next_due_on", "series",
         "pending_period", "pending_value", "pending_qualifier", "returned_period",
         "returned_comment"],
        batch_size=500,
    )


def _county_wide(ids):
    readings = county_wide_readings()
    return readings if ids is None else readings.filter(metric_id__in=ids)


def _county_wide_series(ids):
    """Approved county-wide values per metric, oldest first: what a trend chart draws."""
    series = defaultdict(list)
    for metric_id, period, value in (
        _county_wide(ids).filter(approved_value__isnull=False)
        .order_by("metric_id", "period_end", "period_start")
        .values_list("metric_id", "period", "approved_value")
    ):
        series[metric_id].append([period, plain_number(value)])
    return series


def _county_wide_pending(ids):
    """The newest county-wide value awaiting approval, per metric. A returned value is
    not pending (it waits for its steward, not for a lead): see `_county_wide_returned`."""
    pending = {}
    for metric_id, period, value, qualifier in (
        _county_wide(ids).exclude(state__in=(ReadingState.APPROVED, ReadingState.RETURNED))
        .order_by("metric_id", "period_end", "period_start")
        .values_list("metric_id", "period", "value", "qualifier")
    ):
        pending[metric_id] = (period, value, qualifier)  # the last one is the newest
    return pending


def _county_wide_returned(ids):
    """The newest county-wide value a lead returned, per metric: (period, comment)."""
    returned = {}
    for metric_id, period, comment in (
        _county_wide(ids).filter(state=ReadingState.RETURNED)
        .order_by("metric_id", "period_end", "period_start")
        .values_list("metric_id", "period", "review_comment")
    ):
        returned[metric_id] = (period, comment)
    return returned


def _rebuild_rollups(plan_ids, changed_metrics, full):
    """Recompute roll-ups of every node above the changed metrics (all nodes when full)."""
    if full:
        Rollup.objects.all().delete()
        plan_ids = set(Metric.objects.values_list("plan_id", flat=True).distinct()) | set(
            plan_ids
        )
    rows = (
        MetricSnapshot.objects.county_wide()
        .filter(metric__plan_id__in=plan_ids)
        .values_list(
            "metric_id", "metric__plan_id", "metric__pillar_id", "metric__priority_area_id",
            "metric__goal_id", "status", "next_due_on",
        )
    )
    today, plans = timezone.localdate(), {m.plan_id: m.plan for m in changed_metrics}
    nodes = defaultdict(lambda: {"counts": defaultdict(int), "ids": defaultdict(list), "stale": 0})
    for metric_id, plan_id, pillar_id, area_id, goal_id, status, due in rows:
        for key in _ancestors(plan_id, pillar_id, area_id, goal_id):
            node = nodes[key]
            node["counts"][status] += 1
            node["ids"][status].append(metric_id)
            node["stale"] += is_overdue(due, plans[plan_id], today)
    wanted = set(nodes) if full else {
        key
        for m in changed_metrics
        for key in _ancestors(m.plan_id, m.pillar_id, m.priority_area_id, m.goal_id)
    }
    if not full:
        for level, pk in wanted:
            # Each level's rollup points at its node through the field of the same name.
            Rollup.objects.filter(level=level, **{level: pk}).delete()
    plan_of = _plan_of_nodes(wanted)
    rollups = []
    for level, pk in sorted(wanted):
        node = nodes.get((level, pk), {"counts": {}, "ids": {}, "stale": 0})
        counts = dict(node["counts"])
        status, share, reason = rollup_status(counts)
        place = {"plan_id": plan_of[(level, pk)], f"{level}_id": pk}
        rollups.append(Rollup(
            level=level, **place,
            metric_count=sum(counts.values()), counts=counts,
            metrics_by_status={k: sorted(v) for k, v in node["ids"].items()},
            share_on_track=share, status=status, status_reason=reason,
            stale_count=node["stale"],
        ))
    Rollup.objects.bulk_create(rollups)


def _ancestors(plan_id, pillar_id, area_id, goal_id):
    keys = [("plan", plan_id)]
    if pillar_id:
        keys.append(("pillar", pillar_id))
    if area_id:
        keys.append(("priority_area", area_id))
    if goal_id:
        keys.append(("goal", goal_id))
    return keys


def _plan_of_nodes(keys):
    by_level = defaultdict(list)
    for level, pk in keys:
        by_level[level].append(pk)
    plan_of = {("plan", pk): pk for pk in by_level["plan"]}
    for level, model, path in (
        ("pillar", Pillar, "plan_id"),
        ("priority_area", PriorityArea, "pillar__plan_id"),
        ("goal", Goal, "priority_area__pillar__plan_id"),
    ):
        if by_level[level]:
            for pk, plan_id in model.objects.filter(pk__in=by_level[level]).values_list("pk", path):
                plan_of[(level, pk)] = plan_id
    return plan_of
