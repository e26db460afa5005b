"""The statuses of the district and student-group slices (issue 16), after their rows.

Every snapshot row but the county-wide one is judged by `slice_status.judge_slice`
from what the row holds (latest, previous and first approved values), so a district's
or a group's view can be judged; only the rows whose judgement moved are written.
Roll-ups still count the county-wide rows only (rebuild._rebuild_rollups).
"""

from django.db.models import Q

from ..models import MetricSnapshot
from ..slice_status import judge_slice

JUDGED = ("status", "status_reason", "progress", "expected")
INPUTS = ("latest_value", "latest_period", "previous_value", "previous_period",
          "first_value", "first_period")


def judge_slices(scope, metrics, district_id, group_id):
    """Judge the slices in `scope` (None: all) of `metrics` ({pk: Metric}), the
    county-wide rows (judged with the metric's own baseline) left out."""
    rows = MetricSnapshot.objects.exclude(district_id=district_id, student_group_id=group_id)
    if scope is not None:
        ids, wanted = scope
        where = Q(metric_id__in=ids) if ids else Q(pk__in=[])
        for m, d, g in wanted:
            if (d, g) != (district_id, group_id):
                where |= Q(metric_id=m, district_id=d, student_group_id=g)
        rows = rows.filter(where)
    changed = []
    for pk, metric_id, *values in rows.values_list("pk", "metric_id", *INPUTS, *JUDGED):
        inputs, before = dict(zip(INPUTS, values[:len(INPUTS)], strict=True)), values[len(INPUTS):]
        judgement = judge_slice(metrics[metric_id], **inputs)
        after = (judgement.status, judgement.reason, judgement.progress, judgement.expected)
        if tuple(before) != after:
            changed.append(MetricSnapshot(pk=pk, **dict(zip(JUDGED, after, strict=True))))
    MetricSnapshot.objects.bulk_update(changed, JUDGED, batch_size=1000)
