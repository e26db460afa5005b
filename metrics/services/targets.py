"""Writes to a metric's targets, baselines and status thresholds."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ..aggregates import request_rebuild
from .plans import refuse_if_closed

TARGET_FIELDS = ("target_value", "target_period", "baseline_value", "baseline_period",
                 "on_track_threshold", "at_risk_threshold")


def metric_set_target(*, metric, **values):
    """Set a metric's target, baseline and status thresholds; the dashboards follow.
    Refused (ValidationError) in a closed plan: its statuses are final."""
    refuse_if_closed(metric.plan, _("setting a target"))
    with transaction.atomic():
        for name in TARGET_FIELDS:
            if name in values:
                setattr(metric, name, values[name])
        metric.full_clean()
        metric.save()
        request_rebuild(metric.pk)
    return metric
