import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacoe_kpi.settings")

app = Celery("lacoe_kpi")
# Every Celery option lives in Django settings under the CELERY_ prefix, so the
# embedded default (eager tasks) and the Redis deployment differ only in env vars.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
