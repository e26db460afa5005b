"""Celery tasks: thin wrappers that load by id and call a service."""

from celery import shared_task

from . import services
from .models import ExportJob


@shared_task
def run_export(job_id):
    """Produce the file of one export job (progress and failure are kept on the job)."""
    job = ExportJob.objects.filter(pk=job_id).select_related("plan").first()
    if job is None:
        return None
    return services.export_job_run(job=job).state


@shared_task
def expire_exports():
    """Delete the files of expired exports (Celery beat, hourly)."""
    return services.exports_expire()
