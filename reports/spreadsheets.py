"""The data behind the report as CSV and XLSX: one row per approved reading, in the
shared row format (metrics/rowformat.py) that the spreadsheet import reads back.

Header cells are the row format's keys (`metric_code`, `period`, ...). CSV is UTF-8
with a byte-order mark so that spreadsheet programs read accents and curly quotes
right. A synthetic plan's files carry one more column, `synthetic_data`, saying
"Synthetic data" on every row; the XLSX also says so on its "About" sheet.
"""

import csv
import io
from decimal import Decimal

from django.utils import timezone

from metrics.models import Status
from metrics.rowformat import COLUMNS, HEADER, reading_row

from . import selectors

SYNTHETIC_COLUMN = "synthetic_data"
SYNTHETIC_TEXT = "Synthetic data"
READINGS_SHEET = "Readings"
ABOUT_SHEET = "About"


def header(plan):
    return HEADER + ([SYNTHETIC_COLUMN] if plan.is_synthetic else [])


def data_rows(plan, school_year, pillars=None, *, progress=None):
    """Rows (dicts keyed by `header(plan)`) of the year's and the prior year's approved
    readings of the plan-wide metrics and of `pillars` (all when None).

    `progress(done, total)` is called as each pillar's rows are done.
    """
    years = [selectors.prior_year(school_year), school_year]
    chosen = list(plan.pillars.all()) if pillars is None else list(pillars)
    statuses = selectors.statuses(plan)
    labels = {code: label for code, label in Status.choices}
    rows, seen = [], set()
    for reading in selectors.export_rows(plan, years, None if pillars is None else chosen):
        pillar_id = reading.metric.pillar_id
        if progress and pillar_id is not None and pillar_id not in seen:
            seen.add(pillar_id)
            progress(len(seen) - 1, len(chosen))
        row = reading_row(reading, status=labels.get(statuses.get(reading.metric_id), ""))
        if plan.is_synthetic:
            row[SYNTHETIC_COLUMN] = SYNTHETIC_TEXT
        rows.append(row)
    if progress:
        progress(len(chosen), len(chosen))
    return rows


def write_csv(plan, rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header(plan), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _cell_value(key, text):
    """Numbers as numbers in a workbook; everything else as text."""
    if key == "value" and text != "":
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else number
    return text


def write_xlsx(plan, rows, *, title, school_year, pillars):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    keys = header(plan)
    book = Workbook(write_only=True)
    book.properties.title = title
    book.properties.creator = plan.organisation
    book.properties.language = "en-US"
    sheet = book.create_sheet(READINGS_SHEET)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heads = []
    for key in keys:
        cell = WriteOnlyCell(sheet, value=key)
        cell.font = bold
        heads.append(cell)
    sheet.append(heads)
    for row in rows:
        sheet.append([_cell_value(key, row[key]) for key in keys])

    about = book.create_sheet(ABOUT_SHEET)
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    notes = [("Title", title), ("Plan", plan.name), ("Organisation", plan.organisation),
             ("School year", f"{school_year} (with {selectors.prior_year(school_year)} "
                             f"for comparison)"),
             ("Pillars", "; ".join(str(p) for p in pillars)),
             ("Values", "Approved values only: what a pillar lead approved."),
             ("Produced", timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"))]
    if plan.is_synthetic:
        notes.insert(0, ("Synthetic data", "This plan and every figure in it are made up "
                                           "(synthetic demo data), not a real organisation's."))
    for label, text in notes:
        cell = WriteOnlyCell(about, value=label)
        cell.font = bold
        about.append([cell, text])
    about.append([])
    about.append(["Column", "Meaning"])
    for key, label in COLUMNS:
        about.append([key, label])
    if plan.is_synthetic:
        about.append([SYNTHETIC_COLUMN, "Says “Synthetic data” on every row of a demo plan."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
