from celery import shared_task

from .models import Metric, Reading


@shared_task
def worker_health():
    """Prove a worker is up and sees the same database as the web app."""
    return {"metrics": Metric.objects.count(), "readings": Reading.objects.count()}
