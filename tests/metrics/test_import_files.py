# ruff: noqa: F811 (the fixtures shared from test_import are parameters here)
"""Spreadsheet import, reading files (metrics/imports/files.py): what cannot be imported
at all is refused with a message for people, before any row is checked."""

import io
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.imports import UploadError, files, read_upload, xlsx
from metrics.models import ImportBatch, Reading

from .test_import import _in_process, csv_file, setup, xlsx_bytes, xlsx_file  # noqa: F401

# --- Malformed files ----------------------------------------------------------------------


def _refused(upload):
    with pytest.raises(UploadError) as caught:
        read_upload(upload)
    return " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (csv_file("code,when,amount\ntrained,2023-24,1\n"),
         "has no column for: Metric code, Period, Value"),
        (csv_file("metric_code,period,Value,value\ntrained,2023-24,1,2\n"),
         "The column “Value” appears twice"),
        (csv_file("metric_code,period,value,note\ntrained,2023-24,1,Café Noël\n",
                  encoding="latin-1"), "not in UTF-8 encoding (line 2"),
        (csv_file("metric_code,period,value\ntrained,2023-24,1\n", encoding="utf-16"),
         "saved as UTF-16"),
        (csv_file(""), "The file is empty."),
        (csv_file("\n\n \n"), "no header row and no data"),
        (csv_file("metric_code,period,value\n"), "a header row but no data rows"),
        (csv_file("metric_code,period,value\n,,\n\n"), "a header row but no data rows"),
        (csv_file("metric_code,period,value\ntrained,2023-24,=1+2\n"),
         "Line 2, column Value: “=1+2” is a formula"),
        (csv_file("metric_code,period,value,note\ntrained,2023-24,1,@SUM(A1)\n"),
         "Line 2, column Note: “@SUM(A1)” is a formula"),
        (csv_file("metric_code,period,value,source\ntrained,2023-24,1,-cmd|calc\n"),
         "column Source"),
        (SimpleUploadedFile("readings.xlsx", b"metric_code,period,value\ntrained,2023-24,1\n"),
         "named .xlsx but is not an Excel workbook"),
        (SimpleUploadedFile("readings.xlsx", xlsx_bytes([["a"]])[:300]),
         "cannot be read as an Excel workbook"),
        (SimpleUploadedFile("readings.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
         "old Excel (.xls)"),
        (SimpleUploadedFile("readings.csv", bytes(range(256)) * 40), "binary data"),
        (SimpleUploadedFile("readings.csv", bytes(range(128, 256)) * 40), "not in UTF-8"),
        (SimpleUploadedFile("readings.csv", b"metric_code,period,value\n\0\0\0\n"),
         "binary data"),
        (SimpleUploadedFile("readings.pdf", b"%PDF-1.4"), "Upload a .csv or .xlsx file."),
        (csv_file("metric_code,period,value,note\ntrained,2023-24,1,\"" + "x" * 200_000 + "\"\n"),
         "cannot be read as CSV"),
    ],
    ids=["wrong-columns", "twice", "latin-1", "utf-16", "empty", "blank", "header-only",
         "blank-rows-only", "csv-formula", "csv-at", "csv-minus-text", "renamed-xlsx",
         "corrupt-xlsx", "xls", "binary-junk", "high-bytes", "nul-bytes", "pdf", "huge-cell"],
)
def test_malformed_files_are_refused_with_a_message(upload, message):
    assert message in _refused(upload)


def test_formulas_in_xlsx_are_refused_with_the_cell_named():
    message = _refused(xlsx_file([
        ["metric_code", "period", "value", "note"],
        ["trained", "2023-24", "=SUM(1,2)", ""],
        ["trained", "2022-23", 5, "=HYPERLINK(\"http://x\")"],
    ]))
    assert "Cell C2 (Value): “=SUM(1,2)” is a formula" in message
    assert "Cell D3 (Note)" in message
    assert "Paste special › Values" in message


def test_size_and_row_limits(monkeypatch):
    text = "metric_code,period,value\n" + "trained,2023-24,1\n" * 5
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 50)
    assert "at most 0 MB is accepted" in _refused(csv_file(text))
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 10_000)
    monkeypatch.setattr(files, "MAX_ROWS", 4)
    assert "more than 4 data rows" in _refused(csv_file(text))
    assert len(read_upload(csv_file(text.rsplit("trained", 1)[0]))) == 4


def test_the_row_limit_stops_reading_early(monkeypatch):
    monkeypatch.setattr(files, "MAX_ROWS", 10)
    lines = iter(["metric_code,period,value\n"] + ["trained,2023-24,1\n"] * 10_000)
    read = []

    def counting():
        for line in lines:
            read.append(line)
            yield line.encode()

    class Stream(io.BytesIO):
        def __iter__(self):
            return counting()

    upload = SimpleUploadedFile("big.csv", b"x" * 100)
    upload.file = Stream(b"metric_code")
    with pytest.raises(UploadError):
        read_upload(upload)
    assert len(read) < 20


