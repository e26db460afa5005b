from django.conf import settings
from django.core.management.base import BaseCommand

from metrics.services.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Email each steward the metrics due or overdue (once per metric and period)."

    def handle(self, *args, **options):
        sent = send_due_reminders(base_url=settings.SITE_URL)
        self.stdout.write(f"Sent {sent} reminder email{'s' * (sent != 1)}.")
