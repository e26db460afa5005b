"""Spreadsheet import, the pages (metrics/views/imports.py): upload, preview, confirm,
access per role; and the fixtures and helpers the other test_import_* modules share
(test_import_files: reading files; test_import_rows: checking and writing rows;
test_import_template: the template and the round trip with exports)."""

import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics.imports import files, import_rows, read_upload, report
from metrics.models import District, ImportBatch, MetricSnapshot, Reading, StudentGroup
from metrics.services import imports as services_imports
from metrics.services.imports import batch_start
from metrics.views import imports as views

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
    north.plans.add(plan)  # the plan's own: an import offers and accepts only those
    ell.plans.add(plan)
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
    rows = read_upload(csv_file(text))
    return import_rows(plan=setup["plan"], rows=rows, user=user, **kwargs)


def snapshot():
    """Everything an import may write, to prove that a refused one wrote nothing."""
    return (
        sorted(Reading.objects.values_list("pk", "value", "state", "version")),
        Reading.history.count(),
    )


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
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 10)
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file("metric_code,period,value\n")})
    assert "at most 0 MB is accepted" in str(response.context["form"].errors["file"])
    response = client.post(_upload_url(setup), {"file": SimpleUploadedFile("r.txt", b"a")})
    assert "File extension “txt” is not allowed" in str(response.context["form"].errors["file"])


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


# The approve box states the user's intent; the one approval rule (services.readings)
# refuses what the user may not approve, and the page says so: never a server error,
# nothing stored.
REFUSED = "you may not approve values of 1 metric in the file: “{code}”"


@pytest.mark.parametrize(("role", "code"), [("steward", "trained"), ("lead", "other")])
def test_the_approve_box_is_refused_with_a_message_when_the_user_may_not_approve(
    client, setup, users, role, code
):
    # The steward is not shown the box (a forged request); the lead may not approve the
    # other pillar's metric, which they enter.
    client.force_login(users[role])
    response = client.post(_upload_url(setup), {"approve": "on", "file": csv_file(
        f"{HEADER}\n{code},2023-24,5,,,,,,\n"
    )})
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors["approve"] if role == "lead" else form.non_field_errors()
    assert REFUSED.format(code=code) in " ".join(errors)
    html = response.content.decode()
    assert "Untick “Approve at once”" in html and "Nothing was imported" in html
    assert not ImportBatch.objects.exists() and not Reading.objects.exists()


@pytest.mark.parametrize("role", ["leadership", "comms", "outsider"])
def test_the_approve_box_of_a_role_that_may_not_import_at_all_is_a_403(
    client, setup, users, role
):
    client.force_login(users[role])
    response = client.post(_upload_url(setup), {"approve": "on", "file": csv_file(
        f"{HEADER}\ntrained,2023-24,5,,,,,,\n"
    )})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists() and not Reading.objects.exists()


@pytest.mark.parametrize(("role", "codes"), [("lead", ("trained", "rate")),
                                             ("administrator", ("trained", "other"))])
def test_the_approve_box_approves_every_row_for_who_may(client, setup, users, role, codes):
    client.force_login(users[role])
    text = HEADER + "".join(f"\n{code},2023-24,5,,,,,," for code in codes) + "\n"
    client.post(_upload_url(setup), {"approve": "on", "file": csv_file(text)})
    batch = ImportBatch.objects.get()
    assert batch.approve and batch.counts["approved"] == 2
    client.post(_preview_url(batch))
    assert set(Reading.objects.values_list("metric__code", "state")) == {
        (code, "approved") for code in codes
    }


def test_an_approval_no_longer_allowed_at_confirmation_fails_with_the_reason(
    client, setup, users
):
    client.force_login(users["lead"])
    client.post(_upload_url(setup), {"approve": "on", "file": csv_file(
        f"{HEADER}\ntrained,2023-24,5,,,,,,\n"
    )})
    batch = ImportBatch.objects.get()
    setup["trained"].pillar.leads.clear()  # no longer the pillar's lead
    setup["trained"].owners.add(users["lead"])  # but still enters its values
    response = client.post(_preview_url(batch), follow=True)
    assert response.status_code == 200
    assert REFUSED.format(code="trained") in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == "failed" and not Reading.objects.exists()


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
    response = client.post(_upload_url(setup), {"file": csv_file(
        f"{HEADER}\ntrained,2022-23,100,,,,,,\ntrained,2023-24,6000,over,,,,,approved\n"
        "other,2023-24,7,,,,,,approved\nrate,2023-24,,,,,,,\n"
    )})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == _preview_url(batch)
    assert (batch.owner, batch.plan, batch.filename, batch.approve) == (
        users["lead"], setup["plan"], "readings.csv", False
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
    monkeypatch.setattr(report, "PREVIEW_CAP", 40)
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
    monkeypatch.setattr(report, "PREVIEW_CAP", 20)
    batch = batch_start(plan=setup["plan"], user=users["steward"], uploaded_file=csv_file(text))
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


def _upload_url(setup):
    return reverse("metrics:import_upload", args=[setup["plan"].slug])


def _template_url(setup, kind):
    return reverse("metrics:import_template", args=[setup["plan"].slug, kind])


def _preview_url(batch):
    return reverse("metrics:import_preview", args=[batch.plan.slug, batch.pk])


def _batch(setup, user, text=f"{HEADER}\ntrained,2023-24,5,,,,,,\n"):
    return batch_start(plan=setup["plan"], user=user, uploaded_file=csv_file(text))


# --- Each upload is parsed once ---------------------------------------------------------


def test_the_upload_is_parsed_once_and_confirm_reads_the_kept_rows(
    client, setup, users, monkeypatch
):
    client.force_login(users["steward"])
    client.post(_upload_url(setup), {"file": xlsx_file([
        ["metric_code", "period", "value", "note"], ["trained", "2023-24", 6000, "Kept"],
    ])})
    batch = ImportBatch.objects.get()
    with batch.file.storage.open(batch.rows_name, "rb") as kept:
        assert kept.read(2) == b"\x1f\x8b"  # gzip, beside the upload

    def parse_again(*args, **kwargs):
        raise AssertionError("the upload was parsed again")

    monkeypatch.setattr(services_imports, "read_upload", parse_again)
    client.post(_preview_url(batch))
    batch.refresh_from_db()
    assert batch.state == "imported" and Reading.objects.get().note == "Kept"


def test_a_batch_without_kept_rows_reads_its_upload_again(setup, users):
    batch = _batch(setup, users["steward"])
    batch.file.storage.delete(batch.rows_name)  # as a batch previewed before rows were kept
    assert services_imports.batch_confirm(batch=batch, user=users["steward"]).written
    assert Reading.objects.get().value == 5
