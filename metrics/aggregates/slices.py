"""The statuses of the district and student-group slices (issue 16), after their rows.

Every snapshot row but the county-wide one is judged by `slice_status.judge_slice`
from what the row holds (latest, previous and first approved values), so a district's
or a group's view can be judged; only the rows whose judgement moved are written, on
PostgreSQL set-based (`JUDGED_SQL`: one UPDATE ... FROM (VALUES ...) per batch; the
ORM's bulk_update made the first full rebuild after migrating, which judges every one
of 120 k slices, take 20 minutes), on SQLite through the ORM.
Roll-ups still count the county-wide rows only (rebuild._rebuild_rollups).
"""

import hashlib

from django.db import connection
from django.db.models import Q

from ..models import MetricSnapshot
from ..periods import metric_is_retired
from ..slice_status import judge_slice

JUDGED = ("status", "status_reason", "progress", "expected", "judged_key")
INPUTS = ("latest_value", "latest_period", "previous_value", "previous_period",
          "first_value", "first_period")
# One statement writes a batch of judgements (PostgreSQL): the casts make a column of
# the VALUES list typed even when every value of the batch in it is None.
JUDGED_SQL = """
UPDATE {table} AS s
SET status = v.status, status_reason = v.status_reason,
    -- the English version too: pages read status_reason_en (metrics/translation.py)
    status_reason_en = v.status_reason,
    progress = CAST(v.progress AS double precision),
    expected = CAST(v.expected AS double precision), judged_key = v.judged_key
FROM (VALUES {rows}) AS v (id, status, status_reason, progress, expected, judged_key)
WHERE s.id = CAST(v.id AS bigint)
"""
BATCH = 5000  # rows a statement: 30,000 parameters, within PostgreSQL's 65,535
# What of a metric judge_slice reads; bump RULES when the rule or its wording changes,
# so that the next full rebuild judges every slice again.
RULES = 1
METRIC_FIELDS = ("unit", "is_context", "retired_on", "retired_reason", "target_value",
                 "target_period", "direction", "on_track_threshold", "at_risk_threshold",
                 "change_band", "scale_min", "scale_max")


def _rules_of(metric):
    plan = metric.plan
    return (RULES, *(getattr(metric, f) for f in METRIC_FIELDS), metric_is_retired(metric),
            plan.closed_at, plan.starts_on)


def judged_key(rules, inputs):
    """A digest of a slice's inputs and its metric's rules: equal keys, equal judgements."""
    return hashlib.blake2b(repr((rules, inputs)).encode(), digest_size=16).hexdigest()


def judge_slices(scope, metrics, district_id, group_id):
    """Judge the slices in `scope` (None: all) of `metrics` ({pk: Metric}), the
    county-wide rows (judged with the metric's own baseline) left out; a slice whose
    inputs and rules are those it was last judged with (`judged_key`) is skipped."""
    rows = MetricSnapshot.objects.exclude(district_id=district_id, student_group_id=group_id)
    if scope is not None:
        ids, wanted = scope
        where = Q(metric_id__in=ids) if ids else Q(pk__in=[])
        for m, d, g in wanted:
            if (d, g) != (district_id, group_id):
                where |= Q(metric_id=m, district_id=d, student_group_id=g)
        rows = rows.filter(where)
    rules = {pk: _rules_of(metric) for pk, metric in metrics.items()}
    changed = []
    for pk, metric_id, key, *values in rows.values_list("pk", "metric_id", "judged_key",
                                                         *INPUTS):
        new_key = judged_key(rules[metric_id], values)
        if new_key == key:
            continue
        judgement = judge_slice(metrics[metric_id], **dict(zip(INPUTS, values, strict=True)))
        changed.append((pk, judgement.status, judgement.reason, judgement.progress,
                        judgement.expected, new_key))
    _write(changed)


def _write(changed):
    """Write the judgements `changed` ((pk, *JUDGED) tuples)."""
    if connection.vendor != "postgresql":
        MetricSnapshot.objects.bulk_update(
            [MetricSnapshot(pk=pk, **dict(zip(JUDGED, values, strict=True)))
             for pk, *values in changed],
            JUDGED, batch_size=1000)
        return
    table = MetricSnapshot._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(changed), BATCH):
            batch = changed[start:start + BATCH]
            rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(batch))
            cursor.execute(JUDGED_SQL.format(table=table, rows=rows),
                           [value for row in batch for value in row])
