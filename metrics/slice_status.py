"""The status of one slice of a metric: a district's or a student group's figure (issue 16).

The county-wide, all-students row is judged by `status.judge_metric` against the
metric's own baseline, which describes the county. Every other slice is judged by the
same rules (`judge_metric`: target, else change, else baseline) with what is honest for
a part of the county:

- Its baseline is its own first approved value (`MetricSnapshot.first_value`), never the
  county's: a district that started at 30% is measured from 30%. While that first value
  is its only one (latest = first), it reads Baseline, with or without a target.
- A target applies to a slice unless the unit adds up (`ADDITIVE_UNITS`: counts and
  amounts): the target of 10,000 educators trained is the county's total, and no
  district's share of it is set, so such a slice is judged by its change instead.
- Its change is against the previous or first approved value of the same kind
  (`status.comparable_period` on those two points): a slice keeps its latest, previous
  and first values, not a whole series, so a monthly slice compares with the month
  before unless that is the same month a year earlier.
"""

import copy
from dataclasses import replace

from .status import NO_DATA_REASON, Status, judge_metric
from .units import Unit

# Units whose county figure is the sum of its parts' figures.
ADDITIVE_UNITS = (Unit.COUNT, Unit.CURRENCY)


def judge_slice(metric, *, latest_value, latest_period, previous_value=None,
                previous_period="", first_value=None, first_period=""):
    """The status of a district or student-group slice (see the module's docstring)."""
    own = copy.copy(metric)
    own.baseline_value, own.baseline_period = first_value, first_period
    if metric.unit in ADDITIVE_UNITS:
        own.target_value = None
    has_target = own.target_value is not None and bool(own.target_period)
    if (has_target and latest_value is not None and latest_period == first_period
            and not metric.is_context):
        # judge_metric without a value decides what comes first (a retired metric) and
        # words a closed plan's reason; its "no data" is this slice's baseline.
        judgement = judge_metric(own, None, "")
        if judgement.status != Status.NO_DATA:
            return judgement
        return replace(judgement, status=Status.BASELINE, reason=(
            f"{judgement.reason.removesuffix(str(NO_DATA_REASON))}Baseline ({latest_period}): "
            f"{metric.format(latest_value)} is this slice's first approved value; its "
            "progress toward the target is measured from it."))
    points = [[p, v] for p, v in ((first_period, first_value),
                                  (previous_period, previous_value)) if p and v is not None]
    return judge_metric(own, latest_value, latest_period, series=points)
