from django.core.management.base import BaseCommand, CommandError

from metrics.loading import LoadError, load_directory


class Command(BaseCommand):
    help = "Load (or update in place) a plan and its figures from a fixtures folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="e.g. fixtures/lacoe (plan.yaml + figures-*.yaml)")

    def handle(self, *args, folder, **options):
        try:
            plan, counts = load_directory(folder)
        except (LoadError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{plan}: {plan.pillars.count()} pillars, {counts['metrics']} metrics, "
            f"{counts['readings']} readings loaded (unchanged ones left as they were)."
        )
