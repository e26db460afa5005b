from django.core.management.base import BaseCommand, CommandError

from metrics import synthetic
from pillars.models import StrategicPlan


class Command(BaseCommand):
    help = (
        "Generate a clearly synthetic plan (is_synthetic, named \"(synthetic data)\") with "
        "deterministic monthly readings, for load tests and demos. Never touches LACOE's plan."
    )

    def add_arguments(self, parser):
        self.add_if_missing_argument(parser)
        parser.add_argument("--slug", default=synthetic.DEFAULT_SLUG)
        parser.add_argument(
            "--name", help=f"Plan name; {synthetic.NAME_MARK!r} is added when missing."
        )
        parser.add_argument(
            "--metrics", type=int, default=20,
            help="Metrics with readings, spread over 5 pillars, their priority areas and goals.",
        )
        parser.add_argument(
            "--empty-metrics", type=int, default=None,
            help="Extra metrics with no reading at all (default: one per 25, at least 1).",
        )
        parser.add_argument(
            "--districts", type=int, default=10,
            help="Districts per metric, counting the county-wide \"All districts\" row.",
        )
        parser.add_argument(
            "--groups", type=int, default=4,
            help="Student groups per metric, counting the \"All students\" row.",
        )
        parser.add_argument("--months", type=int, default=36, help="Monthly periods per slice.")
        parser.add_argument(
            "--end-year", type=int, default=2025,
            help="The plan ends on 30 June of this year; the last month is that June.",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--replace", action="store_true",
            help="Delete this synthetic plan (metrics and readings) first, then regenerate it.",
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="Rebuild every aggregate at the end."
        )
        parser.add_argument(
            "--equity-demo", action="store_true",
            help="Add the demo's equity metric: small districts and groups that show every "
                 "suppression case and Dashboard colour (metrics/synthetic/equity.py).",
        )

    def add_if_missing_argument(self, parser):
        parser.add_argument(
            "--if-missing", action="store_true",
            help="Do nothing when the plan exists (make run keeps a demo plan you changed).",
        )

    def handle(self, *args, **options):
        if options["if_missing"] and StrategicPlan.objects.filter(slug=options["slug"]).exists():
            self.stdout.write(f"{options['slug']} exists: left as it is.")
            return
        try:
            result = synthetic.generate(
                slug=options["slug"],
                name=options["name"],
                metrics=options["metrics"],
                empty_metrics=options["empty_metrics"],
                districts=options["districts"],
                groups=options["groups"],
                months=options["months"],
                end_year=options["end_year"],
                seed=options["seed"],
                replace=options["replace"],
                rebuild=options["rebuild"],
                equity_demo=options["equity_demo"],
                log=self.stderr.write if options["verbosity"] > 1 else None,
            )
        except synthetic.SyntheticError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(result.summary())
