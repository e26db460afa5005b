"""Spreadsheet import of readings: read a CSV or XLSX file, check every row, write all or nothing.

The row format is metrics.rowformat's, so an exported file imports back as it is.
Reading a file (`read_upload`) refuses what cannot be imported at all, with a
message for people: wrong or missing columns, another encoding than UTF-8, formulas,
an empty file, more than MAX_UPLOAD_BYTES (20 MB) or MAX_ROWS (200,000) data rows.

Checking rows (`import_rows`) is set-based: the plan's metrics, the districts, the
student groups and the readings the file touches are loaded once, then each row is
checked in memory. One rejected row and nothing is written; otherwise one transaction
inserts every new reading and updates every changed one, set-based (COPY on
PostgreSQL, executemany on SQLite: "Writing, set-based" below says why), each with its
history row (who = the importing user), and queues one aggregate rebuild per metric.
Row by row, the result is what `services.reading_record` gives:
a new or changed value is submitted for approval, or approved at once when asked for
and the user may approve that metric; an unchanged row is not written at all.

Rules beyond reading_record's, because a file does not carry everything a form does:
- a row whose value is empty is skipped (a template row left unfilled);
- an optional column the file does not have (qualifier, note, source) leaves that
  field of an existing reading as it is; present but empty, it clears it;
- what the row format has no column for (is_derived, evidence) is left as it is.
"""

import csv
import datetime
import gc
import itertools
import logging
import sys
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from operator import itemgetter
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import FileField
from django.utils import timezone

from . import aggregates, rowformat
from .access import approvable_metrics, editable_metrics
from .models import District, ImportBatch, Metric, Reading, ReadingState, StudentGroup
from .periods import Kind, Period

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# Blank rows are skipped, but not without end (a sheet formatted down to row 1,048,576).
MAX_BLANK_ROWS = 50_000
# An .xlsx is a zip: refuse one that would unpack to more than this (a "zip bomb").
MAX_XLSX_UNPACKED_BYTES = 400 * 1024 * 1024
# Rows of each outcome kept in a stored report for the preview; the counts cover all.
PREVIEW_CAP = 2_000
LIMITS_HELP = (
    "A .csv (UTF-8) or .xlsx file of at most 20 MB and 200,000 rows. The first row names the "
    "columns; metric_code, period and value are needed."
)

IMPORTED_COLUMNS = (
    "metric_code", "period", "value", "qualifier", "district", "student_group", "note",
    "source", "approval_state",
)
FREE_TEXT = frozenset({"note", "source"})
LABELS = dict(rowformat.COLUMNS)
_INTERNED = frozenset({"metric_code", "period", "qualifier", "district", "student_group",
                       "approval_state"})
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OLE2 = b"\xd0\xcf\x11\xe0"

NEW, CHANGED, UNCHANGED, SKIPPED, REJECTED = "new", "changed", "unchanged", "skipped", "rejected"
ACTIONS = (NEW, CHANGED, UNCHANGED, SKIPPED, REJECTED)
UPDATE_FIELDS = [
    "value", "qualifier", "note", "source_text", "state", "review_comment", "approved_value",
    "approved_qualifier", "approved_by", "approved_at", "entered_by", "version", "updated_at",
]
CONFLICT_MESSAGE = (
    "Someone saved readings of the same metrics while this file was being imported, so "
    "nothing was imported. Upload the file again to see the current values."
)


class UploadError(Exception):
    """The file cannot be imported at all; `messages` say why, in words for people."""

    def __init__(self, *messages):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


@contextmanager
def _gc_paused():
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


# --- Reading a file ---------------------------------------------------------------


def _normalise(text):
    return " ".join(str(text or "").replace("_", " ").replace("-", " ").lower().split())


_COLUMN_BY_NAME = {
    **{_normalise(label): key for key, label in rowformat.COLUMNS},
    **{_normalise(key): key for key, _ in rowformat.COLUMNS},
}


