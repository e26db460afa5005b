"""The one row format of readings in spreadsheets: what exports write and imports read.

An exported CSV/XLSX can be imported again as it is: the import reads the columns
it needs (metric code, period, value, qualifier, district, student group, note,
source, approval state) and ignores the descriptive ones.
"""

from .models import Reading, ReadingState
from .units import Qualifier, plain_number

COLUMNS = [
    ("plan", "Plan"),
    ("pillar", "Pillar"),
    ("priority_area", "Priority area"),
    ("goal", "Goal"),
    ("metric_code", "Metric code"),
    ("metric_name", "Metric"),
    ("unit", "Unit"),
    ("period", "Period"),
    ("qualifier", "Qualifier"),
    ("value", "Value"),
    ("district", "District"),
    ("student_group", "Student group"),
    ("source", "Source"),
    ("note", "Note"),
    ("approval_state", "Approval state"),
    ("status", "On-track status"),
]
HEADER = [key for key, _ in COLUMNS]
REQUIRED = ("metric_code", "period", "value")

# How a qualifier is written in a file; the import also accepts the stored code.
QUALIFIER_TEXT = {
    Qualifier.NONE: "",
    Qualifier.OVER: "over",
    Qualifier.NEARLY: "nearly",
    Qualifier.MORE_THAN: "more than",
    Qualifier.APPROXIMATELY: "approximately",
    Qualifier.PLUS: "+",
}
_QUALIFIER_FROM_TEXT = {
    **{text: code for code, text in QUALIFIER_TEXT.items()},
    **{code: code for code in Qualifier.values},
    "or more": Qualifier.PLUS,
    "plus": Qualifier.PLUS,
}


def parse_qualifier(text):
    """The qualifier code for `text`, or None when it is not one we know."""
    return _QUALIFIER_FROM_TEXT.get(" ".join(str(text or "").strip().lower().split()))


def parse_state(text):
    text = str(text or "").strip().lower()
    for state in ReadingState:
        if text in (state.value, state.label.lower()):
            return state.value
    return None


def export_readings(plan, *, approved_only=True, pillars=None, period=None):
    """Readings of `plan` as export queryset, in plan order, with what a row needs."""
    readings = Reading.objects.filter(metric__plan=plan).select_related(
        "metric__plan", "metric__pillar", "metric__priority_area", "metric__goal",
        "district", "student_group",
    )
    if approved_only:
        readings = readings.filter(approved_value__isnull=False)
    if pillars is not None:
        readings = readings.filter(metric__pillar__in=pillars)
    if period:
        readings = readings.filter(period=period)
    return readings.order_by(
        "metric__pillar__order", "metric__priority_area__order", "metric__goal__order",
        "metric__code", "period_end", "district__name", "student_group__name",
    )


def reading_row(reading, *, status="", approved_only=True):
    """One reading as a row: a dict keyed by HEADER. Values are the approved ones."""
    metric = reading.metric
    value, qualifier = (
        (reading.approved_value, reading.approved_qualifier)
        if approved_only else (reading.value, reading.qualifier)
    )
    return {
        "plan": metric.plan.name,
        "pillar": metric.pillar.name if metric.pillar_id else "",
        "priority_area": metric.priority_area.name if metric.priority_area_id else "",
        "goal": metric.goal.statement if metric.goal_id else "",
        "metric_code": metric.code,
        "metric_name": metric.name,
        "unit": metric.unit,
        "period": reading.period,
        "qualifier": QUALIFIER_TEXT.get(qualifier, qualifier),
        "value": plain_number(value),
        "district": reading.district.name,
        "student_group": reading.student_group.name,
        "source": reading.source_text,
        "note": reading.note,
        "approval_state": ReadingState.APPROVED if approved_only else reading.state,
        "status": status,
    }
