from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from metrics import roles
from metrics.models import Metric
from pillars.models import Pillar

DEMO_PASSWORD = "lacoe-demo-2024"  # noqa: S105 - local demo accounts only, refused with DEBUG off
DEMO_USERS = {
    "steward": roles.STEWARD,
    "lead": roles.PILLAR_LEAD,
    "leadership": roles.LEADERSHIP,
    "comms": roles.COMMUNICATIONS,
    "admin": roles.ADMINISTRATOR,
}


class Command(BaseCommand):
    help = "Create one demo user per role for local use (refused when DEBUG is off)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Refusing to create demo users with DEBUG off: these accounts share a "
                "published password. Create real users with `createsuperuser` or the admin."
            )
        users = get_user_model()
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        for username, role in DEMO_USERS.items():
            user, _ = users.objects.get_or_create(username=username)
            user.email = f"{username}@example.org"
            user.is_staff = role == roles.ADMINISTRATOR
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            self.stdout.write(f"  {username:<11} {role}")
        self._assign(users.objects.get(username="steward"), users.objects.get(username="lead"))

    def _assign(self, steward, lead):
        """Demo data, not fixtures: give "My updates" and "Approvals" something to show.

        The lead leads the first pillar of every plan; the steward owns the first
        five metrics of that pillar.
        """
        for pillar in Pillar.objects.filter(order=1):
            pillar.leads.add(lead)
            for metric in Metric.objects.filter(pillar=pillar).order_by("code")[:5]:
                metric.owners.add(steward)
        self.stdout.write("  steward owns 5 metrics of each plan's pillar 1; lead leads pillar 1.")
