"""A reading: one value of a metric for a period, a district and a student group."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..evidence import (
    EVIDENCE_EXTENSIONS,
    EVIDENCE_MAX_BYTES,
    delete_on_commit,
    download_name,
    evidence_upload_to,
    validate_evidence,
    validate_evidence_size,  # named by migration 0004
)
from ..periods import PERIOD_FORMATS_HELP, PERIOD_REGEX, Period
from ..units import COUNTS_HELP, DECIMAL_PLACES, MAX_DIGITS, Qualifier, format_counts
from .choices import QuickChoiceDisplay
from .dimensions import District, StudentGroup
from .metric import Metric

__all__ = ["EVIDENCE_EXTENSIONS", "EVIDENCE_MAX_BYTES", "Publication", "Reading",
           "ReadingQuerySet", "ReadingState",
           "returned_label", "validate_evidence", "validate_evidence_size"]


class ReadingState(models.TextChoices):
    # Labels in the page's language (the approval column, the history); the codes are
    # what exports, the API and the database keep.
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    # Sent back by a pillar lead with a comment (review_comment): not pending, not
    # entered; its period stays the one due until the steward resubmits it.
    RETURNED = "returned", _("Returned")


class Publication(models.TextChoices):
    """What the publication rule (metrics.privacy.suppress) decided for an approved
    figure: the public pages, the API without a staff token and every publishable export
    show a figure only when it is PUBLISHED. The worker decides, per metric and period,
    after each rebuild; until it has, a changed figure is UNDECIDED and shown to the
    public as not published (fail closed: a new small-n figure never slips out between
    its approval and the decision). The other values are the reasons (privacy.Reason).
    """

    UNDECIDED = "undecided", _("Not decided yet")
    PUBLISHED = "published", _("Published")
    PRIMARY = "primary", _("Suppressed: fewer students than the plan's threshold")
    UNKNOWN_SIZE = "unknown-size", _("Suppressed: number of students not known")
    COMPLEMENTARY = "complementary", _("Suppressed: would reveal a small group")


# The fields `Reading.decided_on` reads.
DECIDED_ON = frozenset({"approved_value", "value", "numerator", "denominator"})


class ReadingQuerySet(models.QuerySet):
    def published(self):
        """Approved figures the publication rule lets the public see."""
        return self.filter(approved_value__isnull=False, publication=Publication.PUBLISHED)


def returned_label(comment):
    """The one wording of a returned value, wherever it appears."""
    return _("Returned: %(comment)s") % {"comment": comment} if comment else str(_("Returned"))


class Reading(QuickChoiceDisplay, models.Model):
    """One value of a metric for a period, a district and a student group.

    `value` is the latest value entered; `approved_value` is what a pillar lead last
    approved, and is what statuses, roll-ups, exports and public pages use. While a
    correction waits for approval both are kept, so the approved figure stays
    visible with the pending one beside it.
    """

    # No index of its own: the unique constraint's index (metric, period, district, group)
    # leads with it, and every index kept costs each imported row (migration 0014).
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="readings",
                               db_index=False)
    period = models.CharField(max_length=20, help_text=PERIOD_FORMATS_HELP)
    # Derived from `period` on save so that readings sort and filter by date.
    period_start = models.DateField(editable=False)
    period_end = models.DateField(editable=False)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="readings")
    student_group = models.ForeignKey(
        StudentGroup, on_delete=models.PROTECT, related_name="readings"
    )
    value = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    # A percent's counts (issue 16): both or neither; the value is then worked out from
    # them by the one rule, units.counts_value.
    numerator = models.PositiveBigIntegerField(null=True, blank=True,
                                               help_text=COUNTS_HELP["numerator"])
    denominator = models.PositiveBigIntegerField(null=True, blank=True,
                                                 help_text=COUNTS_HELP["denominator"])
    qualifier = models.CharField(
        max_length=20, choices=Qualifier.choices, blank=True, default=Qualifier.NONE,
        help_text=_("How the report qualifies the figure: over 9,018; nearly 10,000; 50+."),
    )
    is_derived = models.BooleanField(
        default=False, help_text=_("Computed by us from other figures, not stated by the source.")
    )
    note = models.TextField(blank=True)
    evidence_url = models.URLField(
        blank=True, max_length=500, help_text=_("A link to where the figure comes from.")
    )
    # Stored under a random name (metrics/evidence.py), served by metrics:evidence as an
    # attachment typed from its content; a replaced or removed file leaves storage.
    evidence_file = models.FileField(
        upload_to=evidence_upload_to, blank=True, max_length=300,
        validators=[validate_evidence],
        help_text=_("PDF, image, CSV, XLSX, DOCX or text file, at most 10 MB."),
    )
    # The uploaded file's own name, made safe: the name the download is given.
    evidence_name = models.CharField(max_length=200, blank=True, default="", db_default="",
                                     editable=False)
    source_text = models.TextField(
        blank=True, help_text=_("The source's own words for this figure, quoted exactly.")
    )
    state = models.CharField(
        max_length=20, choices=ReadingState.choices, default=ReadingState.DRAFT,
        db_default=ReadingState.DRAFT,
    )
    approved_value = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True,
        editable=False,
    )
    approved_qualifier = models.CharField(
        max_length=20, choices=Qualifier.choices, blank=True, default="", db_default="",
        editable=False,
    )
    # Neither user key has an index: no page reads readings by who approved or entered
    # them without a selective state (the returned worklist goes through the state
    # index); only a user's deletion looks them up (SET NULL), a rare admin action.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="readings_approved", editable=False, db_index=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The publication rule's decision on the approved figure (Publication): set by the
    # worker, reset to UNDECIDED by save() whenever what the rule is given changes
    # (decided_on); not history.
    publication = models.CharField(
        max_length=20, choices=Publication.choices, default=Publication.UNDECIDED,
        db_default=Publication.UNDECIDED, editable=False,
    )
    review_comment = models.TextField(blank=True, default="", db_default="")
    # Bumped on every save: a form posts the version it showed, and a save against
    # an older version is refused instead of silently overwriting someone else.
    version = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="readings_entered", db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # History is read by reading (id), by metric (the metric page) and by date; the
    # copies of the other keys are never looked up (and carry no constraint): unindexed,
    # so an imported row's history costs fewer index writes (migration 0014).
    history = HistoricalRecords(
        no_db_index=["district", "student_group", "entered_by", "approved_by"],
        excluded_fields=["publication"])

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["metric", "-period_end", "district", "student_group"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period", "district", "student_group"],
                name="one_reading_per_metric_period_district_group",
                violation_error_message=(
                    _("There is already a reading of this metric for this period, district and "
                    "student group: correct that one instead.")
                ),
            ),
            models.CheckConstraint(
                condition=Q(period__regex=PERIOD_REGEX),
                name="reading_period_format",
                violation_error_message=PERIOD_FORMATS_HELP,
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="reading_period_ordered",
                violation_error_message=_("A period ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(qualifier__in=Qualifier.values)
                & Q(approved_qualifier__in=Qualifier.values),
                name="reading_qualifier_known",
                violation_error_message=_("Unknown qualifier."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReadingState.values),
                name="reading_state_known",
                violation_error_message=_("Unknown approval state."),
            ),
            models.CheckConstraint(
                condition=Q(numerator__isnull=True, denominator__isnull=True)
                # NULL compares as unknown, which a CHECK lets pass: both named not null.
                | Q(numerator__isnull=False, denominator__isnull=False, denominator__gt=0,
                    numerator__lte=F("denominator")),
                name="reading_counts_pair",
                violation_error_message=_("A numerator and a denominator come together, the "
                "numerator at most the denominator, the denominator more than 0."),
            ),
            models.CheckConstraint(
                condition=~Q(state=ReadingState.APPROVED) | Q(approved_value__isnull=False),
                name="reading_approved_has_value",
                violation_error_message=_("An approved reading has an approved value."),
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "district", "student_group", "-period_end"]),
            models.Index(fields=["state"]),
            # The API's keyset pages of readings and analytics rows walk this order
            # (metrics/api/pagination.py: READING_KEY); approved rows only, all it serves.
            models.Index(fields=["metric", "period_start", "district", "student_group", "id"],
                         condition=Q(approved_value__isnull=False), name="reading_keyset"),
            # The all-districts percents computed from the districts' counts read only
            # the readings that carry counts (metrics/aggregates/sql.py COMPUTED_SQL), not
            # every district's readings of the slice's group (5 ms a county-wide slice at
            # 4.32 M readings, twice per rebuild, when none has counts).
            models.Index(fields=["metric", "student_group", "period"],
                         condition=Q(numerator__isnull=False), name="reading_counts"),
        ]

    def __str__(self):
        return f"{self.metric.code} {self.period}: {self.display_value}"

    def save(self, *args, **kwargs):
        # Always re-derived: a corrected period must move its dates with it.
        self.set_period(Period.parse(self.period))
        if self.pk is not None:
            self.version += 1
            if getattr(self, "_decided_on", None) != self.decided_on:
                # What the publication rule was given changed: its decision no longer
                # holds (fail closed), and the mark tells the next pass which table to
                # decide again (metrics.privacy.decide.changed_tables).
                self.publication = Publication.UNDECIDED
        upload = self.evidence_file
        if upload and not upload._committed:
            self.evidence_name = download_name(upload.name)
        elif not upload:
            self.evidence_name = ""
        stored = self._evidence_before_save()
        super().save(*args, **kwargs)
        self._decided_on = self.decided_on
        if stored and stored != self.evidence_file.name:
            delete_on_commit(self.evidence_file.storage, stored)
        self._stored_evidence = self.evidence_file.name or ""

    def _evidence_before_save(self):
        stored = getattr(self, "_stored_evidence", None)
        if stored is None and self.pk is not None:
            stored = type(self)._base_manager.filter(pk=self.pk).values_list(
                "evidence_file", flat=True).first()
        return stored or ""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The stored evidence file, to delete once a save has replaced or removed it
        # (None when the field was not loaded).
        stored = instance.__dict__.get("evidence_file")
        instance._stored_evidence = getattr(stored, "name", stored)
        # What the publication rule was last given, when loaded (else a save resets it).
        if DECIDED_ON.issubset(field_names):
            instance._decided_on = instance.decided_on
        return instance

    @property
    def decided_on(self):
        """What the publication rule is given of this reading (metrics.privacy.decide):
        its approved value and that value's counts. The one place a change of it is seen."""
        return (self.approved_value, *self.approved_counts)

    @property
    def evidence_download_name(self):
        """The download's file name: the uploaded name, or one made from the reading."""
        extension = self.evidence_file.name.rpartition(".")[2]
        return self.evidence_name or download_name(
            f"{self.metric.code} {self.period} evidence.{extension}")

    @property
    def display_value(self):
        return self.metric.format(self.value, self.qualifier)

    @property
    def display_counts(self):
        """ "412 of 1,030" when the reading carries counts, else ""."""
        return format_counts(self.numerator, self.denominator)

    @property
    def approved_counts(self):
        """(numerator, denominator) of the approved value, else (None, None). The counts
        belong to the value entered, so they are the approved value's only while the two
        are the same (a correction waiting for approval has counts of its own)."""
        if self.approved_value is not None and self.approved_value == self.value:
            return self.numerator, self.denominator
        return None, None

    @property
    def display_approved_value(self):
        if self.approved_value is None:
            return ""
        return self.metric.format(self.approved_value, self.approved_qualifier)

    @property
    def awaits_approval(self):
        return self.state not in (ReadingState.APPROVED, ReadingState.RETURNED)

    @property
    def is_returned(self):
        return self.state == ReadingState.RETURNED

    @property
    def state_label(self):
        """How the state reads for people: "Returned: <the lead's comment>" for a returned
        value (never "pending"), else the state's label."""
        return returned_label(self.review_comment) if self.is_returned else (
            self.get_state_display())

    def clean(self):
        errors = {}
        if self.metric_id is not None or "metric" in self._state.fields_cache:
            metric = self.metric
            if self.period:
                try:
                    self.set_period(metric.validate_period(self.period))
                except ValidationError as exc:
                    errors.update(exc.message_dict)
            if self.value is not None:
                try:
                    if self.numerator is None and self.denominator is None:
                        metric.validate_value(self.value)
                    else:
                        metric.counts_value(self.value, self.numerator, self.denominator)
                except ValidationError as exc:
                    errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)

    def set_period(self, period):
        self.period = period.text
        self.period_start = period.start
        self.period_end = period.end
