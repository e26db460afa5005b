import json

from django.core.management.base import BaseCommand, CommandError

from metrics import health


class Command(BaseCommand):
    help = ("Print what /healthz reports, as JSON; exit 1 when a component (or, given names, "
            "one of those) is down. The compose file checks beat with `health beat`.")
    requires_system_checks = []  # a probe every 30 s: keep it cheap

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", metavar="component",
                            help="database, redis, worker, beat or rebuild (default: all)")

    def handle(self, *args, names, **options):
        results = health.components()
        unknown = sorted(set(names) - set(results))
        if unknown:
            raise CommandError(f"Unknown component(s): {', '.join(unknown)}; "
                               f"choose from {', '.join(results)}.")
        chosen = {name: results[name] for name in names or results}
        self.stdout.write(json.dumps({"status": health.overall(chosen), "components": chosen},
                                     indent=2))
        down = sorted(name for name, result in chosen.items() if result["state"] == health.DOWN)
        if down:
            raise CommandError(f"Down: {', '.join(down)}.", returncode=1)
