from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from metrics.services.dimensions import STUDENT_GROUPS_FILE, student_groups_load
from pillars.models import StrategicPlan


class Command(BaseCommand):
    help = ("Load (or update in place) the California School Dashboard student groups, "
            "each with its CDE code.")

    def add_arguments(self, parser):
        parser.add_argument("--file", default=STUDENT_GROUPS_FILE,
                            help="The groups fixture (default: fixtures/dimensions/"
                                 "student-groups.yaml).")
        parser.add_argument("--plan", help="Also link the groups to this plan (its slug).")

    def handle(self, *args, file, plan, **options):
        target = None
        if plan:
            target = StrategicPlan.objects.filter(slug=plan).first()
            if target is None:
                raise CommandError(f"No plan has the slug {plan!r}.")
        try:
            result = student_groups_load(path=file, plan=target)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except (ValidationError, KeyError, TypeError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        self.stdout.write(result.summary(target))
