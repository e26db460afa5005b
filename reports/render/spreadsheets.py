"""The data behind the report as CSV and XLSX: one row per approved reading, in the
shared row format (metrics/rowformat.py) that the spreadsheet import reads back.

Header cells are the row format's keys (`metric_code`, `period`, ...). CSV is UTF-8
with a byte-order mark so that spreadsheet programs read accents and curly quotes
right. A synthetic plan's files carry one more column, `synthetic_data`, saying
"Synthetic data" on every row; the XLSX also says so on its "About" sheet. These two
files are the staff data export: whole (every approved value, also those the
publication rule keeps out of every public figure, reports/data.py), so they are marked
internal in a column `internal` on every row, on the "About" sheet and in the file's
name (services.export_filename); the import ignores the column, so export -> import
round-trips. They stay in English whatever language the export is asked in: the import
reads them back (README, "Languages"). The LCAP workbook is for people: its words follow the
export's language.
"""

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from metrics.rowformat import COLUMNS, HEADER, csv_bytes, xlsx_row

from .word import language

SYNTHETIC_COLUMN = "synthetic_data"
SYNTHETIC_TEXT = "Synthetic data"
INTERNAL_COLUMN = "internal"
INTERNAL_TEXT = ("Internal: staff data, not for publication (it holds figures suppressed "
                 "in public to protect student privacy)")
READINGS_SHEET = "Readings"
ABOUT_SHEET = "About"


def header(plan):
    return HEADER + [INTERNAL_COLUMN] + ([SYNTHETIC_COLUMN] if plan.is_synthetic else [])


def rows(data):
    """The rows of `data` (reports.data.Data), each marked internal, and synthetic when
    the plan is."""
    synthetic = {SYNTHETIC_COLUMN: SYNTHETIC_TEXT} if data.plan.is_synthetic else {}
    for row in data.rows:
        yield {**row, INTERNAL_COLUMN: INTERNAL_TEXT, **synthetic}


def write_csv(data):
    return csv_bytes(header(data.plan), rows(data))


def _cell_value(key, text):
    """Numbers as numbers in a workbook; everything else as text."""
    if key in ("value", "numerator", "denominator") and text != "":
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else number
    return text


def write_xlsx(data):
    plan, title = data.plan, data.title
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
    for row in rows(data):
        sheet.append(xlsx_row(sheet, [_cell_value(key, row[key]) for key in keys]))

    about = book.create_sheet(ABOUT_SHEET)
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 90
    notes = [("Internal", INTERNAL_TEXT), ("Title", title), ("Plan", plan.name),
             ("Organisation", plan.organisation),
             ("School year", f"{data.school_year} (with {data.prior_year} for comparison)"),
             ("Pillars", "; ".join(str(p) for p in data.pillars)),
             ("Values", "Approved values only: what a pillar lead approved."),
             ("Produced", timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"))]
    if plan.is_synthetic:
        notes.insert(0, ("Synthetic data", "This plan and every figure in it are made up "
                                           "(synthetic demo data), not a real organisation's."))
    for label, text in notes:
        cell = WriteOnlyCell(about, value=label)
        cell.font = bold
        about.append([cell, *xlsx_row(about, [text])])  # a plan's name is text, never run
    about.append([])
    about.append(["Column", "Meaning"])
    for key, label in COLUMNS:
        about.append([key, label])
    about.append([INTERNAL_COLUMN, "Says that the file is internal, on every row."])
    if plan.is_synthetic:
        about.append([SYNTHETIC_COLUMN, "Says “Synthetic data” on every row of a demo plan."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_lcap_xlsx(results):
    """The LCAP results tables (reports/lcap.py): one sheet, each goal's table under its
    title, the template's columns repeated above each."""
    book = Workbook(write_only=True)
    book.properties.title = results.title
    book.properties.creator = results.plan.organisation
    book.properties.language = language()
    sheet = book.create_sheet(_("LCAP results"))
    for column, width in zip("ABCDEFG", (10, 48, 24, 28, 28, 24, 44), strict=True):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    sheet.append(xlsx_row(sheet, [results.title], font=Font(bold=True, size=14)))
    if results.plan.is_synthetic:
        sheet.append(xlsx_row(sheet, [_("Synthetic data")], font=bold))
    sheet.append(xlsx_row(sheet, [_("Year 1, 2 and 3: %(years)s. Approved values up to "
                                    "%(year)s.") % {"years": ", ".join(results.years),
                                                    "year": results.school_year}]))
    for table in results.tables:
        sheet.append([])
        sheet.append(xlsx_row(sheet, [table.title], font=bold))
        sheet.append(xlsx_row(sheet, [str(c) for c in results.columns], font=bold))
        for row in table.rows:
            sheet.append(xlsx_row(sheet, row))
    if results.notes:
        sheet.append([])
    for note in results.notes:
        sheet.append(xlsx_row(sheet, [note]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
