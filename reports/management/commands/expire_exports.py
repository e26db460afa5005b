from django.core.management.base import BaseCommand

from reports import services


class Command(BaseCommand):
    help = "Delete the files of expired report exports (cron or Celery beat runs this hourly)."

    def handle(self, *args, **options):
        count = services.exports_expire()
        plural = "s" if count != 1 else ""
        self.stdout.write(f"Deleted the files of {count} expired export{plural}.")
