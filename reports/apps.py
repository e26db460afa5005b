from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports and exports"

    def ready(self):
        # Registers the Celery tasks, which reports.services queues by name (in the web
        # process too, so that eager mode finds them without importing them back).
        from metrics.loading import directory_loaded

        from . import loading, tasks  # noqa: F401

        # `load_plan` loads the folder's highlights-*.yaml too (reports/loading.py).
        directory_loaded.connect(loading.on_directory_loaded, dispatch_uid="reports-highlights")