@_gc_paused()
def read_upload(uploaded_file) -> list[dict]:
    """The data rows of a .csv or .xlsx upload, as dicts keyed by rowformat column names.

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
        return _read_xlsx(uploaded_file)
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
    return _read_csv(uploaded_file)


def _read_csv(stream):
    lines = _utf8_lines(stream)
    reader = None
    try:
        peeked = []
        for line in lines:
            peeked.append(line)
            if line.strip():
                break
        delimiter = _delimiter(peeked[-1] if peeked else "")
        reader = csv.reader(itertools.chain(peeked, lines), delimiter=delimiter)
        return _collect(_csv_records(reader), _csv_place)
    except csv.Error as exc:
        line = (reader.line_num if reader is not None else 0) or 1
        raise UploadError(f"Line {line} cannot be read as CSV: {exc}.") from None


def _utf8_lines(stream):
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


def _delimiter(first_line):
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_records(reader):
    previous = 0
    for cells in reader:
        yield previous + 1, cells  # the line the record starts on
        previous = reader.line_num


def _csv_place(line, index, key):
    return f"line {line}, column {LABELS[key]}"


def _xlsx_place(line, index, key):
    from openpyxl.utils import get_column_letter

    return f"cell {get_column_letter(index + 1)}{line} ({LABELS[key]})"


def _read_xlsx(stream):
    import openpyxl

    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise UploadError(_BROKEN_XLSX) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise UploadError(
            "The workbook unpacks to more than "
            f"{MAX_XLSX_UNPACKED_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    stream.seek(0)
    workbook = None
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a wrong <dimension> would cut rows off
        records = (
            (number, [_xlsx_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
        return _collect(records, _xlsx_place)
    except UploadError:
        raise
    except Exception:  # a damaged workbook fails in many ways inside openpyxl and zipfile
        logger.info("Unreadable workbook upload", exc_info=True)
        raise UploadError(_BROKEN_XLSX) from None
    finally:
        if workbook is not None:
            workbook.close()


_BROKEN_XLSX = (
    "The file cannot be read as an Excel workbook (.xlsx): it is damaged or not a workbook. "
    "Open it in Excel, save it again as .xlsx or CSV UTF-8, and upload it again."
)


def _xlsx_text(value):
    """A cell's value as the text a CSV would hold; formulas keep their leading "="."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        # A month typed into Excel (2024-03) becomes a date: give the period back.
        if value.day == 1 and not getattr(value, "hour", 0) and not getattr(value, "minute", 0):
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()
    text = getattr(value, "text", None)  # ArrayFormula and friends
    return f"={text or ''}" if not str(text or "").startswith("=") else text


def _collect(records, place):
    """Header first (the first row that is not blank), then the data rows as dicts."""
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
        row = {"line": line}
        width = len(cells)
        for key, index in positions:
            text = cells[index] if index < width else ""
            if text:
                if text[0] in _RISKY_START and _is_risky(text, key):
                    risky.append((place(line, index, key), text))
                    if len(risky) >= 10:
                        break
                if key in _INTERNED:
                    text = sys.intern(text.strip())
                elif key not in FREE_TEXT:
                    text = text.strip()
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


def _is_risky(text, key):
    """A formula ("=...") anywhere; in free text also what a spreadsheet would run as one."""
    if text[0] == "=":
        return True
    if key not in FREE_TEXT:
        return False  # checked against what is allowed there ("+" is a qualifier)
    try:
        Decimal(text.strip())
    except ArithmeticError:
        return True
    return False  # a number such as -3 or +5


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
        "special › Values); in notes, start the text with another character."
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


# --- Checking and writing rows ----------------------------------------------------------


@dataclass(slots=True)
class RowOutcome:
    """What the import does with one row, for the preview."""

    line: int
    metric_code: str
    period: str
    district: str
    student_group: str
    action: str = REJECTED
    reasons: tuple | list = ()  # why the row is rejected or skipped
    metric: Metric | None = None
    old_value: Decimal | None = None
    old_qualifier: str = ""
    new_value: Decimal | None = None
    new_qualifier: str = ""
    state: str = ""
    typed: str = ""  # the value as the file has it, shown when it cannot be read as one

    def as_dict(self):
        fmt = self.metric.format if self.metric is not None else None
        return {
            "line": self.line,
            "metric_code": self.metric_code,
            "metric_name": self.metric.name if self.metric is not None else "",
            "period": self.period,
            "district": self.district,
            "student_group": self.student_group,
            "old": fmt(self.old_value, self.old_qualifier) if fmt and self.old_value is not None
            else "",
            "new": fmt(self.new_value, self.new_qualifier) if fmt and self.new_value is not None
            else self.typed[:60],
            "action": self.action,
            "state": self.state,
            "reasons": list(self.reasons),
        }


