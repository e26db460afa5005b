"""The spreadsheet import's writes: start a batch, read it in a job, confirm it.

Reading and checking rows are metrics/imports' (files, rows); this module keeps the
upload, the rows read from it and the preview's report on an ImportBatch, and imports
the kept rows, all or nothing, when its owner confirms: each upload is read once.

`batch_start` stores the upload (state `parsing`) and queues the task
`metrics.tasks.parse_import` by name; the task calls `batch_parse`, which reads the
file (with the hostile-file guards), previews it (a dry run), keeps the rows
(`<batch id>.rows.json.gz`) and the report, updating the batch's progress on the way.
Celery runs the task in-process when it is eager (no REDIS_URL) and on a worker
otherwise. Whatever goes wrong in it ends as a failed batch whose report says why,
with nothing kept but that report.
"""

import gzip
import json
import logging
import time
from operator import itemgetter
from pathlib import PurePath

from celery import current_app
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from ..aggregates.queue import PUBLISH_RETRY, UNREACHABLE
from ..imports.files import read_upload
from ..imports.report import ImportReport, UploadError
from ..imports.rows import import_rows
from ..models import ImportBatch

logger = logging.getLogger(__name__)

PARSE_TASK = "metrics.tasks.parse_import"
PROGRESS_SECONDS = 0.5  # at most one progress write per this long
UNEXPECTED = (
    "The file could not be read because of an error on our side; nothing was imported. "
    "Upload it again; if it fails again, send it to the site's administrators."
)
NOT_QUEUED = (
    "The file could not be queued for reading (the job queue is unreachable); nothing "
    "was imported. Upload it again in a few minutes."
)


def batch_start(*, plan, user, uploaded_file, approve=False) -> ImportBatch:
    """Store the upload as a batch being read (`parsing`) and queue its reading.

    Eager, the task runs here and now, in the caller's transaction, so the batch comes
    back previewed or failed; with a worker, the task is sent once the batch is
    committed. A broker that cannot be reached fails the batch, with a message.
    """
    name = PurePath(uploaded_file.name or "upload").name
    batch = ImportBatch(
        owner=user, plan=plan, filename=name[:255], approve=bool(approve),
        state=ImportBatch.State.PARSING,
    )
    uploaded_file.seek(0)
    batch.file.save(name, uploaded_file, save=False)
    batch.save()
    if current_app.conf.task_always_eager or not connection.in_atomic_block:
        _queue_parse(batch.pk)
    else:
        transaction.on_commit(lambda: _queue_parse(batch.pk))
    batch.refresh_from_db()
    return batch


def _queue_parse(batch_id):
    try:
        current_app.tasks[PARSE_TASK].apply_async(
            args=[str(batch_id)], retry=True, retry_policy=PUBLISH_RETRY
        )
    except UNREACHABLE:
        logger.exception("Could not queue the reading of import batch %s", batch_id)
        _fail(batch_id, [NOT_QUEUED], field=None)


def batch_parse(batch_id):
    """Read a `parsing` batch's file, preview it and keep its rows and report (the
    task's work). Returns the batch's state; a batch not `parsing` is left as it is
    (a task delivered twice)."""
    batch = ImportBatch.objects.select_related("plan", "owner").filter(
        pk=batch_id, state=ImportBatch.State.PARSING).first()
    if batch is None:
        return None
    progress = _Progress(batch.pk)
    try:
        with batch.file.open("rb") as stored:
            rows = read_upload(stored, progress=progress.read)
        report = import_rows(plan=batch.plan, rows=rows, user=batch.owner,
                             approve=batch.approve, dry_run=True, progress=progress.checked)
        batch.file.storage.save(batch.rows_name, ContentFile(_packed(rows)))
    except UploadError as exc:
        return _fail(batch.pk, exc.messages)
    except PermissionDenied as exc:  # asked to approve what the owner may not
        return _fail(batch.pk, [str(exc)], field="approve")
    except Exception:
        logger.exception("Reading import batch %s failed", batch.pk)
        return _fail(batch.pk, [UNEXPECTED], field=None)
    updated = ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.PARSING).update(
        state=ImportBatch.State.PREVIEWED, report=report.to_json(),
        progress_done=len(rows), progress_total=len(rows),
    )
    return ImportBatch.State.PREVIEWED if updated else None


def _fail(batch_id, messages, field="file"):
    """The batch failed while being read: its report says why, and `refused` which field
    of the upload form the refusal concerns (the file, the approve box; None for a
    fault of ours, shown on the batch's page); its file is not kept."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return None
    storage, names = batch.file.storage, [batch.file.name, batch.rows_name]
    report = {**ImportReport(errors=list(messages)).to_json(), "refused": field}
    ImportBatch.objects.filter(pk=batch_id).update(state=ImportBatch.State.FAILED,
                                                   report=report)
    for name in names:
        try:
            if name and storage.exists(name):
                storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s of a failed import", name, exc_info=True)
    return ImportBatch.State.FAILED


class _Progress:
    """Writes a batch's progress, at most every PROGRESS_SECONDS."""

    def __init__(self, batch_id):
        self.batch_id, self.last = batch_id, 0.0

    def read(self, rows):
        self._write(rows, 0)

    def checked(self, done, total):
        self._write(done, total)

    def _write(self, done, total):
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            ImportBatch.objects.filter(pk=self.batch_id).update(
                progress_done=done, progress_total=total)


def batch_confirm(*, batch, user):
    """Import a previewed batch, all or nothing. Returns its ImportReport, or None when the
    batch is not its owner's to confirm or was confirmed already (then nothing happens)."""
    with transaction.atomic():
        locked = (
            ImportBatch.objects.select_for_update().select_related("plan")
            .filter(pk=batch.pk, owner=user, state=ImportBatch.State.PREVIEWED).first()
        )
        if locked is None:
            return None
        try:
            rows = _kept_rows(locked)
        except UploadError as exc:
            report = ImportReport(errors=exc.messages)
        except OSError:
            logger.warning("Stored import file %s is missing", locked.file.name, exc_info=True)
            report = ImportReport(errors=["The uploaded file is no longer stored: upload again."])
        else:
            try:
                report = import_rows(plan=locked.plan, rows=rows, user=user,
                                     approve=locked.approve)
            except PermissionDenied as exc:  # the user's rights changed since the preview
                report = ImportReport(errors=[str(exc)])
        locked.report = report.to_json()
        if report.written:
            locked.state = ImportBatch.State.IMPORTED
            locked.imported_at = timezone.now()
        else:
            locked.state = ImportBatch.State.FAILED
        locked.save(update_fields=["report", "state", "imported_at"])
    batch.refresh_from_db()
    return report


def _packed(rows):
    """The rows read from a file, as compressed JSON: the columns once, then the values
    (every row of read_upload has the same columns: those the file has)."""
    columns = list(rows[0]) if rows else []
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: [row[columns[0]]]
    return gzip.compress(json.dumps(
        {"columns": columns, "rows": [values(row) for row in rows] if columns else []},
        separators=(",", ":"), ensure_ascii=False,
    ).encode(), compresslevel=1)


def _kept_rows(batch):
    """The rows read when the batch was uploaded; the file read again when they are not
    kept (a batch previewed before they were)."""
    storage = batch.file.storage
    if storage.exists(batch.rows_name):
        with storage.open(batch.rows_name, "rb") as kept:
            packed = json.loads(gzip.decompress(kept.read()))
        columns = packed["columns"]
        return [dict(zip(columns, values, strict=True)) for values in packed["rows"]]
    with batch.file.open("rb") as stored:
        return read_upload(stored)
