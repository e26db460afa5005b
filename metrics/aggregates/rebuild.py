"""Rebuild the dashboard aggregates from readings, set-based: one code path.

`rebuild()` rebuilds everything; `rebuild(metric_ids)` the metrics whose target or
placement changed (every slice) and the roll-ups above them; `rebuild(slices=...)`
only the metric x district x student group slices whose readings changed, and the
roll-ups above a metric only when its county-wide row's status or due date moved.
Each runs inside one transaction, so pages never see a half-built state, and running
any twice gives the same rows. Nothing here queues anything: that is `queue.py`.

On PostgreSQL one statement computes the snapshot rows of the scope (the staging
result, a materialised CTE) and writes only what changed: an upsert whose update is
skipped when nothing differs, and a delete of the rows whose slice has no approved
value any more. SQLite replaces the scope's rows (delete, insert): same rows. The
statement's source holds the approved readings and the all-districts figures no one
reported, computed from the districts' (`county.py`): a district's slice brings its
all-districts slice into scope. County-wide rows (one per metric) are judged in Python
by `judge_metric`, the other slices by `slices.judge_slices` (only those that moved);
roll-ups by `rollup_status`. County-wide and roll-up reasons are written once per
language of the interface (`_in_each_language`); the rest of a rebuild runs in English,
whichever page's request ran it.
"""

import json
import time
from collections import defaultdict
from decimal import Decimal
from functools import partial
from operator import attrgetter, itemgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from modeltranslation.utils import build_localized_fieldname

from pillars.models import Goal, Pillar, PriorityArea

from ..models import (
    AggregateState,
    District,
    Metric,
    MetricSnapshot,
    PendingRebuild,
    PendingSlice,
    Publication,
    Reading,
    ReadingState,
    Rollup,
    StudentGroup,
)
from ..selectors import county_wide_readings
from ..status import is_overdue, judge_metric, next_due_on, rollup_status
from ..units import Unit, plain_number
from .continued import continuation_links, continuing_metrics, earlier_metrics, with_earlier_points
from .county import approved_sql, scope_sql, with_county_slices
from .slices import judge_slices
from .sql import (
    FRESH_SQL,
    KEY,
    SERIES_SQL,
    SLICE_COLUMNS,
    SQLITE_SERIES_SQL,
    SQLITE_SQL,
    UPSERT_SQL,
)

# More changed slices of one metric than this in one rebuild: rebuild the whole metric
# (one range scan beats thousands of single-slice lookups).
SLICES_PER_METRIC = 200
SLICES_IN_ALL = 400



def rebuild(metric_ids=None, slices=None):
    """Rebuild the aggregates of `metric_ids` (every slice) and of `slices` (triples
    metric, district, student group), with the roll-ups above them; of all when neither
    is given. Returns the number of metrics touched."""
    started = timezone.now()
    clock = time.perf_counter()
    full = metric_ids is None and slices is None
    ids = set(metric_ids or ())
    wanted = {(int(m), int(d), int(g)) for m, d, g in (slices or ())}
    per_metric = defaultdict(int)
    for m, _, _ in wanted:
        per_metric[m] += 1
    many = len(wanted) > SLICES_IN_ALL  # bounds the statement (SQLite's expression depth)
    ids |= {m for m, n in per_metric.items() if many or n > SLICES_PER_METRIC}
    wanted = {s for s in wanted if s[0] not in ids}
    with transaction.atomic(), translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        district, group = District.objects.total(), StudentGroup.objects.total()
        # A district's figures make its all-districts figure where no one reported one.
        wanted = {s for s in with_county_slices(wanted, district.pk) if s[0] not in ids}
        links = continuation_links()
        # Ordered by id: the default order joins the plan's pillars (a rebuild needs none).
        metrics = Metric.objects.select_related("plan").order_by("pk")
        if not full:
            judged = ids | {m for m, d, g in wanted if d == district.pk and g == group.pk}
            # The trends that show these metrics' county-wide readings are rebuilt too.
            judged |= continuing_metrics(judged, links)
            metrics = metrics.filter(pk__in=judged | {s[0] for s in wanted})
        metrics = {m.pk: m for m in metrics}
        if full:
            scope = None
            judged = set(metrics)
        else:
            ids = sorted(pk for pk in ids if pk in metrics)  # deleted ones are gone
            wanted = sorted(s for s in wanted if s[0] in metrics)
            scope = (ids, wanted)
            judged = {pk for pk in judged if pk in metrics}
        percents = {pk for pk, m in metrics.items() if m.unit == Unit.PERCENT}
        _rebuild_slices(scope, district.pk, group.pk, percents)
        judge_slices(scope, metrics, district.pk, group.pk)
        moved = _judge_county_wide({pk: metrics[pk] for pk in judged}, district, group, full,
                                   links)
        if full:
            _rebuild_rollups({m.plan_id for m in metrics.values()}, metrics.values(), True)
        else:
            changed = [metrics[pk] for pk in sorted(set(ids) | moved)]
            if changed:
                _rebuild_rollups({m.plan_id for m in changed}, changed, False)
        _forget_pending(started, full, ids, wanted)
        now = timezone.now()
        # An incremental rebuild writes its time in one statement (the row exists once
        # any rebuild has run).
        if full or not AggregateState.objects.filter(pk=1).update(last_rebuild_at=now):
            state = AggregateState.current()
            state.last_rebuild_at = now
            if full:
                state.last_full_rebuild_at = now
                state.last_full_rebuild_seconds = time.perf_counter() - clock
            state.save()
    return len(metrics)


