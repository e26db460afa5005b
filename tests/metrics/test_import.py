"""Spreadsheet import of readings: reading files, checking rows, all-or-nothing writes,
the upload / preview / confirm pages, the template, access per role."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics import imports, rowformat
from metrics.models import (
    District,
    ImportBatch,
    MetricSnapshot,
    Reading,
    ReadingState,
    StudentGroup,
)
from metrics.services import reading_record

from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory

HEADER = "metric_code,period,value,qualifier,district,student_group,note,source,approval_state"


@pytest.fixture(autouse=True)
def _in_process(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setup(users):
    """A plan with two pillars: the lead leads the first; the steward owns `trained`."""
    plan = PlanFactory(slug="plan")
    mine, theirs = PillarFactory(plan=plan), PillarFactory(plan=plan)
    mine.leads.add(users["lead"])
    trained = MetricFactory(plan=plan, pillar=mine, code="trained", name="Educators trained")
    rate = MetricFactory(plan=plan, pillar=mine, code="rate", name="Open rate", unit="percent")
    other = MetricFactory(plan=plan, pillar=theirs, code="other", name="Other pillar's metric")
    trained.owners.add(users["steward"])
    other.owners.add(users["lead"])  # the lead enters it but may not approve it
    north = District.objects.create(code="north", name="North District")
    ell = StudentGroup.objects.create(code="ell", name="English learners")
    return {"plan": plan, "trained": trained, "rate": rate, "other": other, "north": north,
            "ell": ell}


def csv_file(text, name="readings.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_file(rows, name="readings.xlsx"):
    return SimpleUploadedFile(name, xlsx_bytes(rows))


def run(setup, user, text, **kwargs):
    rows = imports.read_upload(csv_file(text))
    return imports.import_rows(plan=setup["plan"], rows=rows, user=user, **kwargs)


def snapshot():
    """Everything an import may write, to prove that a refused one wrote nothing."""
    return (
        sorted(Reading.objects.values_list("pk", "value", "state", "version")),
        Reading.history.count(),
    )


# --- Happy paths -----------------------------------------------------------------------


def test_csv_import_adds_submitted_readings_with_history(setup, users):
    steward = users["steward"]
    report = run(setup, steward, f"{HEADER}\n"
                 "trained,2023-24,6000,more than,,,From the survey,Annual report,\n"
                 "trained,2023-24,310,,North District,English learners,,,\n")
    assert report.written and report.ok
    assert (report.new, report.changed, report.unchanged, report.rejected) == (2, 0, 0, 0)
    county = Reading.objects.get(district__is_total=True)
    assert (county.value, county.qualifier, county.note, county.source_text) == (
        Decimal("6000"), "more_than", "From the survey", "Annual report"
    )
    assert (county.state, county.approved_value, county.entered_by, county.version) == (
        ReadingState.SUBMITTED, None, steward, 1
    )
    assert (county.period_start, county.period_end) == (
        datetime.date(2023, 7, 1), datetime.date(2024, 6, 30)
    )
    sliced = Reading.objects.get(district=setup["north"])
    assert sliced.student_group == setup["ell"] and sliced.value == 310
    history = list(Reading.history.order_by("history_id"))
    assert [(h.history_type, h.history_user, h.value, h.id) for h in history] == [
        ("+", steward, Decimal("6000"), county.pk), ("+", steward, Decimal("310"), sliced.pk),
    ]
    # The ids were taken from the table's own sequence: the next reading gets a new one.
    assert ReadingFactory(metric=setup["rate"]).pk > max(county.pk, sliced.pk)


def test_xlsx_import_with_numbers_and_a_month_typed_as_a_date(setup, users):
    report = imports.import_rows(
        plan=setup["plan"], user=users["lead"], approve=True,
        rows=imports.read_upload(xlsx_file([
            ["Metric code", "Period", "Value", "Qualifier"],
            ["trained", "2023-24", 6000, ""],
            ["rate", datetime.datetime(2024, 3, 1), 45.5, None],
            [None, None, None, None],
            ["rate", "2023-24 Q1", Decimal("12.25"), "nearly"],
        ])),
    )
    assert report.written and (report.new, report.approved) == (3, 3)
    values = dict(Reading.objects.values_list("period", "value"))
    assert values == {"2023-24": 6000, "2024-03": Decimal("45.5"), "2023-24 Q1": Decimal("12.25")}
    assert set(Reading.objects.values_list("state", "approved_by__username")) == {
        ("approved", "lead")
    }
    assert [r["line"] for r in report.to_json()["rows"]] == [2, 3, 5]  # line 4 is blank


def test_xlsx_upload_is_stored_previewed_and_imported(client, setup, users):
    client.force_login(users["steward"])
    upload = xlsx_file([["metric_code", "period", "value", "note"],
                        ["trained", "2023-24", 6000, "From XLSX"]])
    response = client.post(_upload_url(setup), {"file": upload})
    batch = ImportBatch.objects.get()
    assert response.url == _preview_url(batch) and batch.file.name.endswith(".xlsx")
    client.post(_preview_url(batch))
    batch.refresh_from_db()
    assert batch.state == "imported"
    assert Reading.objects.get().note == "From XLSX"


def test_changed_rows_keep_the_approved_value_and_unchanged_rows_are_not_written(setup, users):
    kept = ReadingFactory(metric=setup["trained"], period="2022-23", value=100)
    moved = ReadingFactory(metric=setup["trained"], period="2023-24", value=200)
    history_before = Reading.history.count()
    report = run(setup, users["steward"], f"{HEADER}\n"
                 "trained,2022-23,100,,,,,,approved\n"
                 "trained,2023-24,250,,,,,,\n")
    assert (report.new, report.changed, report.unchanged) == (0, 1, 1)
    kept.refresh_from_db()
    moved.refresh_from_db()
    assert (kept.version, kept.state) == (1, ReadingState.APPROVED)
    assert (moved.value, moved.approved_value, moved.state, moved.version) == (
        250, 200, ReadingState.SUBMITTED, 2
    )
    assert Reading.history.count() == history_before + 1
    latest = moved.history.latest()
    assert (latest.history_type, latest.history_user, latest.value) == ("~", users["steward"], 250)


SCENARIOS = [
    # (stored reading or None, row: value, qualifier, note, approve)
    (None, ("10", "", "", False)),
    (None, ("10", "over", "n", True)),
    ({"value": 10, "state": "approved"}, ("10", "", "", False)),
    ({"value": 10, "state": "approved"}, ("11", "", "", False)),
    ({"value": 10, "state": "approved"}, ("11", "nearly", "x", True)),
    ({"value": 10, "state": "submitted"}, ("10", "", "", True)),
    ({"value": 10, "state": "submitted"}, ("10", "", "", False)),
    ({"value": 10, "state": "draft", "review_comment": "Check"}, ("12", "", "", False)),
    ({"value": 10, "state": "approved", "note": "old"}, ("10", "", "new note", False)),
]
COMPARED = ("value", "qualifier", "note", "source_text", "state", "approved_value",
            "approved_qualifier", "approved_by_id", "entered_by_id", "version", "review_comment")


@pytest.mark.parametrize(("stored", "row"), SCENARIOS)
def test_bulk_path_gives_what_reading_record_gives_row_by_row(setup, users, stored, row):
    lead = users["lead"]
    by_service = MetricFactory(plan=setup["plan"], pillar=setup["trained"].pillar, code="a")
    by_import = MetricFactory(plan=setup["plan"], pillar=setup["trained"].pillar, code="b")
    for metric in (by_service, by_import):
        if stored:
            ReadingFactory(metric=metric, period="2023-24", **stored)
    value, qualifier, note, approve = row
    reading_record(metric=by_service, period="2023-24", value=value, qualifier=qualifier,
                   note=note, user=lead, approve=approve)
    run(setup, lead, f"{HEADER}\nb,2023-24,{value},{qualifier},,,{note},,\n", approve=approve)
    service, imported = (Reading.objects.get(metric=m) for m in (by_service, by_import))
    assert [getattr(imported, f) for f in COMPARED] == [getattr(service, f) for f in COMPARED]
    assert service.history.count() == imported.history.count()
    assert (imported.approved_at is None) == (service.approved_at is None)
    if stored is None or service.version > 1:  # written: its history row holds the new state
        record, expected = imported.history.latest(), service.history.latest()
        assert [getattr(record, f) for f in COMPARED] == [getattr(expected, f) for f in COMPARED]
        assert (record.history_type, record.history_user) == (expected.history_type, lead)
        assert (record.period_start, record.period_end, record.created_at) == (
            imported.period_start, imported.period_end, imported.created_at
        )


# --- All or nothing ----------------------------------------------------------------------


def test_one_bad_row_and_nothing_is_written_with_every_problem_by_line(setup, users):
    ReadingFactory(metric=setup["trained"], period="2022-23", value=5)
    before = snapshot()
    report = run(setup, users["steward"], f"{HEADER}\n"
                 "trained,2023-24,6000,,,,,,\n"         # 2: fine
                 "nope,2023-24,1,,,,,,\n"               # 3: unknown metric
                 "trained,2030-31,1,,,,,,\n"            # 4: outside the plan
                 "trained,last year,1,,,,,,\n"          # 5: not a period
                 "trained,2022-23,-3,,,,,,\n"           # 6: negative count
                 "trained,2022-23,1,roughly,South,,,,\n"  # 7: qualifier and district
                 "trained,2023-24,7000,,,,,,\n"         # 8: duplicate of line 2
                 "rate,2023-24,50,,,,,,\n"              # 9: not the steward's metric
                 f"trained,2022-23,{'9' * 30},,,,,,\n"  # 10: too large
                 "trained,2022-23,12,,,,,,sent\n"       # 11: unknown approval state
                 ",2022-23,12,,,,,,\n")                 # 12: no metric code
    assert not report.written and snapshot() == before
    assert report.rejected == 10
    reasons = {r["line"]: " ".join(r["reasons"]) for r in report.to_json()["rows"]
               if r["action"] == "rejected"}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "this plan has no metric “nope”" in reasons[3]
    assert "2030-31 is outside the plan 2022-25" in reasons[4]
    assert "“last year” is not a period" in reasons[5]
    assert "A count is a whole number of 0 or more. You entered -3." in reasons[6]
    assert "Qualifier: “roughly” is not one we know" in reasons[7]
    assert "no district has the code or name “South”" in reasons[7]
    assert "line 2 already has this metric, period, district and student group" in reasons[8]
    assert "you may not enter readings of “rate”" in reasons[9]
    assert "The number is too large" in reasons[10]
    assert "Approval state: “sent”" in reasons[11]
    assert "enter the code of a metric" in reasons[12]


def test_preview_of_a_file_with_errors_lists_them_and_offers_no_confirmation(
    client, setup, users
):
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file(
        f"{HEADER}\ntrained,2023-24,6000,,,,,,\ntrained,2023-24,-1,,,,<script>x</script>,,\n"
    )}, follow=True)
    html = response.content.decode()
    assert "Nothing was imported: 1 row has a problem" in html
    assert "A count is a whole number of 0 or more." in html
    assert "Confirm import" not in html
    batch = ImportBatch.objects.get()
    assert batch.state == "previewed" and batch.counts["rejected"] == 1
    assert client.post(_preview_url(batch)).status_code == 302  # a forged confirmation
    assert not Reading.objects.exists()
    batch.refresh_from_db()
    assert batch.state == "previewed"


def test_a_reading_saved_meanwhile_makes_the_import_fail_cleanly(setup, users, monkeypatch):
    ReadingFactory(metric=setup["trained"], period="2023-24", value=1)
    before = snapshot()
    monkeypatch.setattr(imports, "_existing", lambda checked, lock: {})  # as if not seen yet
    report = run(setup, users["steward"], f"{HEADER}\ntrained,2023-24,6000,,,,,,\n")
    assert not report.written and report.errors == [imports.CONFLICT_MESSAGE]
    assert snapshot() == before


# --- Malformed files ----------------------------------------------------------------------


def _refused(upload):
    with pytest.raises(imports.UploadError) as caught:
        imports.read_upload(upload)
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


def test_numbers_with_signs_are_not_taken_for_formulas(setup, users):
    rows = imports.read_upload(csv_file(
        "metric_code,period,value,note,qualifier\n"
        "trained,2023-24,-3,-2.5,\nrate,2023-24,+5,,+\n"
    ))
    assert [(r["value"], r["note"], r["qualifier"]) for r in rows] == [
        ("-3", "-2.5", ""), ("+5", "", "+")
    ]
    report = imports.import_rows(plan=setup["plan"], rows=rows, user=users["lead"])
    assert report.rejected == 1  # the negative count, as a row problem with its line
    assert "A count is a whole number" in report.rows[0].reasons[0]


def test_size_and_row_limits(monkeypatch):
    text = "metric_code,period,value\n" + "trained,2023-24,1\n" * 5
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 50)
    assert "at most 0 MB is accepted" in _refused(csv_file(text))
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 10_000)
    monkeypatch.setattr(imports, "MAX_ROWS", 4)
    assert "more than 4 data rows" in _refused(csv_file(text))
    assert len(imports.read_upload(csv_file(text.rsplit("trained", 1)[0]))) == 4


def test_the_row_limit_stops_reading_early(monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 10)
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
    with pytest.raises(imports.UploadError):
        imports.read_upload(upload)
    assert len(read) < 20


def test_headers_match_case_and_spaces_and_human_labels_and_other_delimiters():
    rows = imports.read_upload(csv_file(
        "\ufeff Metric Code ;PERIOD;value;Student group;Plan;Whatever\n"
        "trained;2023-24;1,5;ell;ignored;ignored\n"
    ))
    assert rows == [{"line": 2, "metric_code": "trained", "period": "2023-24", "value": "1,5",
                     "student_group": "ell"}]


def test_huge_and_odd_values_are_row_problems(setup, users):
    report = run(setup, users["lead"], "metric_code,period,value\n"
                 f"rate,2023-24,{'1' * 5000}\nrate,2022-23,1e999999\nrate,2024-25,NaN\n"
                 "trained,2023-24,1.5\n")
    reasons = [" ".join(r.reasons) for r in report.rows]
    assert "The number is too large" in reasons[0] and "The number is too large" in reasons[1]
    assert "Enter a finite number." in reasons[2]
    assert "A count is a whole number" in reasons[3]
    assert not Reading.objects.exists()


def test_script_in_a_note_is_stored_as_text_and_shown_escaped(client, setup, users):
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file(
        "metric_code,period,value,note\ntrained,2023-24,5,<script>alert(1)</script>\n"
    )}, follow=True)
    assert b"<script>alert(1)</script>" not in response.content
    client.post(_preview_url(ImportBatch.objects.get()))
    assert Reading.objects.get().note == "<script>alert(1)</script>"  # escaped when shown
    page = client.get(setup["trained"].get_absolute_url()).content
    assert b"<script>alert(1)</script>" not in page


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        ("metric_code,period,value\ntrained,2023-24,1\n".encode("utf-16"), "UTF-16"),
        (b"nope,nada\n1,2\n", "has no column for"),
    ],
)
def test_a_bad_upload_stays_on_the_form_with_the_message_next_to_the_field(
    client, setup, users, content, message
):
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": SimpleUploadedFile("r.csv", content)})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors["file"])
    assert 'id="id_file_error"' in response.content.decode()
    assert not ImportBatch.objects.exists() and not Reading.objects.exists()


def test_a_file_over_the_size_limit_is_refused_by_the_form(client, setup, users, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 10)
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file("metric_code,period,value\n")})
    assert "at most 0 MB is accepted" in str(response.context["form"].errors["file"])
    response = client.post(_upload_url(setup), {"file": SimpleUploadedFile("r.txt", b"a")})
    assert "File extension “txt” is not allowed" in str(response.context["form"].errors["file"])


# --- Approval and access ------------------------------------------------------------------


def test_steward_rows_are_submitted_even_when_the_file_says_approved(setup, users):
    report = run(setup, users["steward"], f"{HEADER}\ntrained,2023-24,5,,,,,,approved\n",
                 approve=True)
    assert report.written and report.approved == 0
    assert Reading.objects.get().state == ReadingState.SUBMITTED


def test_lead_approves_in_own_pillar_only(setup, users):
    report = run(setup, users["lead"], f"{HEADER}\n"
                 "trained,2023-24,5,,,,,,\nrate,2023-24,50,,,,,,\nother,2023-24,7,,,,,,\n",
                 approve=True)
    assert report.written and report.approved == 2
    states = dict(Reading.objects.values_list("metric__code", "state"))
    assert states == {"trained": "approved", "rate": "approved", "other": "submitted"}


def test_an_approved_state_in_the_file_approves_when_the_user_may(setup, users):
    run(setup, users["lead"], f"{HEADER}\nrate,2023-24,50,,,,,,Approved\nrate,2022-23,40,,,,,,\n")
    assert dict(Reading.objects.values_list("period", "state")) == {
        "2023-24": "approved", "2022-23": "submitted"
    }


@pytest.mark.parametrize("role", ["leadership", "comms", "outsider"])
def test_read_only_roles_and_outsiders_get_403(client, setup, users, role):
    batch = _batch(setup, users["steward"])
    client.force_login(users[role])
    for url in (_upload_url(setup), _template_url(setup, "csv"), _preview_url(batch)):
        assert client.get(url).status_code == 403
    assert client.post(_upload_url(setup), {"file": csv_file("a")}).status_code == 403
    assert client.post(_preview_url(batch)).status_code == 403
    assert not Reading.objects.exists()


def test_signed_out_users_are_sent_to_sign_in(client, setup, users):
    batch = _batch(setup, users["steward"])
    for url in (_upload_url(setup), _template_url(setup, "xlsx"), _preview_url(batch)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.post(_preview_url(batch)).status_code == 302
    batch.refresh_from_db()
    assert batch.state == "previewed"


def test_a_user_of_another_plan_gets_403(client, setup, users):
    elsewhere = MetricFactory(plan=PlanFactory(slug="elsewhere"))
    elsewhere.owners.add(users["comms"])
    client.force_login(users["steward"])
    assert client.get(reverse("metrics:import_upload", args=["elsewhere"])).status_code == 403
    assert client.get(reverse("metrics:import_upload", args=["missing"])).status_code == 404


def test_someone_elses_batch_is_not_found(client, setup, users):
    batch = _batch(setup, users["steward"])
    client.force_login(users["lead"])
    assert client.get(_preview_url(batch)).status_code == 404
    assert client.post(_preview_url(batch)).status_code == 404
    batch.refresh_from_db()
    assert batch.state == "previewed" and not Reading.objects.exists()


def test_wrong_methods_get_405(client, setup, users):
    batch = _batch(setup, users["steward"])
    client.force_login(users["steward"])
    for url in (_upload_url(setup), _preview_url(batch)):
        assert client.put(url).status_code == 405
        assert client.delete(url).status_code == 405
    assert client.post(_template_url(setup, "csv")).status_code == 405


def test_upload_page_offers_approval_to_approvers_only(client, setup, users):
    client.force_login(users["steward"])
    html = client.get(_upload_url(setup)).content.decode()
    assert '<label for="id_file">' in html and "Approve at once" not in html
    assert _template_url(setup, "xlsx") in html
    client.force_login(users["lead"])
    html = client.get(_upload_url(setup)).content.decode()
    assert '<label for="id_approve">Approve at once' in html


# --- The pages: upload, preview, confirm ---------------------------------------------------


def test_upload_preview_confirm_and_confirm_again(
    client, setup, users, django_capture_on_commit_callbacks
):
    ReadingFactory(metric=setup["trained"], period="2022-23", value=100)
    client.force_login(users["lead"])
    response = client.post(_upload_url(setup), {"approve": "on", "file": csv_file(
        f"{HEADER}\ntrained,2022-23,100,,,,,,\ntrained,2023-24,6000,over,,,,,\n"
        "other,2023-24,7,,,,,,\nrate,2023-24,,,,,,,\n"
    )})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == _preview_url(batch)
    assert (batch.owner, batch.plan, batch.filename, batch.approve) == (
        users["lead"], setup["plan"], "readings.csv", True
    )
    assert batch.file.name == f"imports/{batch.pk}.csv"
    html = client.get(_preview_url(batch)).content.decode()
    assert "Confirm import" in html
    assert re.search(r"<dt>New readings</dt><dd>2</dd>", html)
    assert re.search(r"<dt>Unchanged \(not written\)</dt><dd>1</dd>", html)
    assert re.search(r"<dt>Skipped \(no value\)</dt><dd>1</dd>", html)
    assert "over 6,000" in html and "New</strong>, approved" in html
    assert "submitted for approval" in html  # the other pillar's metric
    assert Reading.objects.count() == 1  # a preview writes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_preview_url(batch), follow=True)
    assert "Imported readings.csv: 2 new and 0 changed readings (1 approved at once" in (
        response.content.decode()
    )
    batch.refresh_from_db()
    assert batch.state == "imported" and batch.imported_at is not None
    assert Reading.objects.count() == 3
    snap = MetricSnapshot.objects.county_wide().get(metric=setup["trained"])
    assert (snap.latest_period, snap.latest_value) == ("2023-24", 6000)  # rebuilt on commit
    history = Reading.history.count()

    response = client.post(_preview_url(batch), follow=True)
    assert "imported already: nothing was done" in response.content.decode()
    assert Reading.objects.count() == 3 and Reading.history.count() == history
    assert "Confirm import" not in response.content.decode()


def test_confirm_checks_again_and_fails_when_things_changed(client, setup, users):
    batch = _batch(setup, users["steward"], f"{HEADER}\ntrained,2023-24,5,,,,,,\n")
    setup["trained"].owners.clear()
    setup["trained"].owners.add(users["administrator"])  # the steward keeps no metric... yet
    MetricFactory(plan=setup["plan"], pillar=setup["trained"].pillar).owners.add(users["steward"])
    client.force_login(users["steward"])
    response = client.post(_preview_url(batch), follow=True)
    assert "Nothing was imported: the values changed since the preview" in (
        response.content.decode()
    )
    batch.refresh_from_db()
    assert batch.state == "failed" and batch.counts["rejected"] == 1
    assert not Reading.objects.exists()


def test_large_preview_is_paginated_and_capped(client, setup, users, monkeypatch):
    from metrics.views import imports as views

    monkeypatch.setattr(imports, "PREVIEW_CAP", 40)
    monkeypatch.setattr(views, "PREVIEW_PAGE_SIZE", 30)
    months = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)][6:]  # 2023-07 on
    text = "metric_code,period,value,district\n" + "".join(
        f"trained,{p},{i},{d}\n" for i, p in enumerate(months) for d in ("", "", "north", "x")
    )  # per month: new, duplicate, new, unknown district
    client.force_login(users["steward"])
    client.post(_upload_url(setup), {"file": csv_file(text)})
    batch = ImportBatch.objects.get()
    assert batch.counts == {"total": 72, "new": 36, "changed": 0, "unchanged": 0,
                            "skipped": 0, "rejected": 36, "approved": 0}
    assert batch.report["shown"]["rejected"] == 36 and len(batch.report["rows"]) == 72
    monkeypatch.setattr(imports, "PREVIEW_CAP", 20)
    batch = imports.batch_start(plan=setup["plan"], user=users["steward"],
                                uploaded_file=csv_file(text))
    assert len(batch.report["rows"]) == 40
    html = client.get(_preview_url(batch)).content.decode()
    assert "the list below holds the first 20 rows of each outcome" in html
    assert "Page 1 of 2" in html and "Next page" in html and "Rejected (36)" in html
    html = client.get(_preview_url(batch) + "?show=rejected&page=1").content.decode()
    assert "Next page" not in html
    assert html.count("Duplicate: line") == 10 + 10  # in the summary of problems and the list
    html = client.get(_preview_url(batch) + "?page=2").content.decode()
    assert "Page 2 of 2" in html and "Previous page" in html
    assert client.get(_preview_url(batch) + "?page=99&show=bogus").status_code == 200


# --- Round trip with the row format, template --------------------------------------------


def _exported_rows():
    return [rowformat.reading_row(r) for r in rowformat.export_readings(
        Reading.objects.first().metric.plan
    )]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_exported_file_imports_back_as_it_is(setup, users, kind):
    trained, rate = setup["trained"], setup["rate"]
    reading_record(metric=trained, period="2023-24", value="6000", qualifier="more_than",
                   note="Line one\nline two, with “quotes”", source_text="More than 6,000",
                   approve=True, user=users["lead"])
    reading_record(metric=trained, period="2023-24", value="310", district=setup["north"],
                   student_group=setup["ell"], approve=True, user=users["lead"])
    reading_record(metric=rate, period="2023-24 Q2", value="45.5", qualifier="plus",
                   approve=True, user=users["lead"])
    reading_record(metric=rate, period="2024-03", value="0.0001", approve=True,
                   user=users["lead"])
    exported = _exported_rows()
    fields = ("metric_id", "period", "district_id", "student_group_id", "value", "qualifier",
              "note", "source_text", "state", "approved_value", "approved_qualifier")
    before = sorted(Reading.objects.values_list(*fields))
    if kind == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, rowformat.HEADER)
        writer.writeheader()
        writer.writerows(exported)
        upload = csv_file(out.getvalue())
    else:
        upload = xlsx_file([[label for _, label in rowformat.COLUMNS]]
                           + [[row[key] for key in rowformat.HEADER] for row in exported])

    again = imports.import_rows(plan=setup["plan"], rows=imports.read_upload(upload),
                                user=users["lead"])
    assert (again.unchanged, again.new, again.changed, again.rejected) == (4, 0, 0, 0)

    Reading.history.all().delete()
    Reading.objects.all().delete()
    upload.seek(0)
    report = imports.import_rows(plan=setup["plan"], rows=imports.read_upload(upload),
                                 user=users["lead"])
    assert report.written and (report.new, report.approved) == (4, 4)
    assert sorted(Reading.objects.values_list(*fields)) == before
    assert Reading.history.filter(history_type="+", history_user=users["lead"]).count() == 4


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
    report = imports.import_rows(plan=setup["plan"], user=users["steward"],
                                 rows=imports.read_upload(csv_file(out.getvalue())))
    assert report.written and report.new == 1


def test_template_periods_follow_frequency_and_stay_inside_the_plan(setup, users):
    plan = setup["plan"]  # 2022-23 to 2024-25
    monthly = MetricFactory(plan=plan, pillar=setup["trained"].pillar, frequency="monthly")
    quarterly = MetricFactory(plan=plan, pillar=setup["trained"].pillar, frequency="quarterly")
    late = datetime.date(2030, 1, 1)
    assert imports.next_period(monthly, plan, None, late).text == "2025-06"
    assert imports.next_period(quarterly, plan, None, late).text == "2024-25 Q4"
    assert imports.next_period(setup["trained"], plan, None, late).text == "2024-25"
    assert imports.next_period(monthly, plan, None, datetime.date(2023, 9, 9)).text == "2023-09"
    assert imports.next_period(quarterly, plan, "2023-24 Q4", late).text == "2024-25 Q1"
    assert imports.next_period(monthly, plan, None, datetime.date(2001, 1, 1)).text == "2022-07"
    rows = imports.template_rows(plan, users["administrator"], today=late)
    assert len(rows) == 5 and all(r["district"] == "All districts (county-wide)" for r in rows)


def test_lacoe_template_imports_for_a_lead(setup, lacoe_plan, users):
    pillar = lacoe_plan.pillars.first()
    pillar.leads.add(users["lead"])
    rows = imports.template_rows(lacoe_plan, users["lead"])
    assert rows and all(r["period"] for r in rows)
    for index, row in enumerate(rows):
        row["line"], row["value"] = index + 2, "1"
    report = imports.import_rows(plan=lacoe_plan, rows=rows, user=users["lead"], dry_run=True)
    assert report.rejected == 0 and report.new + report.changed + report.unchanged == len(rows)


# --- Cost --------------------------------------------------------------------------------


def _queries(setup, user, groups, bump=0, **kwargs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    text = "metric_code,period,value,student_group\n" + "".join(
        f"{code},2023-24,{(i + bump) % 100},{g.code}\n" for code in ("trained", "rate")
        for i, g in enumerate(groups)
    )
    rows = imports.read_upload(csv_file(text))
    with CaptureQueriesContext(connection) as queries:
        report = imports.import_rows(plan=setup["plan"], rows=rows, user=user, **kwargs)
    assert report.ok
    return len(queries)


@pytest.mark.parametrize("dry_run", [True, False])
def test_queries_do_not_grow_with_rows(setup, users, dry_run):
    groups = [StudentGroup.objects.create(code=f"g{i}", name=f"Group {i}") for i in range(300)]
    few = _queries(setup, users["lead"], groups[:5], dry_run=dry_run)
    many = _queries(setup, users["lead"], groups[5:], dry_run=dry_run)
    assert many <= few <= 20  # (the first import also loads the user's permissions)
    if not dry_run:
        assert Reading.objects.count() == Reading.history.count() == 600
        # and again, every value changed: the update path costs the same
        changed = _queries(setup, users["lead"], groups[5:], bump=1, approve=True)
        assert changed <= 20
        assert Reading.objects.filter(state="approved", version=2).count() == 590
        assert Reading.history.filter(history_type="~").count() == 590


def _upload_url(setup):
    return reverse("metrics:import_upload", args=[setup["plan"].slug])


def _template_url(setup, kind):
    return reverse("metrics:import_template", args=[setup["plan"].slug, kind])


def _preview_url(batch):
    return reverse("metrics:import_preview", args=[batch.plan.slug, batch.pk])


def _batch(setup, user, text=f"{HEADER}\ntrained,2023-24,5,,,,,,\n"):
    return imports.batch_start(plan=setup["plan"], user=user, uploaded_file=csv_file(text))
