"""Celery tasks: thin, by id, safe to run twice."""

from celery import current_app

from reports import services, tasks
from reports.models import ExportJob

from .factories import ExportJobFactory


def test_running_a_job_twice_does_it_once(users, small_plan):
    job = ExportJobFactory(user=users["comms"], plan=small_plan, format="csv")
    assert tasks.run_export(job.pk) == "done"
    first = ExportJob.objects.get().file.name
    assert tasks.run_export(job.pk) == "done"
    assert ExportJob.objects.get().file.name == first
    assert tasks.run_export(999999) is None


def test_the_services_queue_the_task_by_the_name_it_is_registered_under():
    # Registered when Django starts (ReportsConfig.ready), so the web process finds it by
    # name; services never import the tasks module, which imports them.
    assert current_app.tasks[services.EXPORT_TASK].run is tasks.run_export.run
    assert current_app.tasks["reports.tasks.expire_exports"].run is tasks.expire_exports.run
