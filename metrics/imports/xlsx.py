"""Reading an .xlsx upload: counted first, then read by openpyxl, cell by cell.

openpyxl builds the whole shared-strings table when it opens a workbook, even in
read-only mode: a 243 KB file holding 6 million tiny strings kept a worker busy for
37 s (656 MB). So before openpyxl sees a file, every part of the zip is streamed
through and counted, building nothing, and the file is refused with a message for
people as soon as a count passes its limit:
- the sheets' cells (`MAX_CELLS`) and rows (the import's row limits);
- the shared strings: at most one per cell (Excel keeps only the strings its cells
  use), so a file with far more strings than cells is refused after a few thousand;
- the elements of the other parts openpyxl reads (workbook, styles, properties):
  `MAX_OTHER_ELEMENTS`;
- a DOCTYPE (Excel never writes one; entities are what XML bombs are made of), or
  parts in another encoding than UTF-8.
The first tag of each part (what kind of part it is) comes from ElementTree's
XMLParser; the counts from patterns over the bytes: iterparse would build, and have
to clear, an element per tag, ten times slower than the patterns (which never count
fewer tags than the parser, only, inside a comment, more). A count's cost is bounded
by the unpacked-size cap: about 2 s for a 400 MB sheet; the file above takes a few ms.
"""

import datetime
import logging
import re
import zipfile
from contextlib import contextmanager
from decimal import Decimal
from xml.etree.ElementTree import ParseError, XMLParser

import openpyxl
from openpyxl.utils import get_column_letter

from .report import UploadError

logger = logging.getLogger(__name__)

# An .xlsx is a zip: refuse one that would unpack to more than this (a "zip bomb").
MAX_XLSX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_PARTS = 1_000
# 200,000 rows of 20 columns: an export has 16 or 17.
MAX_CELLS = 4_000_000
MAX_OTHER_ELEMENTS = 200_000
SHARED_STRINGS_SLACK = 1_000
# Parts openpyxl does not read in read-only mode: not counted beyond their first tag.
_UNREAD_PARTS = frozenset({
    "calcChain", "comments", "connections", "pivotCacheDefinition", "pivotCacheRecords",
    "pivotTableDefinition", "queryTable", "table", "theme",
})
_CHUNK = 64 * 1024

BROKEN_XLSX = (
    "The file cannot be read as an Excel workbook (.xlsx): it is damaged or not a workbook. "
    "Open it in Excel, save it again as .xlsx or CSV UTF-8, and upload it again."
)
_SAVE_AGAIN = (
    "It was not written by a spreadsheet program, or is damaged: open it in Excel, save it "
    "again as .xlsx or CSV UTF-8, and upload it again."
)


class Formula(str):
    """A cell's formula, as text starting with "=" (a string cell is plain str)."""


@contextmanager
def sheet_records(stream, *, max_rows):
    """The first sheet's rows as (line, [text of each cell]), once the workbook is counted
    (at most `max_rows` rows in all). Raises UploadError when it cannot be read."""
    count_workbook(stream, max_rows=max_rows)
    stream.seek(0)
    workbook = None
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a wrong <dimension> would cut rows off
        yield (
            (number, [cell_text(cell) for cell in cells])
            for number, cells in enumerate(sheet.iter_rows(), start=1)
        )
    except UploadError:
        raise
    except Exception:  # a damaged workbook fails in many ways inside openpyxl and zipfile
        logger.info("Unreadable workbook upload", exc_info=True)
        raise UploadError(BROKEN_XLSX) from None
    finally:
        if workbook is not None:
            workbook.close()


def place(line, index, label):
    return f"cell {get_column_letter(index + 1)}{line} ({label})"


def cell_text(cell):
    """A cell's value as the text a CSV would hold; a formula as a Formula."""
    value = cell.value
    if cell.data_type == "f":
        text = getattr(value, "text", value)  # ArrayFormula and friends
        text = str(text or "")
        return Formula(text if text.startswith("=") else f"={text}")
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
    return str(value)


# --- Counting ----------------------------------------------------------------------------

# Start tags by name, with or without a namespace prefix: `<c r="A1">`, `<x:row>`. A
# pattern over the bytes is what the XML parser would count, at ten times its speed,
# and never fewer (a "<c " inside a comment counts too, which only errs on the safe
# side); the parts are UTF-8, as Excel writes them (anything else is refused).
_CELL = re.compile(rb"[<:]c[\s/>]")
_ROW = re.compile(rb"[<:]row[\s/>]")
_STRING = re.compile(rb"[<:]si[\s/>]")
_TAG = re.compile(rb"<[^/!?]")
_OVERLAP = 8  # bytes kept from one chunk for a tag split across two


