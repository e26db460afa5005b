"""Precomputed dashboard aggregates. Pages read these rows, never raw readings.

Rebuilt by metrics.aggregates (incrementally after a change, fully every night);
a rebuild replaces rows inside one transaction, so a page sees the old rows or
the new ones, never half of each.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from pillars.models import Goal, Pillar, PriorityArea, StrategicPlan

from ..status import Status
from ..units import DECIMAL_PLACES, MAX_DIGITS, Qualifier
from .choices import QuickChoiceDisplay
from .dimensions import District, StudentGroup
from .metric import Level, Metric
from .reading import Publication, returned_label


def _decimal(**kwargs):
    return models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True, **kwargs
    )


def computed_label(districts):
    """"computed from 3 districts" for a figure computed from that many, else ""."""
    if districts is None:
        return ""
    return ngettext("computed from %(count)d district", "computed from %(count)d districts",
                    districts) % {"count": districts}


@dataclass(frozen=True)
class TrendPoint:
    """One point of MetricSnapshot.series, its marks named."""

    period: str
    value: str
    plan: str | None = None  # an earlier plan's years ("2022-25"); None: this plan's
    districts: int | None = None  # computed from this many districts; None: reported

    @classmethod
    def of(cls, point):
        return cls(*point[:4])

    @property
    def computed_label(self):
        return computed_label(self.districts)


class MetricSnapshotQuerySet(models.QuerySet):
    def county_wide(self):
        return self.filter(district__is_total=True, student_group__is_total=True)

    def county_wide_of(self, metric):
        """The metric's one county-wide snapshot (one_county_wide_snapshot), or None.
        Without the ORDER BY id that .first() adds: with it PostgreSQL walked the primary
        key from the start until it met the row, 180-220 ms for a metric whose snapshots
        were written last in a table of 120 k (bench/run.py's small plan beside the large
        one, 2026-12-02), against well under 1 ms by the constraint's index."""
        return next(iter(self.filter(metric=metric, is_county_wide=True).order_by()[:1]), None)


