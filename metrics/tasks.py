"""Celery tasks: thin wrappers that call a service."""

from celery import shared_task
from django.conf import settings

from . import aggregates
from .models import Metric, Reading


@shared_task
def worker_health():
    """Prove a worker is up and sees the same database as the web app."""
    return {"metrics": Metric.objects.count(), "readings": Reading.objects.count()}


@shared_task
def rebuild_pending():
    """Rebuild the aggregates of every metric changed since the last rebuild."""
    return aggregates.rebuild_pending()


@shared_task
def rebuild_all():
    """Nightly full rebuild (Celery beat), also run by `manage.py rebuild_aggregates`."""
    return aggregates.rebuild()


@shared_task
def send_reminders():
    """Daily (Celery beat): email stewards the metrics due or overdue, once per period."""
    from .services.reminders import send_due_reminders

    return send_due_reminders(base_url=settings.SITE_URL)
