import time

from django.core.management.base import BaseCommand

from metrics import aggregates


class Command(BaseCommand):
    help = "Rebuild every dashboard aggregate from the readings (cron can call this nightly)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pending", action="store_true",
            help="Only the metrics whose rebuild is pending (what the queued task does).",
        )

    def handle(self, *args, pending, **options):
        start = time.perf_counter()
        count = aggregates.rebuild_pending() if pending else aggregates.rebuild_all()
        self.stdout.write(
            f"Rebuilt the aggregates of {count} metrics in {time.perf_counter() - start:.2f} s."
        )
