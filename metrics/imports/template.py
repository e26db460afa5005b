"""The import template: one row per metric the user may enter, with the period due next.

The period is `metrics.periods.next_period`'s, the rule My updates and the reminders
follow. A metric with no period due (its plan's last period is entered, or the plan
is closed) is left out: the entry form would accept no new period for it either, and
the template never proposes one the import would refuse.

The districts and student groups it offers (the XLSX's second sheet, the upload page)
are the plan's own and the total rows (`plan_dimensions`): what the import accepts.
"""

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .. import rowformat
from ..access import editable_metrics
from ..models import District, Metric, Reading, StudentGroup
from ..periods import next_period

_WIDE = frozenset({"metric_name", "goal", "pillar", "priority_area", "note", "source"})


def template_rows(plan, user, *, today=None):
    """One row per metric `user` may enter that has a period due: code, name, unit and
    that period, with an empty value, in the row format (rowformat.HEADER)."""
    today = today or timezone.localdate()
    metrics = list(
        editable_metrics(user, Metric.objects.filter(plan=plan))
        .select_related("pillar", "priority_area", "goal")
        .order_by("pillar__order", "code")
    )
    all_districts = District.objects.total()
    all_students = StudentGroup.objects.total()
    latest = dict(
        Reading.objects.filter(
            metric__in=[m.pk for m in metrics], district=all_districts,
            student_group=all_students,
        ).order_by("metric_id", "period_end", "period_start").values_list("metric_id", "period")
    )  # later rows win: the newest period of each metric
    rows = []
    for metric in metrics:
        metric.plan = plan
        period = next_period(metric, latest.get(metric.pk), today)
        if period is None:
            continue
        rows.append({
            **rowformat.metric_columns(metric),
            "period": period.text,
            "qualifier": "",
            "value": "",
            "numerator": "",
            "denominator": "",
            "district": all_districts.name,
            "student_group": all_students.name,
            "source": "",
            "note": "",
            "approval_state": "",
            "status": "",
        })
    return rows


def plan_dimensions(plan):
    """(kind, code, name) of every district and student group a row of `plan` may name:
    the total rows and the plan's own, never another plan's (the import refuses those)."""
    return [
        (kind, item.code, item.name)
        for kind, model in (("District", District), ("Student group", StudentGroup))
        for item in model.objects.for_plan(plan)
    ]


def template_csv(rows):
    """The template as CSV bytes, UTF-8 with a byte-order mark so that Excel reads it right."""
    return rowformat.csv_bytes(rowformat.HEADER, rows)


def template_xlsx(rows, dimensions=()):
    """The template as XLSX bytes (openpyxl write-only): every cell plain text, no formula;
    `dimensions` (plan_dimensions) listed on a second sheet, for the district and
    student_group columns."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Readings")
    sheet.freeze_panes = "A2"
    for index, key in enumerate(rowformat.HEADER):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 40 if key in _WIDE else 18
    sheet.append(rowformat.xlsx_row(sheet, rowformat.HEADER, font=Font(bold=True)))
    for row in rows:
        sheet.append(rowformat.xlsx_row(sheet, [row[key] for key in rowformat.HEADER]))
    if dimensions:
        names = workbook.create_sheet("Districts and groups")
        for letter in "ABC":
            names.column_dimensions[letter].width = 30
        names.append(rowformat.xlsx_row(names, ["Column", "Code", "Name"], font=Font(bold=True)))
        for kind, code, name in dimensions:
            column = "district" if kind == "District" else "student_group"
            names.append(rowformat.xlsx_row(names, [column, code, name]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
