"""Reading an uploaded CSV or XLSX file into rows, refusing what cannot be imported at all.

`read_upload` gives the data rows as dicts keyed by the row format's column names
(metrics/rowformat.py), each with its `line` as the user sees it. It refuses, with a
message for people (UploadError): wrong or missing columns, another encoding than
UTF-8, formulas, an empty file, more than MAX_UPLOAD_BYTES (20 MB) or MAX_ROWS
(200,000) data rows, a workbook that holds more than it shows (imports/xlsx.py).
"""

import csv
import gc
import itertools
import sys
from contextlib import contextmanager
from pathlib import PurePath

from django.core.files.base import File

from .. import rowformat
from . import xlsx
from .report import UploadError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# Blank rows are skipped, but not without end (a sheet formatted down to row 1,048,576).
MAX_BLANK_ROWS = 50_000
PROGRESS_ROWS = 10_000  # rows between two calls of read_upload's `progress`
LIMITS_HELP = (
    "A .csv (UTF-8) or .xlsx file of at most 20 MB and 200,000 rows. The first row names the "
    "columns; metric_code, period and value are needed."
)

IMPORTED_COLUMNS = (
    "metric_code", "period", "value", "qualifier", "district", "student_group", "note",
    "source", "approval_state", "numerator", "denominator",
)
FREE_TEXT = frozenset({"note", "source"})
LABELS = dict(rowformat.COLUMNS)
_INTERNED = frozenset({"metric_code", "period", "qualifier", "district", "student_group",
                       "approval_state"})
_RISKY_START = rowformat.FORMULA_START
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OLE2 = b"\xd0\xcf\x11\xe0"


@contextmanager
def gc_paused():
    """A file's rows, outcomes and readings are a few hundred thousand small objects made
    at once, none in a reference cycle: Python's cycle collector would walk them over and
    over (measured: half the time of an import). Paused meanwhile, then as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _normalise(text):
    return " ".join(str(text or "").replace("_", " ").replace("-", " ").lower().split())


_COLUMN_BY_NAME = {
    **{_normalise(label): key for key, label in rowformat.COLUMNS},
    **{_normalise(key): key for key, _ in rowformat.COLUMNS},
}


@gc_paused()
def read_upload(uploaded_file, *, progress=None) -> list[dict]:
    """The data rows of a .csv or .xlsx upload, as dicts keyed by rowformat column names.

    `progress(rows)`, when given, is called every PROGRESS_ROWS rows read.

    Each dict has the columns the file has among IMPORTED_COLUMNS (as text) and `line`,
    the row's line number as the user sees it (the header is line 1). Raises
    UploadError when the file cannot be imported at all; never anything else.
    """
    if not isinstance(uploaded_file, File):
        uploaded_file = File(uploaded_file)
    name = PurePath(uploaded_file.name or "").name
    size = uploaded_file.size
    if size > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"The file is {size / 1024 / 1024:.1f} MB; at most "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB is accepted. Split it into smaller files."
        )
    if not size:
        raise UploadError("The file is empty.")
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    suffix = PurePath(name).suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(uploaded_file, progress)
    if head.startswith(_OLE2):
        raise UploadError(
            "This is an old Excel (.xls) or other Office file. Save it as .xlsx (Excel "
            "workbook) or CSV UTF-8 and upload it again."
        )
    if suffix == ".xlsx":
        raise UploadError(
            "The file is named .xlsx but is not an Excel workbook (it may be damaged or "
            "renamed). Open it in Excel, save it as .xlsx or CSV UTF-8, and upload it again."
        )
    if suffix not in (".csv", ".txt", ""):
        raise UploadError("Upload a .csv or .xlsx file.")
    if head.startswith(_UTF16_BOMS):
        raise UploadError(
            "The file is saved as UTF-16 (“Unicode text”). Save it as “CSV UTF-8 (comma "
            "delimited)” and upload it again."
        )
    return _read_csv(uploaded_file, progress)


def _read_csv(stream, progress):
    lines = utf8_lines(stream)
    reader = None
    try:
        peeked = []
        for line in lines:
            peeked.append(line)
            if line.strip():
                break
        delimiter = sniff_delimiter(peeked[-1] if peeked else "")
        reader = csv.reader(itertools.chain(peeked, lines), delimiter=delimiter)
        return _collect(csv_records(reader), _csv_place, _csv_formula, progress)
    except csv.Error as exc:
        line = (reader.line_num if reader is not None else 0) or 1
        raise UploadError(f"Line {line} cannot be read as CSV: {exc}.") from None


def utf8_lines(stream):
    """The lines of a UTF-8 text upload (a BOM taken off), refusing binary data and other
    encodings with a message for people. The districts file reads through it too."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\0" in raw:
            raise UploadError(
                "The file does not look like a CSV text file: it holds binary data "
                f"(line {number}). Upload a .csv or .xlsx file."
            )
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadError(
                f"The file is not in UTF-8 encoding (line {number} cannot be read). In Excel, "
                "save it as “CSV UTF-8 (comma delimited)”; in other programs choose the "
                "UTF-8 encoding. Then upload it again."
            ) from None


