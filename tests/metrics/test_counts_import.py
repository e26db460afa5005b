# ruff: noqa: F811 (the fixtures shared from test_import are parameters here)
"""A percent reading's counts in the import, the template and the export (issue 16):
new, updated and refused lines, the pair kept when the file has no count columns, the
round trip, and both write paths of metrics.bulk (COPY on PostgreSQL, SQLite)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics import rowformat
from metrics.imports import UploadError, import_rows, read_upload
from metrics.models import Reading
from metrics.services import reading_record
from reports import services

from .test_import import HEADER, _in_process, run, setup, snapshot  # noqa: F401
from .test_import_template import _export, _exported_rows

COUNTS = f"{HEADER},numerator,denominator"
FIELDS = ("value", "numerator", "denominator", "state", "version")


def test_import_adds_and_updates_readings_with_counts_and_history(setup, users):
    lead = users["lead"]
    report = run(setup, lead, f"{COUNTS}\n"
                 "rate,2023-24,,,,,,,,412,1030\n"
                 "rate,2023-24,37.5,,North District,,,,,3,8\n"
                 "rate,2022-23,45.5,,,,,,,,\n", approve=True)
    assert report.written and (report.new, report.rejected) == (3, 0)
    got = {(r.period, r.district.code if not r.district.is_total else ""):
           (r.value, r.numerator, r.denominator)
           for r in Reading.objects.select_related("district")}
    assert got[("2023-24", "north")] == (Decimal("37.5"), 3, 8)
    assert got[("2022-23", "")] == (Decimal("45.5"), None, None)
    county = Reading.objects.get(period="2023-24", district__is_total=True)
    assert (county.value, county.numerator, county.denominator) == (40, 412, 1030)
    assert county.history.get().numerator == 412
    # Updated: new counts give a new value; the history has both.
    report = run(setup, lead, f"{COUNTS}\nrate,2023-24,,,,,,,,1,4\n", approve=True)
    assert report.written and report.changed == 1
    county.refresh_from_db()
    assert (county.value, county.numerator, county.denominator) == (25, 1, 4)
    assert list(county.history.order_by("history_date").values_list("numerator", flat=True)) == [
        412, 1]


def test_a_file_without_count_columns_keeps_the_counts_and_must_agree(setup, users):
    lead = users["lead"]
    reading_record(metric=setup["rate"], period="2023-24", value=None, numerator=3,
                   denominator=8, approve=True, user=lead)
    report = run(setup, lead, f"{HEADER}\nrate,2023-24,37.5,,,,a note,,\n", approve=True)
    assert report.written and report.changed == 1
    assert Reading.objects.values_list("numerator", "denominator", "note").get() == (3, 8,
                                                                                    "a note")
    before = snapshot()
    report = run(setup, lead, f"{HEADER}\nrate,2023-24,50,,,,,,\n")
    assert not report.written and report.rejected == 1
    assert "is not 3 of 8" in report.rows[0].reasons[0]
    assert "numerator and denominator columns" in report.rows[0].reasons[0]
    assert snapshot() == before


@pytest.mark.parametrize(("cells", "message"), [
    ("rate,2023-24,,,,,,,,5,", "Denominator: Give the numerator and the denominator together"),
    ("rate,2023-24,,,,,,,,9,8", "Numerator: The numerator (9) is a part"),
    ("rate,2023-24,,,,,,,,1,0", "Denominator: The denominator is the whole"),
    ("rate,2023-24,,,,,,,,١٢,20", "Numerator: “١٢” is not a number"),
    ("rate,2023-24,,,,,,,,-1,20", "Numerator: Write a whole number"),
    ("rate,2023-24,,,,,,,,2.5,20", "Numerator: Write a whole number"),
    ("rate,2023-24,,,,,,,,1," + "9" * 25, "Denominator: The number is too large"),
    ("rate,2023-24,40,,,,,,,3,8", "Value: 40 is not 3 of 8"),
    ("trained,2023-24,,,,,,,,3,8", "Numerator: Only a percent"),
])
def test_refused_lines_say_why_with_their_line(setup, users, cells, message):
    before = snapshot()
    report = run(setup, users["lead"], f"{COUNTS}\nrate,2022-23,10,,,,,,,,\n{cells}\n")
    assert not report.written and report.rejected == 1
    refused = [row for row in report.rows if row.reasons and row.line == 3]
    assert refused and any(message in reason for reason in refused[0].reasons), report.rows
    assert snapshot() == before


def test_a_formula_in_a_count_cell_is_refused_not_run(setup, users):
    before = snapshot()
    with pytest.raises(UploadError, match="Line 2, column Numerator: “=1\\+1” is a formula"):
        run(setup, users["lead"], f"{COUNTS}\nrate,2023-24,,,,,,,,=1+1,8\n")
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_imports_back_with_the_counts(setup, users, kind):
    lead = users["lead"]
    reading_record(metric=setup["rate"], period="2023-24", value=None, numerator=1,
                   denominator=3, approve=True, user=lead)
    reading_record(metric=setup["rate"], period="2022-23", value="45.5", approve=True, user=lead)
    reading_record(metric=setup["rate"], period="2023-24", value=None, numerator=2,
                   denominator=7, district=setup["north"], approve=True, user=lead)
    before = sorted(Reading.objects.values_list("period", "district_id", *FIELDS[:-1]))
    upload = _export(kind, _exported_rows())
    again = import_rows(plan=setup["plan"], rows=read_upload(upload), user=lead)
    assert (again.unchanged, again.rejected) == (3, 0)
    Reading.history.all().delete()
    Reading.objects.all().delete()
    upload.seek(0)
    report = import_rows(plan=setup["plan"], rows=read_upload(upload), user=lead)
    assert report.written and report.new == 3
    assert sorted(Reading.objects.values_list("period", "district_id", *FIELDS[:-1])) == before
    assert sorted(Reading.history.filter(history_type="+").values_list("numerator", flat=True),
                  key=lambda n: n or 0) == [None, 1, 2]


def test_the_report_data_export_carries_the_counts_of_the_approved_value(setup, users):
    lead = users["lead"]
    reading_record(metric=setup["rate"], period="2023-24", value=None, numerator=1,
                   denominator=4, approve=True, user=lead)
    rows = {r["period"]: r for r in _exported_rows()}
    assert (rows["2023-24"]["numerator"], rows["2023-24"]["denominator"]) == ("1", "4")
    # A correction waiting for approval: the export writes the approved value, without
    # the counts of the pending one.
    reading_record(metric=setup["rate"], period="2023-24", value=None, numerator=1,
                   denominator=2, approve=False, user=lead)
    row = _exported_rows()[0]
    assert (row["value"], row["numerator"], row["denominator"]) == ("25", "", "")
    content = services.produce(setup["plan"], "2023-24", "xlsx")
    report = import_rows(plan=setup["plan"], user=lead,
                         rows=read_upload(SimpleUploadedFile("data.xlsx", content)))
    assert report.rejected == 0


def test_the_template_has_the_count_columns(setup):
    assert {"numerator", "denominator"} <= set(rowformat.HEADER)


def test_the_upload_page_explains_the_count_columns(client, setup, users):
    client.force_login(users["steward"])
    html = client.get(reverse("metrics:import_upload", args=[setup["plan"].slug])).content.decode()
    assert "<dt>numerator, denominator</dt>" in html
