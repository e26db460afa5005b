import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reports import selectors, services
from reports.models import ExportFormat


class Command(BaseCommand):
    help = (
        "Write the annual report of a plan for one school year as PDF or Word, or the "
        "approved data behind it as XLSX or CSV (for a scheduled job)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="School year, e.g. 2023-24.")
        parser.add_argument("--format", required=True, choices=ExportFormat.values)
        parser.add_argument("--output", required=True, help="Path of the file to write.")
        parser.add_argument(
            "--plan", help="Plan slug; by default the current plan (the one the home page shows)."
        )
        parser.add_argument(
            "--language", default="en", choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the headings and of the plan's content (default: en).",
        )
        parser.add_argument(
            "--pillar", action="append", default=[], metavar="SLUG",
            help="Only this pillar (repeat for several); by default every pillar.",
        )

    def handle(self, *args, year, format, output, plan, pillar, language, **options):
        plan = self._plan(plan)
        if year not in plan.school_years:
            raise CommandError(
                f"{year} is not a school year of {plan}: use one of "
                f"{', '.join(plan.school_years)}."
            )
        pillars = None
        if pillar:
            known = {p.slug: p for p in plan.pillars.all()}
            unknown = [slug for slug in pillar if slug not in known]
            if unknown:
                raise CommandError(
                    f"Unknown pillar {', '.join(unknown)} of {plan}: use one of "
                    f"{', '.join(known)}."
                )
            pillars = [known[slug] for slug in pillar]
        start = time.perf_counter()
        try:
            data = services.produce(plan, year, format, pillars, language=language)
        except services.ExportUnavailable as exc:
            raise CommandError(str(exc)) from exc
        path = Path(output)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc}") from exc
        self.stdout.write(
            f"Wrote {path} ({len(data):,} bytes, {format}) for {plan} {year} in "
            f"{time.perf_counter() - start:.2f} s."
        )

    def _plan(self, slug):
        if slug:
            found = selectors.plan_named(slug)
            if found is None:
                slugs = ", ".join(plan.slug for plan in selectors.plans())
                raise CommandError(f"No plan {slug!r}: use one of {slugs or '(none loaded)'}.")
            return found
        found = selectors.default_plan()
        if found is None:
            raise CommandError(
                "No plan is loaded: run `python manage.py load_plan fixtures/lacoe`."
            )
        return found