@dataclass
class ImportReport:
    """Counts and per-row outcomes of an import (or of its dry run, for the preview)."""

    rows: list = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    approved: int = 0
    errors: list = field(default_factory=list)
    written: bool = False
    metric_ids: set = field(default_factory=set)

    @property
    def ok(self):
        return not self.rejected and not self.errors

    @property
    def counts(self):
        return {
            "total": len(self.rows), "new": self.new, "changed": self.changed,
            "unchanged": self.unchanged, "skipped": self.skipped, "rejected": self.rejected,
            "approved": self.approved,
        }

    def to_json(self, cap=None):
        """What a batch stores: every count, and at most `cap` rows of each outcome."""
        cap = PREVIEW_CAP if cap is None else cap
        kept = dict.fromkeys(ACTIONS, 0)
        rows = []
        for outcome in self.rows:
            if kept[outcome.action] < cap:
                kept[outcome.action] += 1
                rows.append(outcome.as_dict())
        return {
            "counts": self.counts, "shown": kept, "cap": cap, "errors": list(self.errors),
            "written": self.written, "rows": rows,
        }


class _Plan:
    """What checking rows needs, loaded once: metrics, rights, districts, groups."""

    def __init__(self, plan, user):
        self.plan = plan
        metrics = list(Metric.objects.filter(plan=plan).order_by())
        for metric in metrics:
            metric.plan = plan
        self.metrics = {m.code.lower(): m for m in metrics}
        in_plan = Metric.objects.filter(plan=plan)
        self.editable = set(editable_metrics(user, in_plan).order_by().values_list("pk", flat=True))
        self.approvable = set(
            approvable_metrics(user, in_plan).order_by().values_list("pk", flat=True)
        )
        self.districts, self.all_districts = _by_code_or_name(District)
        self.groups, self.all_students = _by_code_or_name(StudentGroup)
        self._probe = Metric(plan=plan)
        self._periods = {}
        self._districts = {"": self.all_districts}
        self._groups = {"": self.all_students}
        self._qualifiers = {}

    def district(self, text):
        """The district named by `text` (code or name, any case), all districts when empty."""
        try:
            return self._districts[text]
        except KeyError:
            found = self._districts[text] = self.districts.get(_normalise_name(text))
            return found

    def group(self, text):
        try:
            return self._groups[text]
        except KeyError:
            found = self._groups[text] = self.groups.get(_normalise_name(text))
            return found

    def qualifier(self, text):
        try:
            return self._qualifiers[text]
        except KeyError:
            found = self._qualifiers[text] = rowformat.parse_qualifier(text)
            return found

    def period(self, text):
        """The Period, or the list of reasons it is refused; cached by text."""
        hit = self._periods.get(text)
        if hit is None:
            if not text:
                hit = ["Period: enter a period, e.g. 2023-24, 2023-24 Q1 or 2024-03."]
            else:
                try:
                    hit = self._probe.validate_period(text)
                except ValidationError as exc:
                    hit = [f"Period: {m}" for m in exc.message_dict.get("period", exc.messages)]
            self._periods[text] = hit
        return hit


def _by_code_or_name(model):
    lookup, total = {}, None
    for item in model.objects.order_by():
        lookup[_normalise_name(item.code)] = item
        lookup[_normalise_name(item.name)] = item
        if item.is_total:
            total = item
    return lookup, total


def _normalise_name(text):
    return " ".join(text.lower().split())


