from django.core.management.base import BaseCommand, CommandError

from metrics.services.reminders import SiteUrlRefused, send_due_reminders


class Command(BaseCommand):
    help = "Email each steward the metrics due or overdue (once per metric and period)."

    def handle(self, *args, **options):
        try:
            sent = send_due_reminders()
        except SiteUrlRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Sent {sent} reminder email{'s' * (sent != 1)}.")
