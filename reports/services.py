"""Writes of the reports app: highlights, export jobs and the export files themselves.

An export job's task is queued by name once the job is committed (EXPORT_TASK), so
this module never imports reports.tasks: the tasks import the services. Celery's own
`task_always_eager` (no REDIS_URL) runs the queued task in this process; with Redis a
worker takes it. A broker that is down fails the job with a reason, never the request.
"""

import datetime
import logging

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify

from . import selectors
from .data import build_data
from .lcap import build_lcap
from .models import ExportFormat, ExportJob, ExportState, Highlight
from .render import deck, pdf, spreadsheets, word
from .report import build_report

log = logging.getLogger(__name__)

# Registered when Django starts (ReportsConfig.ready imports reports.tasks).
EXPORT_TASK = "reports.tasks.run_export"

# How long a produced file is kept; settings.REPORT_EXPORT_TTL_HOURS may change it.
DEFAULT_TTL_HOURS = 24
_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    ExportFormat.PDF: "application/pdf",
    ExportFormat.DOCX: _WORD,
    ExportFormat.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ExportFormat.LCAP_DOCX: _WORD,
    ExportFormat.LCAP_XLSX: _EXCEL,
    ExportFormat.XLSX: _EXCEL,
    ExportFormat.CSV: "text/csv; charset=utf-8",
}
FILE_KINDS = {
    ExportFormat.PDF: "annual-report", ExportFormat.DOCX: "annual-report",
    ExportFormat.PPTX: "board-deck", ExportFormat.LCAP_DOCX: "lcap-results",
    ExportFormat.LCAP_XLSX: "lcap-results",
    # The staff data export (reports/data.py) is whole: its name says it is internal.
    ExportFormat.CSV: "internal-data", ExportFormat.XLSX: "internal-data",
}


class ExportUnavailable(Exception):
    """An export this server cannot produce; the message says why in plain words."""


def export_ttl():
    return datetime.timedelta(hours=getattr(settings, "REPORT_EXPORT_TTL_HOURS",
                                            DEFAULT_TTL_HOURS))


def highlight_save(*, plan, pillar, school_year, user, body=None, body_es=None):
    """Create or update the highlights of `pillar` (None: the introduction) for a year:
    the English text (`body`), its Spanish version (`body_es`), or both; None leaves a
    version as it is. Each is written to its own field, whatever language the request
    is in (pillars/translation.py)."""
    with transaction.atomic():
        highlight = (
            Highlight.objects.select_for_update()
            .filter(plan=plan, pillar=pillar, school_year=school_year).order_by("pk").first()
        ) or Highlight(plan=plan, pillar=pillar, school_year=school_year)
        if body is not None:
            highlight.body_en = body.strip()
            highlight.body = highlight.body_en  # the plain column keeps the English text
        if body_es is not None:
            highlight.body_es = body_es.strip() or None
        highlight.updated_by = user
        highlight.full_clean()
        highlight.save()
    return highlight


def export_filename(plan, school_year, fmt, pillars, all_pillars, language="en"):
    kind = FILE_KINDS[fmt]
    parts = [plan.slug, kind, school_year]
    if language != "en":
        parts.append(language)
    if not all_pillars:
        parts.append("pillars-" + "-".join(str(p.order) for p in pillars))
    if plan.is_synthetic and "synthetic" not in plan.slug:
        parts.insert(0, "synthetic-data")
    return slugify("-".join(parts)) + f".{ExportFormat(fmt).extension}"


def export_language():
    """The language an export is written in unless the user chooses: the page's own."""
    active = (translation.get_language() or "en").split("-")[0]
    return active if active in dict(settings.LANGUAGES) else "en"


def produce(plan, school_year, fmt, pillars=None, *, progress=None, language="en"):
    """The export file of `plan` for `school_year` as bytes, in `language` (its
    headings through the catalogue, the plan's content through its translated fields).

    `pillars` (all when None) limit the pillar sections and rows; plan-wide figures
    are always in. `progress(done, total)` follows the pillars, then the writing.
    Raises ExportUnavailable when this server cannot write the format.
    """
    with translation.override(language):
        return _produce(plan, school_year, fmt, pillars, progress)


def _produce(plan, school_year, fmt, pillars, progress):
    chosen = list(plan.pillars.all()) if pillars is None else list(pillars)
    total = len(chosen) + 1

    def step(done, _total):
        if progress:
            progress(done, total)

    if fmt == ExportFormat.PDF:
        reason = pdf.unavailable_reason()
        if reason:
            raise ExportUnavailable(reason)
        data = pdf.render_pdf(build_report(plan, school_year, pillars, progress=step))
    elif fmt == ExportFormat.DOCX:
        data = word.render_docx(build_report(plan, school_year, pillars, progress=step))
    elif fmt == ExportFormat.PPTX:
        data = deck.render_pptx(build_report(plan, school_year, pillars, progress=step))
    elif fmt == ExportFormat.LCAP_DOCX:
        data = word.render_lcap_docx(build_lcap(plan, school_year, pillars, progress=step))
    elif fmt == ExportFormat.LCAP_XLSX:
        data = spreadsheets.write_lcap_xlsx(build_lcap(plan, school_year, pillars,
                                                       progress=step))
    elif fmt in (ExportFormat.CSV, ExportFormat.XLSX):
        # The data files are English in every language, content included: the import reads
        # them back and a file reads the same whoever asked for it (README, "Languages").
        write = spreadsheets.write_csv if fmt == ExportFormat.CSV else spreadsheets.write_xlsx
        with translation.override("en"):
            data = write(build_data(plan, school_year, pillars, progress=step))
    else:
        raise ExportUnavailable(f"Unknown export format “{fmt}”.")
    step(total, total)
    return data


def export_job_create(*, user, plan, school_year, pillars, fmt, language="en"):
    """Record an export job and queue its task once the job is committed."""
    pillars = sorted(pillars, key=lambda p: p.order)
    with transaction.atomic():
        job = ExportJob(
            user=user, plan=plan, school_year=school_year, format=fmt, language=language,
            progress_total=len(pillars) + 1, expires_at=timezone.now() + export_ttl(),
        )
        job.full_clean()
        job.save()
        job.pillars.set(pillars)
        transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id):
    try:
        # apply_async honours task_always_eager (send_task would not run eagerly).
        current_app.tasks[EXPORT_TASK].apply_async(args=[job_id])
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
                       None if all_pillars else pillars, progress=progress,
                       language=job.language)
    except ExportUnavailable as exc:
        return _fail(job, str(exc))
    except Exception as exc:  # noqa: BLE001 - recorded on the job, shown on its page
        log.exception("Export job %s failed", job.pk)
        return _fail(job, f"The export failed: {exc.__class__.__name__}: {exc}")
    job.refresh_from_db()
    job.filename = export_filename(job.plan, job.school_year, job.format, pillars, all_pillars,
                                   job.language)
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