@_gc_paused()
def import_rows(*, plan, rows, user, approve=None, dry_run=False) -> ImportReport:
    """Check `rows` (from read_upload) against `plan`; unless `dry_run`, write them all.

    Nothing is written when any row is rejected (each rejected row has its line and
    reasons in the report) or when `dry_run`. `approve`: approve at once the rows of
    metrics the user may approve; a row whose approval_state says approved is
    approved too when the user may approve its metric. Otherwise rows are submitted.
    """
    context = _Plan(plan, user)
    report = ImportReport()
    checked = _check(rows, context, report)
    now = timezone.now()
    if dry_run or report.rejected:
        _decide(checked, _existing(checked, lock=False), context, report, user, bool(approve), now)
        return report
    try:
        with transaction.atomic():
            existing = _existing(checked, lock=True)
            new, changed = _decide(checked, existing, context, report, user, bool(approve), now)
            _write(new, changed, user=user, now=now)
            for metric_id in sorted(report.metric_ids):
                aggregates.request_rebuild(metric_id)
    except IntegrityError:
        logger.info("Import of %s rows lost a race", len(rows), exc_info=True)
        report.errors.append(CONFLICT_MESSAGE)
        return report
    report.written = True
    return report


def _check(rows, context, report):
    """Per row, everything that needs no stored reading. Returns the rows that pass."""
    metrics, editable = context.metrics, context.editable
    district_of, group_of, qualifier_of = context.district, context.group, context.qualifier
    first_line = {}
    checked = []
    outcomes = report.rows
    for index, row in enumerate(rows):
        line = row.get("line") or index + 2
        code = (row.get("metric_code") or "").strip()
        period_text = (row.get("period") or "").strip()
        district_text = (row.get("district") or "").strip()
        group_text = (row.get("student_group") or "").strip()
        district = district_of(district_text)
        group = group_of(group_text)
        outcome = RowOutcome(
            line, code, period_text,
            district.name if district is not None else district_text,
            group.name if group is not None else group_text,
        )
        outcomes.append(outcome)
        raw_value = row.get("value")
        raw_value = raw_value.strip() if isinstance(raw_value, str) else raw_value
        if raw_value in (None, ""):
            outcome.action = SKIPPED
            outcome.reasons = ["No value: the row is skipped."]
            report.skipped += 1
            continue
        reasons = []
        metric = metrics.get(code.lower()) if code else None
        outcome.typed = str(raw_value)
        if not code:
            reasons.append("Metric code: enter the code of a metric of this plan.")
        elif metric is None:
            reasons.append(f"Metric code: this plan has no metric “{code[:100]}”.")
        elif metric.id not in editable:
            reasons.append(
                f"Metric code: you may not enter readings of “{code}” ({metric.name}); its "
                "data stewards and pillar leads may."
            )
            metric = None
        outcome.metric = metric
        period = context.period(period_text)
        if isinstance(period, list):
            reasons.extend(period)
            period = None
        value = None
        if metric is not None:
            try:
                value = metric.validate_value(raw_value)
            except ValidationError as exc:
                reasons.extend(f"Value: {m}" for m in exc.message_dict.get("value", exc.messages))
        qualifier = row.get("qualifier")
        if qualifier is not None:
            qualifier = qualifier_of(qualifier)
            if qualifier is None:
                reasons.append(
                    f"Qualifier: “{row['qualifier'][:40]}” is not one we know. Use over, "
                    "nearly, more than, approximately or +, or leave it empty."
                )
        state_text = row.get("approval_state") or ""
        wanted_state = rowformat.parse_state(state_text) if state_text else ""
        if wanted_state is None:
            reasons.append(
                f"Approval state: “{state_text[:40]}” is not one we know. Use draft, submitted "
                "or approved, or leave it empty."
            )
        if district is None:
            reasons.append(
                f"District: no district has the code or name “{district_text[:100]}”. Leave it "
                "empty for all districts."
            )
        if group is None:
            reasons.append(
                f"Student group: no student group has the code or name “{group_text[:100]}”. "
                "Leave it empty for all students."
            )
        if not reasons:
            key = (metric.id, period.text, district.id, group.id)
            first = first_line.get(key)
            if first is not None:
                reasons.append(
                    f"Duplicate: line {first} already has this metric, period, district and "
                    "student group. Keep one of the two rows."
                )
            else:
                first_line[key] = line
        if reasons:
            outcome.reasons = reasons
            report.rejected += 1
            continue
        outcome.new_value = value
        checked.append((
            outcome, metric, period, district, group, value, qualifier,
            row.get("note"), row.get("source"), wanted_state == ReadingState.APPROVED, key,
        ))
    return checked