def sniff_delimiter(first_line):
    """Comma, semicolon (a European Excel's CSV) or tab: the one the header uses most."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def csv_records(reader):
    previous = 0
    for cells in reader:
        yield previous + 1, cells  # the line the record starts on
        previous = reader.line_num


def _csv_place(line, index, label):
    return f"line {line}, column {label}"


def _read_xlsx(stream, progress):
    with xlsx.sheet_records(stream, max_rows=MAX_ROWS + MAX_BLANK_ROWS + 1_000) as records:
        return _collect(records, xlsx.place, _xlsx_formula, progress)


def _collect(records, place, is_formula, progress=None):
    """Header first (the first row that is not blank), then the data rows as dicts.

    A cell is refused when `is_formula(text, key)`: in a CSV, what a spreadsheet would run
    (text that export escaped with an apostrophe is not: the apostrophe is taken off
    here, rowformat.cell_text); in an
    XLSX, a formula cell (its text cells are strings, shown and never run)."""
    positions = None
    rows = []
    blanks = 0
    risky = []
    for line, cells in records:
        if positions is None:
            if any(c.strip() for c in cells):
                positions = _header_positions(cells)
            continue
        if not any(c.strip() for c in cells):
            blanks += 1
            if blanks > MAX_BLANK_ROWS:
                raise UploadError(
                    f"The file has more than {MAX_BLANK_ROWS:,} empty rows. Delete the empty "
                    "rows (or copy the filled ones into a new file) and upload it again."
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise UploadError(
                f"The file has more than {MAX_ROWS:,} data rows. Split it into files of at most "
                f"{MAX_ROWS:,} rows."
            )
        if progress is not None and not len(rows) % PROGRESS_ROWS:
            progress(len(rows))
        row = {"line": line}
        width = len(cells)
        for key, index in positions:
            text = cells[index] if index < width else ""
            if text:
                if text[0] in _RISKY_START and is_formula(text, key):
                    risky.append((place(line, index, LABELS[key]), text))
                    if len(risky) >= 10:
                        break
                if key in _INTERNED:
                    text = sys.intern(text.strip())
                elif key not in FREE_TEXT:
                    text = text.strip()
                if text[:1] == "'":  # as it was before export escaped it (csv_safe)
                    text = rowformat.cell_text(text)
            row[key] = text
        if len(risky) >= 10:
            break
        rows.append(row)
    if risky:
        raise UploadError(*_risky_messages(risky))
    if positions is None:
        raise UploadError("The file is empty: it has no header row and no data.")
    if not rows:
        raise UploadError("The file has a header row but no data rows.")
    return rows


def _csv_formula(text, key):
    """A formula ("=...") anywhere; in free text also what a spreadsheet would run as one
    (a number such as -3 or +5 is not). Elsewhere the column's own check decides ("+" is
    a qualifier)."""
    return text[0] == "=" or (key in FREE_TEXT and not rowformat.looks_like_number(text))


def _xlsx_formula(text, key):
    return isinstance(text, xlsx.Formula)


def _risky_messages(risky):
    messages = [
        f"{where[0].upper()}{where[1:]}: “{text[:40]}” is a formula, or would run as one in a "
        "spreadsheet (it starts with =, +, - or @)."
        for where, text in risky
    ]
    if len(risky) >= 10:
        messages.append("There may be more: only the first 10 are listed.")
    messages.append(
        "Formulas are not imported. Replace them by their values (copy, then Paste "
        "special › Values); in notes, start the text with an apostrophe (') or another "
        "character."
    )
    return messages


def _header_positions(cells):
    found = {}
    for index, cell in enumerate(cells):
        key = _COLUMN_BY_NAME.get(_normalise(cell))
        if key is None:
            continue
        if key in found:
            raise UploadError(
                f"The column “{LABELS[key]}” appears twice in the header row: keep one."
            )
        found[key] = index
    missing = [LABELS[key] for key in rowformat.REQUIRED if key not in found]
    if missing:
        shown = ", ".join(f"“{_printable(c.strip()[:30])}”" for c in cells[:20] if c.strip())
        raise UploadError(
            f"The header row (the first row) has no column for: {', '.join(missing)}. It has: "
            f"{shown}. Name the columns as the template does: "
            f"{', '.join(rowformat.REQUIRED)} are needed; {', '.join(IMPORTED_COLUMNS[3:])} "
            "are optional; other columns are ignored."
        )
    return [(key, found[key]) for key in IMPORTED_COLUMNS if key in found]


def _printable(text):
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