def _forget_pending(started, full, ids, wanted):
    """Drop the requests this rebuild served (not those made since it started)."""
    if full:
        PendingRebuild.objects.filter(requested_at__lte=started).delete()
        PendingSlice.objects.filter(requested_at__lte=started).delete()
        return
    early = {"requested_at__lte": started}
    if ids:
        PendingSlice.objects.filter(metric_id__in=ids, **early).delete()
    if wanted:
        PendingSlice.objects.filter(_slices_q(wanted), **early).delete()
    # A metric's request is served when it was whole and rebuilt whole, or when
    # none of its slices is pending any more.
    served = PendingRebuild.objects.filter(metric_id__in=ids, **early)
    partial = {m for m, _, _ in wanted} - set(ids)
    if partial:
        still = PendingSlice.objects.filter(metric_id__in=partial).values("metric_id")
        served = served | PendingRebuild.objects.filter(
            metric_id__in=partial, whole=False, **early
        ).exclude(metric_id__in=still)  # a subquery: one statement
    served.delete()


def _slices_q(wanted):
    q = Q()
    for m, d, g in wanted:
        q |= Q(metric_id=m, district_id=d, student_group_id=g)
    return q


def _rebuild_slices(scope, district_id, group_id, percents):
    """The reading-derived columns of every snapshot row in scope (`percents`: the ids
    of its percent metrics, the only ones computed: county.py)."""
    approved, params = approved_sql(scope, district_id, percents)
    where, where_params = scope_sql(scope)
    snapshot = MetricSnapshot._meta.db_table
    columns = ", ".join(SLICE_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if scope is None:
                # Compiling this one statement costs PostgreSQL's JIT ~0.7 s, more than it
                # saves; the staging result and the comparison fit in memory.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
            snapshot_where, snapshot_params = scope_sql(scope, "s.")
            sql = UPSERT_SQL.format(
                fresh=FRESH_SQL.format(approved=approved),
                snapshot=snapshot, key=", ".join(KEY), columns=columns,
                assign=", ".join(f"{c} = EXCLUDED.{c}" for c in SLICE_COLUMNS),
                old=", ".join(f"{snapshot}.{c}" for c in SLICE_COLUMNS),
                new=", ".join(f"EXCLUDED.{c}" for c in SLICE_COLUMNS),
                old_s=", ".join(f"s.{c}" for c in SLICE_COLUMNS),
                new_f=", ".join(f"f.{c}" for c in SLICE_COLUMNS),
                snapshot_where=snapshot_where, undecided=f"'{Publication.UNDECIDED}'",
            )
            cursor.execute(sql, [district_id, group_id, *params, *snapshot_params])
        else:
            cursor.execute(f"DELETE FROM {snapshot} WHERE TRUE {where}",  # noqa: S608
                           where_params)
            cursor.execute(
                SQLITE_SQL.format(snapshot=snapshot, key=", ".join(KEY), columns=columns,
                                  approved=approved),
                [district_id, group_id, *params],
            )


def _judge_county_wide(metrics, district, group, full, links):
    """Status, series, pending and returned values of the county-wide rows of `metrics`;
    returns the metrics whose status or next due date (what roll-ups count) moved.

    A continued metric's series also shows the approved readings of the metrics it
    continues (`continued.with_earlier_points`), but its status is judged on its own
    readings only, with its baseline (which plans.plan_start_next took from the earlier
    plan's last approved value): the earlier plan's readings were judged against that
    plan's targets, and a new plan's first value has not shown a change of its own yet.
    """
    if not metrics:
        return set()
    ids = None if full else sorted(metrics)
    county = {
        s.metric_id: s
        for s in MetricSnapshot.objects.filter(
            district=district, student_group=group,
            **({} if ids is None else {"metric_id__in": ids}),
        )
    }
    before = {pk: _judged(s) for pk, s in county.items()}
    missing = [
        MetricSnapshot(metric_id=pk, district=district, student_group=group, is_county_wide=True)
        for pk in metrics
        if pk not in county
    ]
    for snap in MetricSnapshot.objects.bulk_create(missing):
        county[snap.metric_id] = snap
    series = _county_wide_series(
        None if ids is None else sorted(
            set(ids) | {e for pk in ids for e, _ in earlier_metrics(pk, links)}),
        district, group,
    )
    pending, returned = _county_wide_waiting(ids)
    moved = set()
    for pk, snap in county.items():
        metric = metrics[pk]
        judgement = _in_each_language(snap, partial(
            judge_metric, metric, snap.latest_value, snap.latest_period, series=series.get(pk, [])
        ))  # its own points only: see the docstring
        snap.status = judgement.status
        snap.progress = judgement.progress
        snap.expected = judgement.expected
        snap.next_due_on = next_due_on(metric, snap.latest_period)
        snap.series = with_earlier_points(pk, series, links)
        waiting = pending.get(pk)
        snap.pending_period, snap.pending_value, snap.pending_qualifier = (
            waiting if waiting else ("", None, "")
        )
        snap.returned_period, snap.returned_comment = returned.get(pk, ("", ""))
        if pk not in before or before[pk][:2] != (snap.status, snap.next_due_on):
            moved.add(pk)
    # Only the rows whose judgement changed are written (none, in most nightly runs).
    changed = [snap for pk, snap in county.items() if before.get(pk) != _judged(snap)]
    MetricSnapshot.objects.bulk_update(changed, JUDGED, batch_size=500)
    return moved


# The reason in each language, as django-modeltranslation names its columns (translation.py).
REASONS = {code: build_localized_fieldname("status_reason", code)
           for code in settings.MODELTRANSLATION_LANGUAGES}
# What the county-wide pass decides; the first two are what roll-ups count.
JUDGED = ["status", "next_due_on", "status_reason", *REASONS.values(), "progress", "expected",
          "series", "pending_period", "pending_value", "pending_qualifier", "returned_period",
          "returned_comment"]


def _judged(snap):
    return tuple(getattr(snap, field) for field in JUDGED)


def _county_wide(ids):
    readings = county_wide_readings()
    return readings if ids is None else readings.filter(metric_id__in=ids)


def _county_wide_series(ids, district, group):
    """Approved county-wide values per metric, oldest first: what a trend chart draws
    (computed figures included: county.py)."""
    approved, params = approved_sql(None if ids is None else (list(ids), []), district.pk)
    params = [*params, district.pk, group.pk]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(SERIES_SQL.format(approved=approved), params)
            return {
                pk: (json.loads(rows) if isinstance(rows, str) else rows)
                for pk, rows in cursor.fetchall()
            }
        cursor.execute(SQLITE_SERIES_SQL.format(approved=approved), params)
        series = defaultdict(list)
        for metric_id, period, value, districts in cursor.fetchall():
            point = [period, plain_number(_decimal(value))]
            series[metric_id].append(point if districts is None else [*point, None, districts])
        return series


def _decimal(value):
    """A value SQLite hands back raw (an int or a float) as the ORM would read it."""
    field = Reading._meta.get_field("approved_value")
    return field.to_python(value).quantize(Decimal(1).scaleb(-field.decimal_places))


def _county_wide_waiting(ids):
    """Per metric, the newest county-wide value awaiting approval, (period, value,
    qualifier), and the newest a lead returned, (period, comment), in one query. A
    returned value is not pending: it waits for its steward, not for a lead."""
    pending, returned = {}, {}
    for metric_id, period, value, qualifier, state, comment in (
        _county_wide(ids).exclude(state=ReadingState.APPROVED)
        .order_by("metric_id", "period_end", "period_start")
        .values_list("metric_id", "period", "value", "qualifier", "state", "review_comment")
    ):
        # The last one of each metric is its newest.
        if state == ReadingState.RETURNED:
            returned[metric_id] = (period, comment)
        else:
            pending[metric_id] = (period, value, qualifier)
    return pending, returned


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
        place = {"plan_id": plan_of[(level, pk)], f"{level}_id": pk}
        rollup = Rollup(
            level=level, **place,
            metric_count=sum(counts.values()), counts=counts,
            metrics_by_status={k: sorted(v) for k, v in node["ids"].items()},
            stale_count=node["stale"],
        )
        rollup.status, rollup.share_on_track, _ = _in_each_language(
            rollup, partial(rollup_status, counts), reason_of=itemgetter(2))
        rollups.append(rollup)
    Rollup.objects.bulk_create(rollups)


def _in_each_language(row, judge, reason_of=attrgetter("reason")):
    """Runs `judge()` under each language of the interface and writes `reason_of` its
    result into `row`'s status reason in that language (metrics/translation.py); returns
    the English result, whose status the row keeps. The one place reasons are written."""
    results = {}
    for code, column in REASONS.items():
        with translation.override(code):
            results[code] = judge()
            reason = str(reason_of(results[code]))
        setattr(row, column, reason)
    return results[settings.MODELTRANSLATION_DEFAULT_LANGUAGE]


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