def _existing(checked, *, lock):
    """The stored readings the checked rows name, as dicts of their fields, by
    (metric, period, district, group); locked for update when `lock`."""
    if not checked:
        return {}
    wanted = {item[-1] for item in checked}
    metric_ids = sorted({key[0] for key in wanted})
    periods = sorted({key[1] for key in wanted})
    districts = sorted({key[2] for key in wanted})
    groups = sorted({key[3] for key in wanted})
    names = [f.attname for f in Reading._meta.concrete_fields]
    found = {}
    for start in range(0, len(metric_ids), 200):
        readings = Reading.objects.filter(
            metric_id__in=metric_ids[start:start + 200], period__in=periods,
            district_id__in=districts, student_group_id__in=groups,
        ).order_by()  # the default ordering joins other tables, which FOR UPDATE refuses
        if lock:
            readings = readings.select_for_update()
        for reading in readings.values(*names):
            key = (reading["metric_id"], reading["period"], reading["district_id"],
                   reading["student_group_id"])
            if key in wanted:
                found[key] = reading
    return found


def _decide(checked, existing, context, report, user, approve, now):
    """New, changed or unchanged, as reading_record decides. Returns the new readings (as
    lists of NEW_FIELDS values) and the changed ones (as dicts of every field), to write."""
    approvable = context.approvable
    new, changed = [], []
    submitted, approved = ReadingState.SUBMITTED, ReadingState.APPROVED
    for (outcome, metric, period, district, group, value, qualifier, note, source,
         wants_approval, key) in checked:
        reading = existing.get(key)
        approve_row = metric.id in approvable and (approve or wants_approval)
        if reading is None:
            qualifier = qualifier or ""
            state = approved if approve_row else submitted
            new.append([
                None, metric.id, period.text, period.start, period.end, district.id, group.id,
                value, qualifier, note or "", source or "", state,
                *((value, qualifier, user.pk, now) if approve_row else (None, "", None, None)),
            ])
            outcome.action, outcome.new_qualifier, outcome.state = NEW, qualifier, state
            report.approved += approve_row
            report.metric_ids.add(metric.id)
            continue
        outcome.old_value, outcome.old_qualifier = reading["value"], reading["qualifier"]
        qualifier = reading["qualifier"] if qualifier is None else qualifier
        note = reading["note"] if note is None else note
        source = reading["source_text"] if source is None else source
        same = (
            reading["value"] == value and reading["qualifier"] == qualifier
            and reading["note"] == note and reading["source_text"] == source
        )
        if same and (not approve_row or reading["state"] == approved):
            outcome.action, outcome.new_qualifier = UNCHANGED, qualifier
            outcome.state = reading["state"]
            report.unchanged += 1
            continue
        reading.update(value=value, qualifier=qualifier, note=note, source_text=source,
                       entered_by_id=user.pk, updated_at=now, version=reading["version"] + 1)
        if approve_row:
            reading.update(state=approved, approved_value=value, approved_qualifier=qualifier,
                           approved_by_id=user.pk, approved_at=now)
            report.approved += 1
        elif not same:
            reading.update(state=submitted, review_comment="")
        outcome.action, outcome.new_qualifier, outcome.state = CHANGED, qualifier, reading["state"]
        changed.append(reading)
        report.metric_ids.add(metric.id)
    report.new, report.changed = len(new), len(changed)
    return new, changed


NEW_FIELDS = (
    "id", "metric_id", "period", "period_start", "period_end", "district_id",
    "student_group_id", "value", "qualifier", "note", "source_text", "state", "approved_value",
    "approved_qualifier", "approved_by_id", "approved_at",
)


