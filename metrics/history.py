"""A metric's history in people's words: every recorded change to the metric and its
readings, with field labels and formatted values, and which earlier values a restore
offers. Read by the metric page through `selectors.metric_history`.
"""

from collections import defaultdict
from typing import NamedTuple

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Metric, Reading, ReadingState
from .models.reading import returned_label

READING_HISTORY_FIELDS = ("period", "value", "numerator", "denominator", "qualifier", "state",
                          "approved_value", "note", "evidence_url", "source_text", "is_derived")
METRIC_HISTORY_FIELDS = ("name", "definition", "unit", "target_value", "target_period",
                         "baseline_value", "baseline_period", "on_track_threshold",
                         "at_risk_threshold", "retired_on", "retired_reason")
FIGURE_FIELDS = ("value", "approved_value", "target_value", "baseline_value")
# Each recorded field's label in the page's language (the models' fields carry no
# verbose_name: the English reads as Django would write it from the field's name).
HISTORY_LABELS = {
    "period": _("Period"), "value": _("Value"), "numerator": _("Numerator"),
    "denominator": _("Denominator"), "qualifier": _("Qualifier"), "state": _("State"),
    "approved_value": _("Approved value"), "note": _("Note"),
    "evidence_url": _("Evidence link"), "source_text": _("Source quote"),
    "is_derived": _("Derived by us"), "name": _("Name"), "definition": _("Definition"),
    "unit": _("Unit"), "target_value": _("Target value"), "target_period": _("Target period"),
    "baseline_value": _("Baseline value"), "baseline_period": _("Baseline period"),
    "on_track_threshold": _("On track threshold"), "at_risk_threshold": _("At risk threshold"),
    "retired_on": _("Retired on"), "retired_reason": _("Reason retired"),
}


class Change(NamedTuple):
    """One field's change in people's words: ("Value", "1,000", "11")."""

    label: str
    old: str
    new: str

    @property
    def text(self):
        return f"{self.label}: {self.old} → {self.new}"


def _history_value(metric, model, record, name):
    """How a recorded field's value reads: figures in the metric's unit, labels of
    choices in the page's language (a state too: "Submitted for approval", and a
    returned value's "Returned: <comment>"), "—" for nothing."""
    if record is None:
        return "—"
    value = getattr(record, name)
    if name == "state" and value == ReadingState.RETURNED:
        return str(returned_label(record.review_comment))
    if value in (None, ""):
        return "—"
    if name in FIGURE_FIELDS:
        return metric.format(value)
    if name in ("on_track_threshold", "at_risk_threshold"):
        return f"{value}%"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    field = model._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def metric_history(metric, limit=100):
    """Every recorded change to the metric and its readings, newest first, in people's
    words: each entry's `changes` are `Change`s (field label, old, new, formatted:
    "Value: 1,000 → 11", "State: Submitted for approval → Returned: <comment>").

    A reading's entry has `restorable` True when restoring it would bring back an
    earlier value: each earlier value (with its qualifier) is offered once, at its
    newest record, and the reading's current value never.

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
    for records, fields, kind, model in (
        (reading_records, READING_HISTORY_FIELDS, "reading", Reading),
        (metric_records, METRIC_HISTORY_FIELDS, "metric", Metric),
    ):
        previous = {}
        for record in records:
            before = previous.get(record.id)
            names = [name for name in fields
                     if before is None or getattr(before, name) != getattr(record, name)
                     or (name == "state" and before.review_comment != record.review_comment)]
            if before is None:
                names = [n for n in names if getattr(record, n) not in (None, "", False)]
            changes = [
                Change(str(HISTORY_LABELS[name]), _history_value(metric, model, before, name),
                       _history_value(metric, model, record, name))
                for name in names
            ]
            entries.append({"record": record, "kind": kind, "changes": changes,
                            "type": record.get_history_type_display(), "restorable": False})
            previous[record.id] = record
    entries.sort(key=lambda e: (e["record"].history_date, e["record"].history_id), reverse=True)
    _mark_restorable(entries)
    return entries[:limit]


def _mark_restorable(entries):
    """Offer each earlier value of a reading once (its newest record), never the current."""
    current, offered = {}, defaultdict(set)
    for entry in entries:  # newest first
        if entry["kind"] != "reading":
            continue
        record = entry["record"]
        key = (record.value, record.qualifier, record.numerator, record.denominator)
        if record.id not in current:
            current[record.id] = None if record.history_type == "-" else key
            continue
        if record.history_type == "-" or current[record.id] is None:
            continue
        if key != current[record.id] and key not in offered[record.id]:
            entry["restorable"] = True
            offered[record.id].add(key)
