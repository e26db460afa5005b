"""Writes of the reports app: highlights, export jobs and the export files themselves."""

import datetime
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from . import selectors
from .models import ExportFormat, ExportJob, ExportState, Highlight
from .report import build_report, report_title

log = logging.getLogger(__name__)

# How long a produced file is kept; settings.REPORT_EXPORT_TTL_HOURS may change it.
DEFAULT_TTL_HOURS = 24
CONTENT_TYPES = {
    ExportFormat.PDF: "application/pdf",
    ExportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}


class ExportUnavailable(Exception):
    """An export this server cannot produce; the message says why in plain words."""


def export_ttl():
    return datetime.timedelta(hours=getattr(settings, "REPORT_EXPORT_TTL_HOURS",
                                            DEFAULT_TTL_HOURS))


def highlight_save(*, plan, pillar, school_year, body, user):
    """Create or update the highlights of `pillar` (None: the introduction) for a year."""
    with transaction.atomic():
        highlight = (
            Highlight.objects.select_for_update()
            .filter(plan=plan, pillar=pillar, school_year=school_year).order_by("pk").first()
        ) or Highlight(plan=plan, pillar=pillar, school_year=school_year)
        highlight.body = body.strip()
        highlight.updated_by = user
        highlight.full_clean()
        highlight.save()
    return highlight


def export_filename(plan, school_year, fmt, pillars, all_pillars):
    kind = "annual-report" if fmt in (ExportFormat.PDF, ExportFormat.DOCX) else "data"
    parts = [plan.slug, kind, school_year]
    if not all_pillars:
        parts.append("pillars-" + "-".join(str(p.order) for p in pillars))
    if plan.is_synthetic and "synthetic" not in plan.slug:
        parts.insert(0, "synthetic-data")
    return slugify("-".join(parts)) + f".{fmt}"


def produce(plan, school_year, fmt, pillars=None, *, progress=None):
    """The export file of `plan` for `school_year` as bytes.

    `pillars` (all when None) limit the pillar sections and rows; plan-wide figures
    are always in. `progress(done, total)` follows the pillars, then the writing.
    Raises ExportUnavailable when this server cannot write the format.
    """
    chosen = list(plan.pillars.all()) if pillars is None else list(pillars)
    total = len(chosen) + 1

    def step(done, _total):
        if progress:
            progress(done, total)

    if fmt in (ExportFormat.PDF, ExportFormat.DOCX):
        if fmt == ExportFormat.PDF:
            from .pdf import render_pdf, unavailable_reason

            reason = unavailable_reason()
            if reason:
                raise ExportUnavailable(reason)
            writer = render_pdf
        else:
            from .word import render_docx as writer
        report = build_report(plan, school_year, pillars, progress=step)
        data = writer(report)
    elif fmt in (ExportFormat.CSV, ExportFormat.XLSX):
        from .spreadsheets import data_rows, write_csv, write_xlsx

        rows = data_rows(plan, school_year, pillars, progress=step)
        if fmt == ExportFormat.CSV:
            data = write_csv(plan, rows)
        else:
            data = write_xlsx(plan, rows, title=report_title(plan, school_year),
                              school_year=school_year, pillars=chosen)
    else:
        raise ExportUnavailable(f"Unknown export format “{fmt}”.")
    step(total, total)
    return data


def export_job_create(*, user, plan, school_year, pillars, fmt):
    """Record an export job and queue its task once the job is committed."""
    pillars = sorted(pillars, key=lambda p: p.order)
    with transaction.atomic():
        job = ExportJob(
            user=user, plan=plan, school_year=school_year, format=fmt,
            progress_total=len(pillars) + 1, expires_at=timezone.now() + export_ttl(),
        )
        job.full_clean()
        job.save()
        job.pillars.set(pillars)
        transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id):
    from .tasks import run_export

    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            run_export.apply(args=[job_id])  # the embedded default: in this process
        else:
            run_export.delay(job_id)
    except Exception as exc:  # noqa: BLE001 - the broker is down: say so on the job page
        log.exception("Could not queue export job %s", job_id)
        ExportJob.objects.filter(pk=job_id, state=ExportState.QUEUED).update(
            state=ExportState.FAILED, finished_at=timezone.now(),
            error=f"The export could not be queued: the task queue is unreachable ({exc}). "
                  "Try again in a few minutes.",
        )


def export_job_run(*, job):
    """Produce the file of `job`, recording progress as it goes; never raises.

    A job that is not queued (done, failed, expired or taken by another worker) is
    left as it is, so running the task twice does no harm.
    """
    taken = ExportJob.objects.filter(pk=job.pk, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, started_at=timezone.now()
    )
    if not taken:
        return job
    job.refresh_from_db()
    pillars = list(job.pillars.order_by("order"))
    all_pillars = len(pillars) == job.plan.pillars.count()

    def progress(done, total):
        ExportJob.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total)

    try:
        data = produce(job.plan, job.school_year, job.format,
                       None if all_pillars else pillars, progress=progress)
    except ExportUnavailable as exc:
        return _fail(job, str(exc))
    except Exception as exc:  # noqa: BLE001 - recorded on the job, shown on its page
        log.exception("Export job %s failed", job.pk)
        return _fail(job, f"The export failed: {exc.__class__.__name__}: {exc}")
    job.refresh_from_db()
    job.filename = export_filename(job.plan, job.school_year, job.format, pillars, all_pillars)
    job.file.save(job.filename, ContentFile(data), save=False)
    job.file_size = len(data)
    job.state = ExportState.DONE
    job.progress_done = job.progress_total
    job.finished_at = timezone.now()
    job.save()
    return job


def _fail(job, reason):
    job.refresh_from_db()
    job.state = ExportState.FAILED
    job.error = reason
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])
    return job


def exports_expire(now=None):
    """Delete the files of expired export jobs and mark them expired; return how many."""
    now = now or timezone.now()
    count = 0
    for job in selectors.expired_jobs(now):
        if job.file:
            job.file.delete(save=False)
        job.file = ""
        job.state = ExportState.EXPIRED
        job.save(update_fields=["file", "state"])
        count += 1
    return count