def _new_reading_fields(user, now):
    """Every field of a new reading as Reading() would set it (defaults included, so a
    field added to the model later is written too), entered by `user`."""
    blank = Reading(state=ReadingState.SUBMITTED, entered_by=user, created_at=now,
                    updated_at=now)
    return {
        # A file field holds its stored name, as Reading.objects.values() gives it.
        f.attname: f.get_prep_value(value) if isinstance(f, FileField) else value
        for f in Reading._meta.concrete_fields
        for value in [getattr(blank, f.attname)]
    }


# --- Writing, set-based -----------------------------------------------------------------
#
# Reading.objects.bulk_create and simple_history's bulk_create_with_history compile
# every value of every row through the ORM: measured here, about 150 µs per reading and
# as much again for its history row (under 3,000 rows/s), and bulk_update about 6 ms
# per row. The writes below put the same columns, converted by the same database
# adapters, through executemany (SQLite) or COPY (PostgreSQL): the readings, then one
# history row per reading (type "+" or "~", history_user = the importing user).


def _write(new, changed, *, user, now):
    if new or changed:
        with connection.cursor() as cursor:
            writer = _Writer(cursor, user, now)
            writer.insert(new)
            writer.update(changed)


_CHUNK = 5_000
_HISTORY_STAMP = ("history_date", "history_change_reason", "history_type", "history_user_id")


class _Writer:
    """Writes new and changed readings, and one history row for each, set-based."""

    def __init__(self, cursor, user, now):
        if connection.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"Imports write to SQLite or PostgreSQL only, not to "
                                      f"{connection.vendor}.")
        self.cursor, self.user, self.now = cursor, user, now
        self.fields = list(Reading._meta.concrete_fields)
        self.adapters = {f.attname: _adapter(f) for f in self.fields}  # memos: one import long
        self.table = _quote(Reading._meta.db_table)
        self.history_table = _quote(Reading.history.model._meta.db_table)
        self.keep_history = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        date = self.adapters["updated_at"] or (lambda value: value)
        self.stamp = {kind: (date(now), None, kind, user.pk) for kind in ("+", "~")}

    def insert(self, dicts):
        """New readings (lists of NEW_FIELDS values; every other field as Reading() sets
        it), with ids taken now so that their history rows can name them."""
        if not dicts:
            return
        for reading, pk in zip(dicts, _next_ids(self.cursor, len(dicts)), strict=True):
            reading[0] = pk
        blank = _new_reading_fields(self.user, self.now)
        constants = {name: value for name, value in blank.items() if name not in NEW_FIELDS}
        fields = [*(Reading._meta.get_field(name) for name in NEW_FIELDS),
                  *(f for f in self.fields if f.attname not in NEW_FIELDS)]
        self._load(self.table, dicts, "+", fields, constants, list)

    def update(self, dicts):
        """Changed readings: loaded into a temporary table, then one UPDATE ... FROM."""
        if not dicts:
            return
        temp = _quote("import_changes")
        self.cursor.execute(  # every name here comes from the model, none from the file
            f"CREATE TEMPORARY TABLE {temp} AS SELECT {_columns(self.fields)} "  # noqa: S608
            f"FROM {self.table} WHERE 1 = 0"
        )
        self._load(temp, dicts, "~", self.fields, {},
                   itemgetter(*(f.attname for f in self.fields)))
        changed = {_ATTNAME.get(name, name) for name in UPDATE_FIELDS}
        assignments = ", ".join(
            f"{_quote(f.column)} = c.{_quote(f.column)}" for f in self.fields
            if f.attname in changed
        )
        self.cursor.execute(
            f"UPDATE {self.table} AS r SET {assignments} FROM {temp} AS c WHERE r.id = c.id"  # noqa: S608
        )
        # Dropped on success; after an error the rollback takes it away as well.
        self.cursor.execute(f"DROP TABLE {temp}")

    def _load(self, table, items, kind, fields, constants, values):
        """Rows of `fields` (in that order): `values(item)` for the first ones, the same
        `constants` for the last ones; and the history row of each."""
        own = [f.attname for f in fields if f.attname not in constants]
        assert [f.attname for f in fields[:len(own)]] == own, "constants come last"
        adapters = [(i, self.adapters[n]) for i, n in enumerate(own) if self.adapters[n]]
        tail = tuple(
            self.adapters[f.attname](constants[f.attname]) if self.adapters[f.attname]
            else constants[f.attname]
            for f in fields if f.attname in constants
        )
        history = _history_fields(fields) if self.keep_history else None
        stamp = self.stamp[kind]
        for start in range(0, len(items), _CHUNK):
            rows = []
            for item in items[start:start + _CHUNK]:
                row = list(values(item))
                for index, adapt in adapters:
                    row[index] = adapt(row[index])
                rows.append((*row, *tail))
            _load(self.cursor, table, fields, rows)
            if history:
                _load(self.cursor, self.history_table, history, [(*row, *stamp) for row in rows])


