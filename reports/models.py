"""Report models: the narrative highlights communications write, and export jobs."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from metrics.periods import Kind, Period
from metrics.roles import ALL_EXPORTS_PERMISSION, EXPORT_PERMISSION
from pillars.models import Pillar, StrategicPlan

SCHOOL_YEAR_REGEX = r"^[0-9]{4}-[0-9]{2}$"
SCHOOL_YEAR_HELP = "A school year written as 2023-24."
HIGHLIGHT_MAX_LENGTH = 20_000


def validate_school_year(text):
    """A school year as metrics.periods writes it ("2023-24"), not a quarter or month."""
    try:
        is_year = Period.parse(text).kind == Kind.YEAR
    except ValidationError:
        is_year = False
    if not is_year:
        raise ValidationError(
            f"“{text or ''}” is not a school year: it runs from one year to the next. "
            f"{SCHOOL_YEAR_HELP}", code="invalid_school_year",
        )


class Highlight(models.Model):
    """Narrative highlights of one pillar (or the organisation-wide introduction when
    `pillar` is empty) for one school year, written in Markdown by communications."""

    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="highlights")
    pillar = models.ForeignKey(
        Pillar, on_delete=models.CASCADE, null=True, blank=True, related_name="highlights",
        help_text="Empty for the organisation-wide introduction.",
    )
    school_year = models.CharField(
        max_length=7, validators=[validate_school_year], help_text=SCHOOL_YEAR_HELP
    )
    body = models.TextField(
        blank=True, max_length=HIGHLIGHT_MAX_LENGTH,
        help_text="Markdown: paragraphs, **bold**, *italic*, lists and links. No HTML.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "school_year", "pillar__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["pillar", "school_year"],
                condition=Q(pillar__isnull=False),
                name="one_highlight_per_pillar_and_year",
                violation_error_message="This pillar already has highlights for this year.",
            ),
            models.UniqueConstraint(
                fields=["plan", "school_year"],
                condition=Q(pillar__isnull=True),
                name="one_introduction_per_plan_and_year",
                violation_error_message="This plan already has an introduction for this year.",
            ),
            models.CheckConstraint(
                condition=Q(school_year__regex=SCHOOL_YEAR_REGEX),
                name="highlight_school_year_format",
                violation_error_message=SCHOOL_YEAR_HELP,
            ),
        ]

    def __str__(self):
        where = self.pillar.name if self.pillar_id else "Introduction"
        return f"{where}, {self.school_year}"

    def clean(self):
        errors = {}
        if self.pillar_id and self.plan_id and self.pillar.plan_id != self.plan_id:
            errors["pillar"] = "This pillar belongs to another plan."
        if self.plan_id and self.school_year and self.school_year not in self.plan.school_years:
            errors["school_year"] = (
                f"{self.school_year} is outside the plan {self.plan.span_label}: use one of "
                f"{', '.join(self.plan.school_years)}."
            )
        if errors:
            raise ValidationError(errors)


class ExportFormat(models.TextChoices):
    PDF = "pdf", "PDF document"
    DOCX = "docx", "Word document"
    PPTX = "pptx", "PowerPoint board deck"
    LCAP_DOCX = "lcap-docx", "LCAP results table (Word)"
    LCAP_XLSX = "lcap-xlsx", "LCAP results table (Excel)"
    XLSX = "xlsx", "Excel workbook (data)"
    CSV = "csv", "CSV file (data)"

    @property
    def extension(self):
        """The file name's ending: the LCAP tables are Word and Excel files too."""
        return self.value.removeprefix("lcap-")


class ExportState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Being produced"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The jobs `user` may see and download: their own, or every job for an
        administrator; none without the export permission."""
        if not user.is_authenticated or not user.has_perm(EXPORT_PERMISSION):
            return self.none()
        if user.has_perm(ALL_EXPORTS_PERMISSION):
            return self
        return self.filter(user=user)


class ExportJob(models.Model):
    """One export of the annual report (or its data) asked for by a user.

    The task fills `progress_done` of `progress_total` (one step per pillar and one
    to write the file), then stores the file, which is deleted at `expires_at`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_exports"
    )
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="+")
    school_year = models.CharField(max_length=7, validators=[validate_school_year])
    pillars = models.ManyToManyField(Pillar, related_name="+", blank=True)
    format = models.CharField(max_length=10, choices=ExportFormat.choices)
    # The language of its headings and of the plan's content (issue 18).
    language = models.CharField(max_length=5, choices=settings.LANGUAGES, default="en",
                                db_default="en")
    state = models.CharField(
        max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    progress_done = models.PositiveSmallIntegerField(default=0)
    progress_total = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="reports/exports/%Y/%m/", blank=True, max_length=300)
    filename = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveIntegerField(default=0, help_text="Bytes.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("export_report", "Can read the annual report and export it")]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=ExportFormat.values),
                name="export_job_format_known",
                violation_error_message="Unknown export format.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ExportState.values),
                name="export_job_state_known",
                violation_error_message="Unknown export state.",
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="export_job_progress_within_total",
                violation_error_message="Progress cannot pass the total.",
            ),
        ]

    def __str__(self):
        return f"{self.get_format_display()} of {self.plan} {self.school_year} ({self.state})"

    @property
    def is_finished(self):
        return self.state in (ExportState.DONE, ExportState.FAILED, ExportState.EXPIRED)

    @property
    def percent(self):
        if not self.progress_total:
            return 0
        return round(100 * self.progress_done / self.progress_total)