def count_workbook(stream, *, max_rows):
    """Refuse (UploadError) a workbook whose parts hold more than the limits allow."""
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = [info for info in archive.infolist() if not info.is_dir()]
            if sum(info.file_size for info in parts) > MAX_XLSX_UNPACKED_BYTES:
                raise UploadError(
                    "The workbook unpacks to more than "
                    f"{MAX_XLSX_UNPACKED_BYTES // 1024 // 1024} MB. Split it into smaller files."
                )
            if len(parts) > MAX_PARTS:
                raise UploadError(f"The workbook has more than {MAX_PARTS:,} parts. {_SAVE_AGAIN}")
            totals = _Totals(max_rows)
            strings = [info for info in parts if _count(archive, info, totals) == "sst"]
            totals.strings_allowed = min(MAX_CELLS, totals.cells + SHARED_STRINGS_SLACK)
            for info in strings:
                _count(archive, info, totals, strings=True)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise UploadError(BROKEN_XLSX) from None


class _Totals:
    def __init__(self, max_rows):
        self.max_rows = max_rows
        self.rows = self.cells = self.other = self.strings = self.string_tags = 0
        self.strings_allowed = 0

    def sheet(self, text):
        self.cells += _occurrences(_CELL, text)
        if self.cells > MAX_CELLS:
            raise UploadError(
                f"The workbook has more than {MAX_CELLS:,} cells. Keep only the sheet of "
                "readings, or split it into smaller files."
            )
        self.rows += _occurrences(_ROW, text)
        if self.rows > self.max_rows:
            raise UploadError(
                f"The workbook's sheets have more than {self.max_rows:,} rows. Delete the "
                "empty rows, keep only the sheet of readings, or split it into smaller files."
            )

    def shared_strings(self, text):
        self.strings += _occurrences(_STRING, text)
        self.string_tags += _occurrences(_TAG, text)
        allowed = self.strings_allowed
        if self.strings > allowed or self.string_tags > 16 * allowed:
            raise UploadError(
                "The workbook holds more text entries (shared strings) than cells "
                f"({self.cells:,}). {_SAVE_AGAIN}"
            )

    def other_part(self, text):
        self.other += _occurrences(_TAG, text)
        if self.other > MAX_OTHER_ELEMENTS:
            raise UploadError(
                f"The workbook holds more than {MAX_OTHER_ELEMENTS:,} other elements "
                f"(formatting, names, properties) besides its cells. {_SAVE_AGAIN}"
            )


def _occurrences(pattern, text):
    """Matches in `text` (the overlap kept from the chunk before, then a new chunk) that
    do not lie wholly in that overlap, counted already."""
    return len(pattern.findall(text)) - len(pattern.findall(text, 0, _OVERLAP))


def _count(archive, info, totals, *, strings=False):
    """Count one part; return its first tag's name (None when it is not XML)."""
    with archive.open(info) as part:
        head, root = _root(part)
        if root is None or root in _UNREAD_PARTS or (root == "sst" and not strings):
            return root
        if b"\0" in head[:64] or not head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
            raise UploadError(BROKEN_XLSX)  # UTF-16 or stranger: not what Excel writes
        add = {"worksheet": totals.sheet, "sst": totals.shared_strings}.get(
            root, totals.other_part
        )
        add(b" " * _OVERLAP + head)
        tail = head[-_OVERLAP:].rjust(_OVERLAP)
        while chunk := part.read(_CHUNK):
            add(tail + chunk)
            tail = chunk[-_OVERLAP:].rjust(_OVERLAP)
    return root


class _Root(Exception):
    """The first tag of a part: what kind of part it is."""

    def __init__(self, name):
        self.name = name


class _Peek:
    """An XMLParser target that stops at the part's first tag, and refuses a DOCTYPE
    (Excel never writes one; entities are what XML bombs are made of)."""

    def start(self, tag, attrib):
        raise _Root(tag.rpartition("}")[2])

    def doctype(self, name, pubid, system):
        raise UploadError(BROKEN_XLSX)


# Where a part's first tag must come: Excel's parts start with it.
_PEEK_BYTES = 1024 * 1024


def _root(part):
    """The bytes read so far and the part's first tag (None when the part is not XML)."""
    parser = XMLParser(target=_Peek())  # noqa: S314 (stops at the first tag; no DOCTYPE)
    head = b""
    try:
        while len(head) < _PEEK_BYTES and (chunk := part.read(_CHUNK)):
            head += chunk
            parser.feed(chunk)
    except _Root as found:
        return head, found.name
    except ParseError:
        return head, None
    if len(head) >= _PEEK_BYTES:
        raise UploadError(BROKEN_XLSX)  # a megabyte before the first tag: not Excel's
    return head, None