_ATTNAME = {"approved_by": "approved_by_id", "entered_by": "entered_by_id"}


def _quote(name):
    return connection.ops.quote_name(name)


def _columns(fields):
    return ", ".join(_quote(f.column) for f in fields)


def _history_fields(fields):
    """The history table's fields in the order of `fields` (a history row repeats the
    reading's values), then its own: date, change reason, type, user."""
    model = Reading.history.model
    by_name = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    ordered = [by_name[f.attname] for f in fields] + [by_name[n] for n in _HISTORY_STAMP]
    if len(ordered) != len(by_name):  # a history field the import would leave out
        missing = set(by_name) - {f.attname for f in ordered}
        raise NotImplementedError(f"The import does not fill history fields {missing}.")
    return ordered


def _next_ids(cursor, count):
    """`count` new reading ids, taken from the table's sequence (PostgreSQL), or after the
    largest ever given (SQLite AUTOINCREMENT; the transaction holds the write lock)."""
    table = Reading._meta.db_table
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]
    cursor.execute(f"SELECT MAX(id) FROM {_quote(table)}")  # noqa: S608
    largest = cursor.fetchone()[0] or 0
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    first = max(largest, row[0] if row else 0) + 1
    return range(first, first + count)


def _load(cursor, table, fields, rows):
    """Insert `rows` into `table`: COPY on PostgreSQL, executemany on SQLite."""
    if connection.vendor == "postgresql":
        with connection.wrap_database_errors, cursor.cursor.copy(
            f"COPY {table} ({_columns(fields)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({_columns(fields)}) VALUES ({marks})", rows)  # noqa: S608


def _adapter(field):
    """How the ORM turns a Python value of `field` into a database value, when it is not
    the value itself; memoised per value for dates and times (few distinct ones)."""
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return _memoised(ops.adapt_datetimefield_value)
    if kind == "DateField":
        return _memoised(ops.adapt_datefield_value)
    if kind == "DecimalField":
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            return None  # passed as it is; the driver adapts Decimal
        return partial(ops.adapt_decimalfield_value, max_digits=field.max_digits,
                       decimal_places=field.decimal_places)
    if kind in _PLAIN_KINDS:
        return None
    return partial(_prep, field)


_PLAIN_KINDS = frozenset({
    "AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "FileField",
    "ForeignKey", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "SlugField", "SmallIntegerField", "TextField", "URLField",
})


def _prep(field, value):
    return field.get_db_prep_save(value, connection)


def _memoised(adapt):
    seen = {}

    def adapted(value):
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = adapt(value)
            return result

    return adapted


# --- Batches: upload, preview, confirm -------------------------------------------------


def batch_start(*, plan, user, uploaded_file, approve=False) -> ImportBatch:
    """Read the upload, preview it (a dry run) and keep file and report for the confirmation.

    Raises UploadError (nothing stored) when the file cannot be imported at all.
    """
    rows = read_upload(uploaded_file)
    report = import_rows(plan=plan, rows=rows, user=user, approve=approve, dry_run=True)
    name = PurePath(uploaded_file.name or "upload").name
    batch = ImportBatch(
        owner=user, plan=plan, filename=name[:255], approve=bool(approve), report=report.to_json()
    )
    uploaded_file.seek(0)
    batch.file.save(name, uploaded_file, save=False)
    batch.save()
    return batch


