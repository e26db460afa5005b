from django.core.management.base import BaseCommand, CommandError

from metrics.loading import DASHBOARD_FOLDER, LoadError, load_dashboard_scales


class Command(BaseCommand):
    help = "Load (or update in place) the California School Dashboard scales of a folder."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", default=DASHBOARD_FOLDER,
                            help=f"a folder of scale YAML files (default {DASHBOARD_FOLDER})")

    def handle(self, *args, folder, **options):
        try:
            count = load_dashboard_scales(folder)
        except LoadError as exc:
            raise CommandError(str(exc)) from exc
        if not count:
            raise CommandError(f"No scales found in {folder}.")
        self.stdout.write(f"{count} Dashboard scale(s) loaded (unchanged ones left as they were).")
