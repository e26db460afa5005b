"""An uploaded spreadsheet of readings, kept from its preview until it is imported."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pillars.models import StrategicPlan


def _stored_name(batch, filename):
    # The user's file name is kept in `filename` only: on disk the batch id names it.
    return f"imports/{batch.pk}{PurePath(filename).suffix.lower()[:6]}"


class ImportBatch(models.Model):
    """One uploaded file: read in a Celery job (`parsing`, with its progress), previewed,
    then imported in one go when its owner confirms.

    `report` holds what the preview (or the import) found: counts of new, changed,
    unchanged, skipped and rejected rows, and the outcome of each row (capped per
    kind, so that a 200,000-row file keeps a small report). The rows as read from the
    file are kept beside it (`rows_name`, compressed JSON), so that the confirmation
    does not read the file again.
    """

    class State(models.TextChoices):
        PARSING = "parsing", _("Reading the file")
        PREVIEWED = "previewed", _("Previewed, not imported yet")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed: nothing imported")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_batches"
    )
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255, help_text="The file's name as uploaded.")
    file = models.FileField(upload_to=_stored_name, max_length=300)
    approve = models.BooleanField(
        default=False, help_text="Approve at once the rows whose metrics the owner may approve."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PREVIEWED)
    report = models.JSONField(default=dict, blank=True)
    # While parsing: rows read so far (progress_total 0: the file is being read), then
    # rows checked of progress_total.
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["parsing", "previewed", "imported", "failed"]),
                name="import_batch_state_known",
                violation_error_message="Unknown import state.",
            ),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self):
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def rows_name(self):
        """Where the file's rows, as read at the upload, are kept: beside the file."""
        return f"{PurePath(self.file.name).with_suffix('')}.rows.json.gz"

    @property
    def counts(self):
        return self.report.get("counts", {})

    @property
    def can_confirm(self):
        counts = self.counts
        return (
            self.state == self.State.PREVIEWED
            and not counts.get("rejected")
            and not self.report.get("errors")
            and bool(counts.get("new") or counts.get("changed"))
        )
