import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from metrics.models import Metric
from metrics.privacy.decide import decide


class Command(BaseCommand):
    help = ("Decide which approved figures may be published (the suppression rule, "
            "metrics.privacy) and store the decisions; the worker does this after each "
            "rebuild.")

    def add_arguments(self, parser):
        parser.add_argument("metrics", nargs="*", metavar="CODE",
                            help="Codes of the metrics to decide (of any plan).")
        parser.add_argument("--all", action="store_true", help="Every metric.")

    def handle(self, *args, metrics, all, **options):  # noqa: A002 - the option's name
        if all == bool(metrics):
            raise CommandError("Name metrics by code, or pass --all (not both).")
        ids = None
        if metrics:
            ids = sorted(Metric.objects.filter(code__in=metrics).values_list("pk", flat=True))
            found = set(Metric.objects.filter(pk__in=ids).values_list("code", flat=True))
            if missing := sorted(set(metrics) - found):
                raise CommandError(f"No metric with the code {', '.join(missing)}.")
        start = time.perf_counter()
        with transaction.atomic():
            changed = decide(ids)
        which = "every metric" if ids is None else f"{len(ids)} metrics"
        self.stdout.write(f"Decided the publication of {which}: {changed} figures changed, "
                          f"in {time.perf_counter() - start:.2f} s.")
