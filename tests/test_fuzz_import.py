"""Property-based tests (hypothesis) of the spreadsheet import: files built from generated
rows (CSV and XLSX), uploaded and confirmed as a steward or a pillar lead.

Properties: never a server error; a file with any refused row imports nothing (all or
nothing); what is imported round-trips and is shown escaped; the CSV export of what was
imported holds no live formula. The case budget: tests/conftest.py (`fuzz_budget`).
"""

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from metrics.models import ImportBatch, Reading
from metrics.rowformat import FORMULA_START, looks_like_number

from .conftest import FUZZ_SHARES, fuzz_budget
from .test_fuzz_forms import (
    RAW_MARKUP,
    assert_escaped,
    hostile_number,
    hostile_period,
    hostile_text,
    pages,
    rolled_back,
    send,
    shows_markup,
    stored_before,
    stored_state,
)
from .test_fuzz_forms import as_role as _as_role
from .test_fuzz_forms import world as _world

world, as_role = _world, _as_role  # the fixtures, shared

HEADER = ["metric_code", "period", "value", "qualifier", "district", "student_group", "note",
          "source", "approval_state"]


def rows_strategy():
    cell = st.one_of(hostile_text, hostile_number)
    row = st.fixed_dictionaries({
        "metric_code": st.one_of(st.sampled_from(["rate", "count", "money", "other", ""]), cell),
        "period": st.one_of(st.sampled_from(["2023-24", "2022-23", "2024-25 Q1"]),
                            hostile_period),
        "value": st.one_of(st.sampled_from(["5", "45.5", "12"]), hostile_number),
        "qualifier": st.sampled_from(["", "over", "nearly", "=1", "<script>alert(1)</script>"]),
        "district": st.one_of(st.sampled_from(["", "north", "elsewhere"]), cell),
        "student_group": st.one_of(st.sampled_from(["", "ell"]), cell),
        "note": cell,
        "source": cell,
        "approval_state": st.sampled_from(["", "approved", "submitted", "=1", "draft"]),
    })
    return st.lists(row, min_size=0, max_size=6)


def csv_upload(rows, header):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(key, "") for key in header])
    return SimpleUploadedFile("readings.csv", out.getvalue().encode("utf-8", "surrogatepass"),
                              content_type="text/csv")


def xlsx_upload(rows, header):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        # openpyxl refuses control characters in a cell: what Excel itself cannot hold.
        sheet.append([_xlsx_cell(row.get(key, "")) for key in header])
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("readings.xlsx", out.getvalue())


def _xlsx_cell(text):
    # A text starting with "=" is a formula cell in openpyxl: one the import must refuse.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


@settings(max_examples=fuzz_budget(1800))
@given(rows=rows_strategy(), fmt=st.sampled_from(["csv", "xlsx"]),
       who=st.sampled_from(["steward", "lead"]), approve=st.booleans(),
       header=st.one_of(st.just(HEADER), st.permutations(HEADER),
                        st.lists(st.sampled_from(HEADER + ["", "=1", "<script>"]),
                                 max_size=10)))
def test_import_of_generated_rows_is_all_or_nothing(as_role, world, fuzz_case, rows, fmt, who,
                                                    approve, header):
    plan = world["plan"]
    client = as_role[who]
    upload = (csv_upload if fmt == "csv" else xlsx_upload)(rows, header)
    with rolled_back(fuzz_case):
        before = stored_before(world)
        response = send(client, "post", reverse("metrics:import_upload", args=[plan.slug]),
                        {"file": upload, "approve": "on" if approve else ""})
        if response.status_code != 302:
            assert stored_state() == before
            for markup in RAW_MARKUP:
                assert markup not in response.content.decode()
            return
        batch = ImportBatch.objects.get(owner=world["users"][who])
        preview_url = reverse("metrics:import_preview", args=[plan.slug, batch.pk])
        preview = send(client, "get", preview_url)
        for markup in RAW_MARKUP:
            assert markup not in preview.content.decode()
        can_confirm = batch.can_confirm
        send(client, "post", preview_url)  # the confirmation, offered or forged
        batch.refresh_from_db()
        if not can_confirm or batch.state != ImportBatch.State.IMPORTED:
            assert stored_state()[0] == before[0]  # not one reading of the file
            return
        imported = list(Reading.objects.select_related("metric"))
        assert imported
        texts = [reading.note for reading in imported]
        if shows_markup(*texts):
            assert_escaped(client, *pages(world, imported[0].metric))
        approved = [r for r in imported if r.approved_value is not None]
        if approved:
            assert_csv_export_is_inert(as_role["comms"], world, approved[0].period)


def assert_csv_export_is_inert(client, world, period):
    """The report's CSV data export: every text cell that would run carries the apostrophe."""
    from metrics.periods import Period
    year = str(Period.parse(period).year)
    url = reverse("reports:export", args=[world["plan"].slug, year])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"format": "csv", "pillars": ["mine", "theirs"]})
    assert response.status_code == 302, response.content[:2000]
    from reports.models import ExportJob
    job = ExportJob.objects.latest("pk")
    assert job.file, job.error
    text = job.file.open("rb").read().decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell[:1] in FORMULA_START:
                assert looks_like_number(cell), cell


def test_the_property_budgets_add_up_to_at_least_10000_cases():
    """Issue 12: CI's PostgreSQL leg runs at least 10,000 generated cases (the gate in
    tests/conftest.py counts those that ran; this, that the budgets allow them)."""
    hostile = [n for module, n in FUZZ_SHARES if module.rsplit(".", 1)[-1].startswith("test_fuzz_")]
    assert len(hostile) == 10  # the properties of this file and of test_fuzz_forms.py
    assert sum(hostile) >= 10_000
