"""The one row format of readings in spreadsheets: what exports write and imports read.

An exported CSV/XLSX can be imported again as it is: the import reads the columns
it needs (metric code, period, value, qualifier, district, student group, note,
source, approval state) and ignores the descriptive ones. Every CSV and XLSX file
we write goes through `csv_bytes` and `xlsx_row`.
"""

import csv
import io
import re

from django.utils import translation
from openpyxl.cell import WriteOnlyCell

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
    ("numerator", "Numerator"),
    ("denominator", "Denominator"),
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
    """The state code for `text`: a code, or a label in English (the files' language)
    or in the language of whoever uploads it; None when it is none of these."""
    text = str(text or "").strip().lower()
    for state in ReadingState:
        with translation.override("en"):
            english = str(state.label).lower()
        if text in (state.value, english, str(state.label).lower()):
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


def metric_columns(metric):
    """The columns that describe a metric: its plan, place in the plan, code, name, unit."""
    return {
        "plan": metric.plan.name,
        "pillar": metric.pillar.name if metric.pillar_id else "",
        "priority_area": metric.priority_area.name if metric.priority_area_id else "",
        "goal": metric.goal.statement if metric.goal_id else "",
        "metric_code": metric.code,
        "metric_name": metric.name,
        "unit": metric.unit,
    }


def reading_row(reading, *, status="", approved_only=True):
    """One reading as a row: a dict keyed by HEADER. Values are the approved ones."""
    metric = reading.metric
    value, qualifier = (
        (reading.approved_value, reading.approved_qualifier)
        if approved_only else (reading.value, reading.qualifier)
    )
    counts = reading.approved_counts if approved_only else (reading.numerator,
                                                             reading.denominator)
    return {
        **metric_columns(metric),
        "period": reading.period,
        "qualifier": QUALIFIER_TEXT.get(qualifier, qualifier),
        "value": plain_number(value),
        "numerator": plain_number(counts[0]),
        "denominator": plain_number(counts[1]),
        "district": reading.district.name,
        "student_group": reading.student_group.name,
        "source": reading.source_text,
        "note": reading.note,
        "approval_state": ReadingState.APPROVED if approved_only else reading.state,
        "status": status,
    }


# --- Inert files: no cell a spreadsheet would run ------------------------------------
#
# A spreadsheet runs a cell that starts with one of FORMULA_START as a formula (CSV
# injection: `=HYPERLINK(...)` in a note would send the reader's data elsewhere). So a
# CSV text cell that starts with one gets OWASP's leading apostrophe, while numbers
# (negative ones too) stay numbers; an XLSX text cell is a string cell, never a formula.
# The import takes one leading apostrophe off again (`cell_text`), so an exported file
# imports back as it is; text that itself starts with an apostrophe and one of those
# characters gets one more, in both formats, and comes back whole too.

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def looks_like_number(text):
    """A plain decimal number such as -3, +5, 2.5 or 1e-3 (what a spreadsheet reads as one)."""
    return bool(_NUMBER.fullmatch(text.strip()))


def _quoted(text):
    return text[:1] == "'" and text[1:2] in FORMULA_START


def csv_safe(value):
    """`value` as a CSV cell that no spreadsheet runs: text that starts with =, +, -, @,
    tab or CR gets a leading apostrophe; numbers, and text that starts otherwise, stay
    as they are. Every CSV we write goes through it (the pillar table's too)."""
    if isinstance(value, str) and (
        (value[:1] in FORMULA_START and not looks_like_number(value)) or _quoted(value)
    ):
        return "'" + value
    return value


def cell_text(text):
    """A cell of an imported file as it was before `csv_safe`: one leading apostrophe
    before =, +, -, @, tab or CR (or before another such apostrophe) taken off."""
    if isinstance(text, str) and text[:1] == "'" and (text[1:2] in FORMULA_START
                                                       or _quoted(text[1:])):
        return text[1:]
    return text


def csv_bytes(header, rows):
    """`rows` (dicts keyed by `header`) as CSV bytes, every cell through `csv_safe`: UTF-8
    with a byte-order mark, so that spreadsheet programs read accents and quotes right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(key) for key in header])
    writer.writerows([csv_safe(row.get(key, "")) for key in header] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_row(sheet, values, *, font=None):
    """Cells of a write-only `sheet` for `values`: text is always a string cell, never a
    formula (`=HYPERLINK(...)` is shown, not run); numbers stay numbers."""
    cells = []
    for value in values:
        if isinstance(value, str) and _quoted(value):
            value = "'" + value
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells
