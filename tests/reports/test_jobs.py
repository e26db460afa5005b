"""Export jobs: queued from the page, run as a Celery task, progress, failure, expiry."""

import datetime
import io
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reports import services, tasks
from reports.models import ExportJob

from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory
from .factories import ExportJobFactory


@pytest.fixture
def small_plan(db):
    plan = PlanFactory(name="Small plan", slug="small")
    for order in (1, 2, 3):
        pillar = PillarFactory(plan=plan, order=order, slug=f"p{order}",
                               name=f"Pillar name {order}")
        metric = MetricFactory(pillar=pillar, is_headline=True, headline_label=f"Callout {order}",
                               headline_order=1)
        ReadingFactory(metric=metric, value=1000 * order)
    return plan


def _post_export(client, plan, django_capture_on_commit_callbacks, **data):
    url = reverse("reports:export", args=[plan.slug, "2023-24"])
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, data)


def test_an_export_runs_and_its_file_downloads(client, users, small_plan,
                                               django_capture_on_commit_callbacks):
    client.force_login(users["comms"])
    response = _post_export(client, small_plan, django_capture_on_commit_callbacks,
                            format="csv", pillars=["p1", "p3"])
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:job", args=[job.pk])
    assert job.state == "done" and job.progress_done == job.progress_total == 3
    assert job.user == users["comms"] and job.filename == "small-data-2023-24-pillars-1-3.csv"
    page = client.get(response.url).content.decode()
    assert "Ready to download" in page and reverse("reports:download", args=[job.pk]) in page
    assert "Available until" in page
    download = client.get(reverse("reports:download", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "Callout" not in body and "Pillar name 1" in body and "Pillar name 3" in body
    assert "Pillar name 2" not in body
    assert download["Content-Type"] == "text/csv; charset=utf-8"


def test_progress_is_recorded_pillar_by_pillar(users, small_plan, monkeypatch):
    seen = []
    original = services.produce

    def spying(plan, year, fmt, pillars=None, *, progress=None):
        def record(done, total):
            progress(done, total)
            row = ExportJob.objects.get()
            seen.append((row.state, row.progress_done, row.progress_total))
        return original(plan, year, fmt, pillars, progress=record)

    monkeypatch.setattr(services, "produce", spying)
    job = ExportJobFactory(user=users["comms"], plan=small_plan, format="docx",
                           progress_total=4)
    tasks.run_export(job.pk)
    assert seen == [("running", 1, 4), ("running", 2, 4), ("running", 3, 4),
                    ("running", 4, 4)]
    job.refresh_from_db()
    assert job.state == "done" and job.file_size > 1000
    assert job.started_at <= job.finished_at


def test_a_running_job_shows_real_progress_with_and_without_javascript(client, users,
                                                                       small_plan):
    job = ExportJobFactory(user=users["comms"], plan=small_plan, state="running",
                           progress_done=2, progress_total=4)
    client.force_login(users["comms"])
    html = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert '<progress id="export-progress" max="4" value="2">50%</progress>' in html
    assert "2 of 3 pillars done." in html
    assert "Check again now" in html  # without JavaScript: one click
    assert "export-job.js" in html and 'http-equiv="refresh"' not in html
    status = client.get(reverse("reports:job_status", args=[job.pk])).json()
    assert status == {"state": "running", "state_label": "Being produced", "done": 2,
                      "total": 4, "finished": False, "message": "2 of 3 pillars done."}


def test_a_failed_export_records_why_and_the_page_says_it(client, users, small_plan,
                                                          monkeypatch):
    def broken(report):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("reports.word.render_docx", broken)
    job = ExportJobFactory(user=users["comms"], plan=small_plan, format="docx")
    tasks.run_export(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and not job.file
    assert job.error == "The export failed: RuntimeError: the disk is full"
    client.force_login(users["comms"])
    html = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "The export failed." in html and "the disk is full" in html
    assert "Try the export again" in html
    assert client.get(reverse("reports:download", args=[job.pk])).status_code == 302


def test_without_the_pdf_libraries_the_app_says_so(client, users, small_plan, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    reason = "PDF export is unavailable on this server: the PDF library is not installed."
    monkeypatch.setattr("reports.pdf.unavailable_reason", lambda: reason)
    monkeypatch.setattr("reports.forms.unavailable_reason", lambda: reason)
    client.force_login(users["comms"])
    url = reverse("reports:export", args=[small_plan.slug, "2023-24"])
    assert reason in client.get(url).content.decode()
    response = _post_export(client, small_plan, django_capture_on_commit_callbacks,
                            format="pdf", pillars=["p1"])
    html = response.content.decode()
    assert response.status_code == 200 and reason in html and "There is a problem" in html
    assert not ExportJob.objects.exists()
    # A job asked for otherwise (an old form, the admin) fails with the same plain words.
    job = ExportJobFactory(user=users["comms"], plan=small_plan, format="pdf")
    tasks.run_export(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.error == reason


def test_an_unreachable_queue_fails_the_job_with_a_reason(users, small_plan, settings,
                                                          django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch("reports.tasks.run_export.delay", side_effect=OSError("refused")) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = services.export_job_create(user=users["comms"], plan=small_plan,
                                         school_year="2023-24",
                                         pillars=list(small_plan.pillars.all()), fmt="csv")
    delay.assert_called_once_with(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and "task queue is unreachable" in job.error


def test_with_a_broker_the_job_waits_in_the_queue(users, small_plan, settings,
                                                  django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch("reports.tasks.run_export.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        job = services.export_job_create(user=users["comms"], plan=small_plan,
                                         school_year="2023-24",
                                         pillars=list(small_plan.pillars.all()), fmt="xlsx")
    delay.assert_called_once_with(job.pk)
    job.refresh_from_db()
    assert job.state == "queued" and job.progress_total == 4


def test_running_a_job_twice_does_it_once(users, small_plan):
    job = ExportJobFactory(user=users["comms"], plan=small_plan, format="csv")
    assert tasks.run_export(job.pk) == "done"
    first = ExportJob.objects.get().file.name
    assert tasks.run_export(job.pk) == "done"
    assert ExportJob.objects.get().file.name == first
    assert tasks.run_export(999999) is None


def test_form_errors_keep_what_was_chosen(client, users, small_plan,
                                          django_capture_on_commit_callbacks):
    client.force_login(users["comms"])
    response = _post_export(client, small_plan, django_capture_on_commit_callbacks,
                            format="xlsx")
    html = response.content.decode()
    assert response.status_code == 200 and "Choose at least one pillar." in html
    assert '<input type="radio" name="format" value="xlsx" id="id_format_2" required checked>' \
        in html
    assert 'id="id_pillars_error"' in html
    assert 'aria-describedby="id_pillars_helptext id_pillars_error"' in html
    assert not ExportJob.objects.exists()


def test_expired_files_are_deleted_and_the_download_says_so(client, users, small_plan,
                                                            settings):
    job = ExportJobFactory(user=users["comms"], plan=small_plan, state="done",
                           filename="data.csv")
    job.file.save("data.csv", ContentFile(b"x"), save=True)
    fresh = ExportJobFactory(user=users["comms"], plan=small_plan, state="done",
                             filename="fresh.csv")
    fresh.file.save("fresh.csv", ContentFile(b"y"), save=True)
    path = job.file.path
    client.force_login(users["comms"])
    url = reverse("reports:download", args=[job.pk])
    assert client.get(url).status_code == 200
    ExportJob.objects.filter(pk=job.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.get(url)  # expired, even before the clean-up ran
    assert response.status_code == 410 and "This export has expired" in response.content.decode()
    out = io.StringIO()
    call_command("expire_exports", stdout=out)
    assert "Deleted the files of 1 expired export." in out.getvalue()
    job.refresh_from_db()
    assert job.state == "expired" and not job.file
    import os

    assert not os.path.exists(path)
    assert ExportJob.objects.get(pk=fresh.pk).state == "done"
    assert tasks.expire_exports() == 0  # the beat task: nothing left to do
    html = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "The file was deleted when it expired" in html


def test_new_jobs_expire_after_a_day(users, small_plan, settings,
                                     django_capture_on_commit_callbacks):
    job = services.export_job_create(user=users["comms"], plan=small_plan,
                                     school_year="2023-24", pillars=[], fmt="csv")
    assert datetime.timedelta(hours=23) < job.expires_at - timezone.now() <= \
        datetime.timedelta(hours=24)
    settings.REPORT_EXPORT_TTL_HOURS = 2
    assert services.export_ttl() == datetime.timedelta(hours=2)


def test_administrators_see_every_export_and_owners_only_theirs(client, users, small_plan):
    mine = ExportJobFactory(user=users["comms"], plan=small_plan)
    theirs = ExportJobFactory(user=users["leadership"], plan=small_plan)
    assert set(ExportJob.objects.visible_to(users["administrator"])) == {mine, theirs}
    assert set(ExportJob.objects.visible_to(users["comms"])) == {mine}
    assert not ExportJob.objects.visible_to(users["steward"]).exists()
    client.force_login(users["administrator"])
    html = client.get(reverse("reports:job", args=[theirs.pk])).content.decode()
    assert "by leadership" in html


def test_the_export_command_needs_a_plan(db, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No plan is loaded"):
        call_command("export_annual_report", "--year", "2023-24", "--format", "csv",
                     "--output", str(tmp_path / "x.csv"))