def batch_confirm(*, batch, user):
    """Import a previewed batch, all or nothing. Returns its ImportReport, or None when the
    batch is not its owner's to confirm or was confirmed already (then nothing happens)."""
    with transaction.atomic():
        locked = (
            ImportBatch.objects.select_for_update().select_related("plan")
            .filter(pk=batch.pk, owner=user, state=ImportBatch.State.PREVIEWED).first()
        )
        if locked is None:
            return None
        try:
            with locked.file.open("rb") as stored:
                rows = read_upload(stored)
        except UploadError as exc:
            report = ImportReport(errors=exc.messages)
        except OSError:
            logger.warning("Stored import file %s is missing", locked.file.name, exc_info=True)
            report = ImportReport(errors=["The uploaded file is no longer stored: upload again."])
        else:
            report = import_rows(plan=locked.plan, rows=rows, user=user, approve=locked.approve)
        locked.report = report.to_json()
        if report.written:
            locked.state = ImportBatch.State.IMPORTED
            locked.imported_at = timezone.now()
        else:
            locked.state = ImportBatch.State.FAILED
        locked.save(update_fields=["report", "state", "imported_at"])
    batch.refresh_from_db()
    return report


# --- Template --------------------------------------------------------------------------


def template_rows(plan, user, *, today=None):
    """One row per metric `user` may enter: code, name, unit and the next period to fill,
    with an empty value, in the row format (rowformat.HEADER)."""
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
    return [
        {
            "plan": plan.name,
            "pillar": metric.pillar.name if metric.pillar_id else "",
            "priority_area": metric.priority_area.name if metric.priority_area_id else "",
            "goal": metric.goal.statement if metric.goal_id else "",
            "metric_code": metric.code,
            "metric_name": metric.name,
            "unit": metric.unit,
            "period": next_period(metric, plan, latest.get(metric.pk), today).text,
            "qualifier": "",
            "value": "",
            "district": all_districts.name,
            "student_group": all_students.name,
            "source": "",
            "note": "",
            "approval_state": "",
            "status": "",
        }
        for metric in metrics
    ]


def next_period(metric, plan, latest_period, today):
    """The period after the latest reading, else the current one by the metric's frequency;
    moved inside the plan when it falls outside it."""
    if latest_period:
        period = Period.parse(latest_period).next()
        kind = period.kind
    else:
        kind = {"monthly": Kind.MONTH, "quarterly": Kind.QUARTER}.get(metric.frequency, Kind.YEAR)
        period = _period_of(kind, today)
    if period.start > plan.ends_on:
        period = _period_of(kind, plan.ends_on)
    elif period.end < plan.starts_on:
        period = _period_of(kind, plan.starts_on)
    return period


def _period_of(kind, day):
    year = Period.school_year(day.year if day.month >= 7 else day.year - 1)
    if kind == Kind.MONTH:
        return Period.month(day.year, day.month)
    if kind == Kind.QUARTER:
        return Period.parse(f"{year} Q{(day.month - 7) % 12 // 3 + 1}")
    return year


def template_csv(rows):
    """The template as CSV bytes, UTF-8 with a byte-order mark so that Excel reads it right."""
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rowformat.HEADER)
    writer.writerows([row[key] for key in rowformat.HEADER] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(rows):
    """The template as XLSX bytes (openpyxl write-only): every cell plain text, no formula."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Readings")
    sheet.freeze_panes = "A2"
    for index, key in enumerate(rowformat.HEADER):
        wide = key in ("metric_name", "goal", "pillar", "priority_area", "note", "source")
        sheet.column_dimensions[get_column_letter(index + 1)].width = 40 if wide else 18
    bold = Font(bold=True)
    header = []
    for key in rowformat.HEADER:
        cell = WriteOnlyCell(sheet, value=key)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for key in rowformat.HEADER:
            cell = WriteOnlyCell(sheet, value=row[key])
            if isinstance(row[key], str) and row[key].startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
