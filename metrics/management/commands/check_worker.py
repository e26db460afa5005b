from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from metrics.tasks import worker_health


class Command(BaseCommand):
    help = "Send a task to the Celery worker and wait for its answer (in-process without Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args, timeout, **options):
        mode = "in-process (no REDIS_URL)" if settings.CELERY_TASK_ALWAYS_EAGER else "worker"
        try:
            answer = worker_health.delay().get(timeout=timeout)
        except CeleryTimeout as exc:
            raise CommandError(f"No worker answered within {timeout:g} s.") from exc
        self.stdout.write(
            f"Celery {mode} answered: {answer['metrics']} metrics, {answer['readings']} readings."
        )
