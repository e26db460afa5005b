from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from metrics.services.plans import next_plan_defaults, plan_close, plan_start_next
from pillars.models import StrategicPlan


class Command(BaseCommand):
    help = (
        "Start the plan that follows a plan, from it: its pillars, priority areas, goals, "
        "programs and metrics (codes, owners and leads kept, baselines from the last approved "
        "values, no readings). The home page keeps showing the current plan until an "
        "administrator marks the new one current."
    )

    def add_arguments(self, parser):
        parser.add_argument("plan", help="slug of the plan to continue, e.g. lacoe-2022-25")
        parser.add_argument("--name", help="the new plan's name (default: the span replaced)")
        parser.add_argument("--slug", help="the new plan's slug (default: the span replaced)")
        parser.add_argument("--start-year", type=int, help="default: the plan's end year")
        parser.add_argument("--end-year", type=int, help="default: as long as the plan")
        parser.add_argument("--close", action="store_true",
                            help="also close the plan continued (its values become final)")

    def handle(self, *args, plan, name, slug, start_year, end_year, close, **options):
        old = StrategicPlan.objects.filter(slug=plan).first()
        if old is None:
            raise CommandError(f"No plan with the slug {plan!r}.")
        try:
            new = plan_start_next(plan=old, name=name, slug=slug, start_year=start_year,
                                  end_year=end_year)
        except ValidationError as exc:
            defaults = next_plan_defaults(old)
            raise CommandError(
                f"The new plan was not started: {'; '.join(exc.messages)} "
                f"(defaults: {defaults}; set --name, --slug or the years)."
            ) from exc
        if close:
            plan_close(plan=old)
        self.stdout.write(
            f"Started {new} ({new.slug}, {new.span_label}) from {old}: "
            f"{new.pillars.count()} pillars, {new.metrics.count()} metrics, no readings."
            + (f" {old} is closed." if close else "")
        )
