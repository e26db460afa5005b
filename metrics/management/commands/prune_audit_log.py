from django.conf import settings
from django.core.management.base import BaseCommand

from metrics.services.audit import audit_prune


class Command(BaseCommand):
    help = "Delete audit log rows older than AUDIT_RETENTION_DAYS (daily; the beat does it too)."

    def handle(self, *args, **options):
        deleted = audit_prune()
        self.stdout.write(f"Deleted {deleted} audit row{'s' * (deleted != 1)} older than "
                          f"{settings.AUDIT_RETENTION_DAYS} days.")
