from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from metrics.imports.report import UploadError
from metrics.services.dimensions import DISTRICTS_HELP, districts_load_file
from pillars.models import StrategicPlan


class Command(BaseCommand):
    help = ("Load (or update in place) districts and charter LEAs from a CSV and link them "
            "to a plan.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=DISTRICTS_HELP)
        parser.add_argument("--plan", required=True, help="The plan's slug, e.g. lacoe-2022-25.")

    def handle(self, *args, file, plan, **options):
        target = StrategicPlan.objects.filter(slug=plan).first()
        if target is None:
            raise CommandError(f"No plan has the slug {plan!r}.")
        try:
            with open(file, "rb") as stream:
                result = districts_load_file(uploaded_file=File(stream, name=file), plan=target)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except UploadError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(result.summary(target))
