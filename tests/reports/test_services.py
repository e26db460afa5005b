"""Export services: producing a file with progress, queueing on commit (eager without
Redis, a worker's queue with it), failing with a reason, expiring files."""

import datetime
import io
import os
from unittest import mock

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reports import services, tasks
from reports.models import ExportJob

from .factories import ExportJobFactory


def test_progress_is_recorded_pillar_by_pillar(users, small_plan, monkeypatch):
    seen = []
    original = services.produce

    def spying(plan, year, fmt, pillars=None, *, progress=None, language="en"):
        def record(done, total):
            progress(done, total)
            row = ExportJob.objects.get()
            seen.append((row.state, row.progress_done, row.progress_total))
        return original(plan, year, fmt, pillars, progress=record, language=language)

    monkeypatch.setattr(services, "produce", spying)
    job = ExportJobFactory(user=users["comms"], plan=small_plan, format="docx",
                           progress_total=4)
    tasks.run_export(job.pk)
    assert seen == [("running", 1, 4), ("running", 2, 4), ("running", 3, 4),
                    ("running", 4, 4)]
    job.refresh_from_db()
    assert job.state == "done" and job.file_size > 1000
    assert job.started_at <= job.finished_at


def test_a_failed_export_records_why_and_the_page_says_it(client, users, small_plan,
                                                          monkeypatch):
    def broken(report):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("reports.render.word.render_docx", broken)
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


def test_the_embedded_default_runs_the_job_in_this_process_on_commit(
    users, small_plan, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no REDIS_URL
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.export_job_create(user=users["comms"], plan=small_plan,
                                         school_year="2023-24",
                                         pillars=list(small_plan.pillars.all()), fmt="csv")
    job.refresh_from_db()
    assert job.state == "queued" and len(callbacks) == 1  # nothing runs before the commit
    callbacks[0]()
    job.refresh_from_db()
    assert job.state == "done" and job.file_size > 0


def _export_with_a_broker(users, plan, fmt, settings, capture, **queueing):
    """An export job asked for with Redis (not eager), its queueing replaced by a mock
    that `queueing` configures; returns the job as the database holds it."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch("reports.tasks.run_export.apply_async", **queueing) as queued,
        capture(execute=True),
    ):
        job = services.export_job_create(user=users["comms"], plan=plan, school_year="2023-24",
                                         pillars=list(plan.pillars.all()), fmt=fmt)
    queued.assert_called_once_with(args=[job.pk])  # by name, on commit
    job.refresh_from_db()
    return job


def test_an_unreachable_queue_fails_the_job_with_a_reason(users, small_plan, settings,
                                                          django_capture_on_commit_callbacks):
    job = _export_with_a_broker(users, small_plan, "csv", settings,
                                django_capture_on_commit_callbacks,
                                side_effect=OSError("refused"))
    assert job.state == "failed" and "task queue is unreachable" in job.error


def test_with_a_broker_the_job_waits_in_the_queue(users, small_plan, settings,
                                                  django_capture_on_commit_callbacks):
    job = _export_with_a_broker(users, small_plan, "xlsx", settings,
                                django_capture_on_commit_callbacks)
    assert job.state == "queued" and job.progress_total == 4


def test_new_jobs_expire_after_a_day(users, small_plan, settings,
                                     django_capture_on_commit_callbacks):
    job = services.export_job_create(user=users["comms"], plan=small_plan,
                                     school_year="2023-24", pillars=[], fmt="csv")
    assert datetime.timedelta(hours=23) < job.expires_at - timezone.now() <= \
        datetime.timedelta(hours=24)
    settings.REPORT_EXPORT_TTL_HOURS = 2
    assert services.export_ttl() == datetime.timedelta(hours=2)


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
    assert not os.path.exists(path)
    assert ExportJob.objects.get(pk=fresh.pk).state == "done"
    assert tasks.expire_exports() == 0  # the beat task: nothing left to do
    html = client.get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "The file was deleted when it expired" in html