def test_headers_match_case_and_spaces_and_human_labels_and_other_delimiters():
    rows = read_upload(csv_file(
        "\ufeff Metric Code ;PERIOD;value;Student group;Plan;Whatever\n"
        "trained;2023-24;1,5;ell;ignored;ignored\n"
    ))
    assert rows == [{"line": 2, "metric_code": "trained", "period": "2023-24", "value": "1,5",
                     "student_group": "ell"}]


# --- Hostile workbooks: counted before anything is built ------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def hand_xlsx(rows, *, strings_after=0, empty_rows=0, blank_cells=0, styles=0,
              doctype=False):
    """A workbook written part by part, as Excel does, with shared strings: `rows` of
    texts, then what a hostile file adds: tiny shared strings no cell uses, empty rows,
    empty cells, formatting elements, a DOCTYPE."""
    strings = sorted({text for row in rows for text in row})
    index = {text: i for i, text in enumerate(strings)}
    cells = "".join(
        f'<row r="{r}">' + "".join(f'<c t="s"><v>{index[t]}</v></c>' for t in row) + "</row>"
        for r, row in enumerate(rows, 1)
    )
    cells += "".join(f'<row r="{len(rows) + 1 + i}"/>' for i in range(empty_rows))
    if blank_cells:
        cells += f'<row r="{len(rows) + empty_rows + 1}">' + "<c/>" * blank_cells + "</row>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{TYPES}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPES}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPES}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{TYPES}.styles+xml"/></Types>'
        ))
        package.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ))
        package.writestr("xl/workbook.xml", (
            ('<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">]>' if doctype else "")
            + f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets><sheet name="Readings" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'
        ))
        package.writestr("xl/_rels/workbook.xml.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{RELS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ))
        package.writestr("xl/styles.xml", (
            f'<styleSheet xmlns="{MAIN}"><cellXfs count="1"><xf/>' + "<xf/>" * styles
            + "</cellXfs></styleSheet>"
        ))
        package.writestr("xl/worksheets/sheet1.xml",
                         f'<worksheet xmlns="{MAIN}"><sheetData>{cells}</sheetData></worksheet>')
        with package.open("xl/sharedStrings.xml", "w") as part:
            part.write(f'<sst xmlns="{MAIN}" count="{len(strings)}" '
                       f'uniqueCount="{len(strings)}">'.encode())
            part.write("".join(f"<si><t>{t}</t></si>" for t in strings).encode())
            tiny = b"<si><t>a</t></si>" * 10_000
            for _ in range(strings_after // 10_000):
                part.write(tiny)
            part.write(b"</sst>")
    return SimpleUploadedFile("readings.xlsx", out.getvalue())


ROWS = [["metric_code", "period", "value"], ["trained", "2023-24", "6000"]]


class Built(BaseException):
    """openpyxl was asked to build a workbook that should have been refused (a
    BaseException, so that no `except Exception` turns it into a message)."""


@pytest.fixture
def nothing_built(monkeypatch):
    def refuse(*args, **kwargs):
        raise Built

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")
def test_a_workbook_with_shared_strings_is_read():
    assert read_upload(hand_xlsx(ROWS)) == [
        {"line": 2, "metric_code": "trained", "period": "2023-24", "value": "6000"}
    ]


def test_millions_of_tiny_shared_strings_are_refused_in_well_under_a_second(nothing_built):
    upload = hand_xlsx(ROWS, strings_after=3_000_000)
    assert upload.size < 300_000  # a small file, far under the unpacked-size cap
    clock = time.perf_counter()
    message = _refused(upload)
    assert time.perf_counter() - clock < 0.5
    assert "more text entries (shared strings) than cells" in message
    assert "save it again as .xlsx or CSV UTF-8" in message


@pytest.mark.parametrize(("build", "limits", "message"), [
    ({"blank_cells": 2_000}, {"MAX_CELLS": 1_000}, "more than 1,000 cells"),
    ({"empty_rows": 3_000}, {"MAX_ROWS": 10, "MAX_BLANK_ROWS": 10}, "more than 1,020 rows"),
    ({"styles": 2_000}, {"MAX_OTHER_ELEMENTS": 1_000}, "more than 1,000 other elements"),
], ids=["cells", "rows", "other-parts"])
def test_huge_cell_row_and_part_counts_are_refused_before_reading(
    monkeypatch, nothing_built, build, limits, message
):
    for name, value in limits.items():
        monkeypatch.setattr(files if name in ("MAX_ROWS", "MAX_BLANK_ROWS") else xlsx,
                            name, value)
    assert message in _refused(hand_xlsx(ROWS, **build))


def test_a_doctype_in_a_workbook_is_refused(nothing_built):
    assert "cannot be read as an Excel workbook" in _refused(hand_xlsx(ROWS, doctype=True))


def test_a_hostile_workbook_is_refused_on_the_page_and_nothing_is_stored(client, setup, users):
    client.force_login(users["steward"])
    response = client.post(reverse("metrics:import_upload", args=["plan"]),
                           {"file": hand_xlsx(ROWS, strings_after=1_000_000)})
    assert response.status_code == 200
    assert "shared strings" in " ".join(response.context["form"].errors["file"])
    assert not ImportBatch.objects.exists() and not Reading.objects.exists()
