"""Celery tasks: thin wrappers that call a service.

Nothing imports this module to queue a task: callers queue by name (see
metrics/aggregates/queue.py), so it may import what it calls without a cycle.
Rebuilds are idempotent, so they are acknowledged only once done (acks_late) and go
back to the queue when their worker dies (reject_on_worker_lost): a killed rebuild
runs again on another worker instead of being lost or marked failed.
"""

import logging

from celery import shared_task
from celery.signals import before_task_publish

from . import aggregates, health
from .models import Metric, Reading
from .services.audit import audit_prune
from .services.reminders import SiteUrlRefused, send_due_reminders
from .services.reminders import send_approval_digests as approval_digests

log = logging.getLogger(__name__)

REBUILD = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task
def worker_health():
    """Prove a worker is up and sees the same database as the web app."""
    return {"metrics": Metric.objects.count(), "readings": Reading.objects.count()}


@shared_task(name=health.HEARTBEAT_TASK, ignore_result=True)
def heartbeat():
    """Every minute (Celery beat): record that a worker runs tasks, for /healthz."""
    health.record(health.WORKER_KEY)


@before_task_publish.connect
def _heartbeat_sent(sender=None, **kwargs):
    """Record that the heartbeat was sent (by beat, in its process), for /healthz."""
    if sender == health.HEARTBEAT_TASK:
        try:
            health.record(health.BEAT_KEY)
        except Exception:  # noqa: BLE001 - a health note must never stop the send
            log.warning("Could not record the beat heartbeat", exc_info=True)


@shared_task(**REBUILD)
def rebuild_pending():
    """Rebuild the aggregates of every metric changed since the last rebuild (queued on
    commit after a save, and every minute by the beat)."""
    return aggregates.rebuild_pending()


@shared_task(**REBUILD)
def rebuild_all():
    """Nightly full rebuild (Celery beat), also queued after a metric is deleted; every
    figure's publication is decided again with it."""
    return aggregates.rebuild_all()


@shared_task
def send_reminders():
    """Daily (Celery beat): email stewards the metrics due or overdue, once per period.
    A SITE_URL that e-mails cannot link to is logged as an error; nothing is sent."""
    try:
        return send_due_reminders()
    except SiteUrlRefused as exc:
        log.error("Reminders not sent: %s", exc)
        return 0


@shared_task
def send_approval_digests():
    """Daily (Celery beat): tell pillar leads how many values wait for them, at most daily."""
    try:
        return approval_digests()
    except SiteUrlRefused as exc:
        log.error("Approval digests not sent: %s", exc)
        return 0


@shared_task(name="metrics.tasks.parse_import", **REBUILD)
def parse_import(batch_id):
    """Read an uploaded import file and preview it (services.imports.batch_parse); a
    batch already read is left as it is, so a redelivered task does no harm."""
    from .services.imports import batch_parse

    return batch_parse(batch_id)


@shared_task(ignore_result=True)
def prune_audit_log():
    """Daily (Celery beat): delete audit rows older than AUDIT_RETENTION_DAYS."""
    return audit_prune()