class MetricSnapshot(QuickChoiceDisplay, models.Model):
    """The latest state of one metric for one district and student group."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="snapshots")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    student_group = models.ForeignKey(StudentGroup, on_delete=models.CASCADE, related_name="+")
    is_county_wide = models.BooleanField(default=False, db_index=True)
    latest_period = models.CharField(max_length=20, blank=True)
    latest_period_end = models.DateField(null=True, blank=True)
    latest_value = _decimal()
    latest_qualifier = models.CharField(max_length=20, choices=Qualifier.choices, blank=True)
    previous_period = models.CharField(max_length=20, blank=True)
    previous_value = _decimal()
    change = _decimal()
    # The publication rule's decisions on latest_value and previous_value, copied from
    # their readings by the worker (Reading.publication); a change is public only when
    # both are PUBLISHED (privacy.change_shown). Staff pages show the real value with
    # "suppressed in public"; public pages the mark "*".
    latest_publication = models.CharField(
        max_length=20, choices=Publication.choices, default=Publication.UNDECIDED,
        db_default=Publication.UNDECIDED,
    )
    previous_publication = models.CharField(
        max_length=20, choices=Publication.choices, default=Publication.UNDECIDED,
        db_default=Publication.UNDECIDED,
    )
    # How many students the latest and previous values count (the reading's
    # denominator for a percent, the count itself for a count metric; None when the
    # reading says nothing of it), copied by the worker so that pages can apply the
    # Dashboard's minimum n for a colour (dashboard.place) without reading readings.
    latest_n = models.PositiveBigIntegerField(null=True, blank=True)
    previous_n = models.PositiveBigIntegerField(null=True, blank=True)
    # The slice's own first approved value: its baseline when a district's or a group's
    # slice is judged (metrics.slice_status.judge_slice); the metric's baseline is the
    # county's figure.
    first_period = models.CharField(max_length=20, blank=True, default="", db_default="")
    first_value = _decimal()
    # A digest of what judged this row's status (its values and its metric's rules:
    # aggregates/slices.py), so that a full rebuild judges again only what moved.
    judged_key = models.CharField(max_length=32, blank=True, default="", db_default="")
    # On an all-districts row whose latest value no one reported: the number of districts
    # it was computed from (a percent only, as their summed numerators over their summed
    # denominators; counts are never summed: metrics/aggregates/county.py); None when
    # the value was reported. Never public: it has no reading to be decided on.
    computed_from_districts = models.PositiveIntegerField(null=True, blank=True)
    # When this slice last received an approved value: the newest approval time (a
    # reading's save time when it has none; loading.publication_time dates published
    # figures) of its own approved readings, kept by the rebuild so that the pages'
    # freshness never aggregates readings on request (selectors.pillars_last_approved).
    last_approved_at = models.DateTimeField(null=True, blank=True)
    # The newest value entered but not approved yet (county-wide rows), shown beside
    # the approved one and marked as pending.
    pending_value = _decimal()
    pending_qualifier = models.CharField(max_length=20, choices=Qualifier.choices, blank=True)
    pending_period = models.CharField(max_length=20, blank=True)
    # The newest value a pillar lead returned (county-wide rows): not pending, and its
    # period still due; pages read "Returned: <comment>" (`returned_label`).
    returned_period = models.CharField(max_length=20, blank=True, default="", db_default="")
    returned_comment = models.TextField(blank=True, default="", db_default="")
    # Share of the way from baseline to target reached (1 = target met), and the
    # share expected by the latest period; status compares the two.
    progress = models.FloatField(null=True, blank=True)
    expected = models.FloatField(null=True, blank=True)
    # Every slice is judged: the county-wide row by judge_metric, the others by
    # judge_slice (against their own first value); roll-ups count county-wide rows only.
    status = models.CharField(max_length=20, choices=Status.choices, blank=True,
                              default=Status.NO_DATA)
    status_reason = models.TextField(blank=True)
    next_due_on = models.DateField(
        null=True, blank=True, help_text=_("When the next reading is due, by the update frequency.")
    )
    # [[period, value], ...] oldest first, county-wide rows only: what a chart needs. A
    # continued metric's also holds the approved points of the metric it continues,
    # marked with that plan's years: [period, value, "2022-25"] (aggregates.continued);
    # a point computed from districts (no county-wide figure reported for its period)
    # also the number of districts: [period, value, null, 3] (aggregates.county).
    series = models.JSONField(default=list, blank=True)

    objects = MetricSnapshotQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "district", "student_group"], name="one_snapshot_per_slice"
            ),
            # All districts x All students is one slice: so one county-wide row a metric
            # (and the index county_wide_of reads it by).
            models.UniqueConstraint(
                fields=["metric"], condition=Q(is_county_wide=True),
                name="one_county_wide_snapshot",
            ),
        ]
        indexes = [models.Index(fields=["is_county_wide", "status"])]

    def __str__(self):
        return f"{self.metric_id}/{self.district_id}/{self.student_group_id}: {self.status}"

    @property
    def trend_points(self):
        """The series as TrendPoints: period, value, plan years (None: this plan's) and
        the number of districts a computed point comes from (None: reported)."""
        return [TrendPoint.of(point) for point in self.series]

    @property
    def earlier_plans(self):
        """The years of the earlier plans whose readings the trend shows, oldest first:
        ["2022-25"] for a metric that continues one of the 2022-25 plan; [] otherwise."""
        return sorted({p.plan for p in self.trend_points if p.plan})

    @property
    def has_computed_points(self):
        return any(p.districts for p in self.trend_points)

    @property
    def computed_label(self):
        """"computed from 3 districts" on a figure no one reported, else ""."""
        return computed_label(self.computed_from_districts)

    @property
    def returned_label(self):
        """"Returned: <the lead's comment>" while a returned value waits to be resubmitted."""
        return returned_label(self.returned_comment) if self.returned_period else ""


class Rollup(QuickChoiceDisplay, models.Model):
    """Status counts of the metrics under one node of the plan (plan, pillar, area, goal)."""

    Level = Level  # the metric's levels: one definition (metrics.models.metric)

    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="rollups")
    level = models.CharField(max_length=20, choices=Level.choices)
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, null=True, related_name="+")
    priority_area = models.ForeignKey(
        PriorityArea, on_delete=models.CASCADE, null=True, related_name="+"
    )
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, null=True, related_name="+")
    metric_count = models.PositiveIntegerField(default=0)
    # {"on_track": 3, ...} and {"on_track": [metric ids], ...}: which metrics made the status.
    counts = models.JSONField(default=dict)
    metrics_by_status = models.JSONField(default=dict)
    share_on_track = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NO_DATA)
    status_reason = models.TextField(blank=True)
    stale_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(level="plan"), name="one_rollup_per_plan"
            ),
            models.UniqueConstraint(
                fields=["pillar"], condition=Q(level="pillar"), name="one_rollup_per_pillar"
            ),
            models.UniqueConstraint(
                fields=["priority_area"], condition=Q(level="priority_area"),
                name="one_rollup_per_priority_area",
            ),
            models.UniqueConstraint(
                fields=["goal"], condition=Q(level="goal"), name="one_rollup_per_goal"
            ),
        ]

    def __str__(self):
        return f"{self.level} rollup: {self.status}"

    def count(self, status):
        return self.counts.get(status, 0)


class PendingRebuild(models.Model):
    """A metric whose readings or target changed and whose aggregates are not rebuilt yet."""

    metric = models.OneToOneField(Metric, on_delete=models.CASCADE, related_name="pending_rebuild")
    requested_at = models.DateTimeField(auto_now=True)
    # False while only some slices changed (their PendingSlice rows say which): a
    # target or placement change needs the whole metric.
    whole = models.BooleanField(default=True, db_default=True)

    def __str__(self):
        return f"rebuild of metric {self.metric_id} pending since {self.requested_at}"


class PendingSlice(models.Model):
    """One metric x district x student group whose readings changed, not rebuilt yet."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    student_group = models.ForeignKey(StudentGroup, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "district", "student_group"], name="one_pending_slice"
            ),
        ]

    def __str__(self):
        return f"rebuild of slice {self.metric_id}/{self.district_id}/{self.student_group_id}"


class AggregateState(models.Model):
    """A single row: when the aggregates were last rebuilt, fully and at all."""

    last_full_rebuild_at = models.DateTimeField(null=True, blank=True)
    last_rebuild_at = models.DateTimeField(null=True, blank=True)
    last_full_rebuild_seconds = models.FloatField(null=True, blank=True)

    def __str__(self):
        return f"aggregates rebuilt {self.last_rebuild_at}"

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).first() or cls(pk=1)
