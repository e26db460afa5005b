from django.core.management.base import BaseCommand, CommandError

from metrics.services.reminders import SiteUrlRefused, send_approval_digests


class Command(BaseCommand):
    help = "Email each pillar lead how many values wait for their approval (at most daily)."

    def handle(self, *args, **options):
        try:
            sent = send_approval_digests()
        except SiteUrlRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Sent {sent} approval digest{'s' * (sent != 1)}.")
