# ruff: noqa: F811 (the fixtures shared from test_import are parameters here)
"""Spreadsheet import, the upload read in a Celery job (issue 12): the batch `parsing`
with its progress, the page that follows it (a static script, a link without one), the
preview once read, the confirmation from the kept rows, and a failure in the job that
ends as a failed batch with a message, never an error page. (A hostile workbook refused
in the job, through the page: test_import_files.)"""

import json

import pytest
from celery import current_app

from metrics.imports import files, rows
from metrics.models import ImportBatch, Reading
from metrics.services import imports as services_imports
from metrics.tasks import parse_import

from .test_import import (  # noqa: F401 (fixtures)
    HEADER,
    _in_process,
    _preview_url,
    _upload_url,
    csv_file,
    setup,
    xlsx_file,
)

ROWS = f"{HEADER}\ntrained,2023-24,5,,,,,,\ntrained,2022-23,6,,North District,ell,,,\n"


@pytest.fixture
def held(monkeypatch):
    """The parse task queued but not run yet (as when a worker has not taken it): the
    ids of the batches it was sent for."""
    sent = []
    task = current_app.tasks[services_imports.PARSE_TASK]
    monkeypatch.setattr(task, "apply_async", lambda args, **options: sent.append(args[0]))
    return sent


def test_the_parse_task_is_queued_by_name_and_acknowledged_late():
    task = current_app.tasks["metrics.tasks.parse_import"]
    assert task.name == parse_import.name
    assert task.acks_late and task.reject_on_worker_lost


def test_eager_upload_is_read_in_the_job_previewed_and_confirmed_through_the_views(
    client, setup, users, django_capture_on_commit_callbacks
):
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file(ROWS)})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == _preview_url(batch)
    assert batch.state == "previewed" and batch.counts["new"] == 2
    assert (batch.progress_done, batch.progress_total) == (2, 2)
    assert batch.file.storage.exists(batch.rows_name)
    html = client.get(_preview_url(batch)).content.decode()
    assert "Confirm import" in html and "export-job.js" not in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_preview_url(batch))
    batch.refresh_from_db()
    assert batch.state == "imported" and Reading.objects.count() == 2


def test_a_batch_being_read_shows_its_progress_until_read(client, setup, users, held):
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file(ROWS)})
    batch = ImportBatch.objects.get()
    assert response.url == _preview_url(batch) and held == [str(batch.pk)]
    assert batch.state == "parsing" and not batch.file.storage.exists(batch.rows_name)

    html = client.get(_preview_url(batch)).content.decode()
    assert "Reading readings.csv" in html and "Waiting for the file to be read" in html
    assert 'src="/static/reports/export-job.js" defer' in html  # the one job-page script
    assert f'data-export-status="{_preview_url(batch)}?progress=1"' in html
    assert "<script>" not in html  # no inline script: a strict Content-Security-Policy
    assert f'href="{_preview_url(batch)}">Check again now</a>' in html  # without JS
    assert "Confirm import" not in html
    ImportBatch.objects.filter(pk=batch.pk).update(progress_done=40_000, progress_total=90_000)
    polled = client.get(_preview_url(batch) + "?progress=1")
    assert polled["Cache-Control"] == "no-store"
    assert json.loads(polled.content) == {
        "state": "parsing", "state_label": "Reading the file", "finished": False,
        "done": 40_000, "total": 90_000, "message": "Checking the rows: 40,000 of 90,000.",
    }
    response = client.post(_preview_url(batch), follow=True)  # confirmed too early
    assert "still being read" in response.content.decode() and not Reading.objects.exists()

    parse_import.apply(args=[held[0]])  # the worker takes it
    assert json.loads(client.get(_preview_url(batch) + "?progress=1").content)["finished"]
    html = client.get(_preview_url(batch)).content.decode()
    assert "Confirm import" in html and "North District" in html
    parse_import.apply(args=[held[0]])  # delivered again: nothing happens
    batch.refresh_from_db()
    assert batch.state == "previewed" and batch.counts["new"] == 2


def test_progress_is_written_while_reading_and_checking(setup, users, held, monkeypatch):
    monkeypatch.setattr(services_imports, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(files, "PROGRESS_ROWS", 2)
    monkeypatch.setattr(rows, "PROGRESS_ROWS", 2)
    seen = []
    real = services_imports._Progress._write

    def spy(self, done, total):
        seen.append((done, total))
        real(self, done, total)

    monkeypatch.setattr(services_imports._Progress, "_write", spy)
    text = HEADER + "\n" + "".join(f"trained,2023-{m:02d},{m},,,,,,\n" for m in range(7, 13))
    batch = services_imports.batch_start(plan=setup["plan"], user=users["steward"],
                                         uploaded_file=csv_file(text))
    services_imports.batch_parse(batch.pk)
    assert (0, 0) in seen and (2, 0) in seen and (4, 0) in seen  # rows read so far
    assert (0, 6) in seen  # then rows checked of all
    batch.refresh_from_db()
    assert batch.state == "previewed" and (batch.progress_done, batch.progress_total) == (6, 6)


def test_a_file_refused_by_a_worker_is_a_failed_batch_with_the_message(
    client, setup, users, held
):
    client.force_login(users["steward"])
    client.post(_upload_url(setup), {"file": csv_file("nope,nada\n1,2\n")})
    batch = ImportBatch.objects.get()
    parse_import.apply(args=[str(batch.pk)])
    batch.refresh_from_db()
    assert batch.state == "failed" and "has no column for" in " ".join(batch.report["errors"])
    assert not batch.file.storage.exists(batch.file.name)  # nothing kept but the report
    response = client.get(_preview_url(batch))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was imported" in html and "has no column for" in html
    assert "Confirm import" not in html


def test_an_error_in_the_job_ends_as_a_failed_batch_never_a_500(
    client, setup, users, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services_imports, "import_rows", broken)
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file(ROWS)}, follow=True)
    assert response.status_code == 200
    batch = ImportBatch.objects.get()
    assert batch.state == "failed" and batch.report["errors"] == [services_imports.UNEXPECTED]
    html = response.content.decode()
    assert "error on our side" in html and "disk on fire" not in html
    assert not Reading.objects.exists()


def test_a_broker_that_cannot_be_reached_fails_the_batch_with_a_message(
    client, setup, users, monkeypatch
):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(current_app.tasks[services_imports.PARSE_TASK], "apply_async", down)
    client.force_login(users["steward"])
    response = client.post(_upload_url(setup), {"file": csv_file(ROWS)}, follow=True)
    assert response.status_code == 200 and "job queue is unreachable" in (
        response.content.decode())
    assert ImportBatch.objects.get().state == "failed"
