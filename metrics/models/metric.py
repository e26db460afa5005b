"""A metric of the plan: what is measured, in which unit, against which target."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pillars.models import Goal, Pillar, PriorityArea, Program, StrategicPlan

from ..periods import PERIOD_FORMATS_HELP, Period, metric_is_retired
from ..roles import ENTER_PERMISSION, SET_TARGET_PERMISSION, is_administrator
from ..units import (
    DECIMAL_PLACES,
    MAX_DIGITS,
    Unit,
    counts_value,
    format_figure,
    spec,
    validate_value,
)
from .choices import QuickChoiceDisplay
from .dimensions import SLUG_HELP


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Accumulation(models.TextChoices):
    PER_PERIOD = "per_period", _("Per period")
    CUMULATIVE = "cumulative", _("Cumulative (running total)")


class Frequency(models.TextChoices):
    ANNUAL = "annual", _("Annual")
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")


class Level(models.TextChoices):
    PLAN = "plan", _("Plan-wide")
    PILLAR = "pillar", _("Pillar")
    PRIORITY_AREA = "priority_area", _("Priority area")
    GOAL = "goal", _("Goal")


class MetricQuerySet(models.QuerySet):
    def headlines(self):
        return self.filter(is_headline=True).order_by("pillar__order", "headline_order")

    def editable_by(self, user):
        """Metrics whose readings `user` may add or correct: a steward's own metrics,
        a lead's pillars, everything for an administrator (rule: metrics/access.py)."""
        if not user.is_authenticated or not user.has_perm(ENTER_PERMISSION):
            return self.none()
        if is_administrator(user):
            return self
        return self.filter(Q(owners=user) | Q(pillar__leads=user)).distinct()

    def approvable_by(self, user):
        """Metrics whose readings `user` may approve or return, and whose targets they set:
        the pillars a lead leads, everything for an administrator."""
        if not user.is_authenticated:
            return self.none()
        if is_administrator(user):
            return self
        if not user.has_perm(SET_TARGET_PERMISSION):
            return self.none()
        return self.filter(pillar__leads=user).distinct()


class Metric(QuickChoiceDisplay, models.Model):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="metrics")
    # A metric sits at its most specific level; the levels above are kept too so
    # that "all metrics of a pillar" is one indexed filter, not a walk of the tree.
    pillar = models.ForeignKey(
        Pillar, on_delete=models.PROTECT, null=True, blank=True, related_name="metrics"
    )
    priority_area = models.ForeignKey(
        PriorityArea, on_delete=models.PROTECT, null=True, blank=True, related_name="metrics"
    )
    goal = models.ForeignKey(
        Goal, on_delete=models.PROTECT, null=True, blank=True, related_name="metrics"
    )
    program = models.ForeignKey(
        Program, on_delete=models.SET_NULL, null=True, blank=True, related_name="metrics"
    )
    code = models.SlugField(max_length=100, help_text=SLUG_HELP)
    name = models.CharField(max_length=200)
    definition = models.TextField(blank=True)
    unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.COUNT)
    scale_min = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True,
        help_text=_("Rating: the lowest point of the scale (0 when empty)."),
    )
    scale_max = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True,
        help_text=_("Rating: the top of the scale (5 for 4.7/5). Rank: how many were ranked."),
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    accumulation = models.CharField(
        max_length=20, choices=Accumulation.choices, default=Accumulation.PER_PERIOD
    )
    frequency = models.CharField(max_length=20, choices=Frequency.choices, default=Frequency.ANNUAL)
    baseline_value = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True
    )
    baseline_period = models.CharField(max_length=20, blank=True, help_text=PERIOD_FORMATS_HELP)
    target_value = models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, null=True, blank=True
    )
    target_period = models.CharField(max_length=20, blank=True, help_text=PERIOD_FORMATS_HELP)
    on_track_threshold = models.PositiveSmallIntegerField(
        default=95,
        help_text=_("On track when at least this % of the progress expected by now is made."),
    )
    at_risk_threshold = models.PositiveSmallIntegerField(
        default=80,
        help_text=_("At risk (rather than off track) from this % of the expected progress."),
    )
    change_band = models.DecimalField(
        max_digits=8, decimal_places=4, null=True, blank=True,
        help_text=_("Without a target, the largest change that still counts as maintained: a % "
                  "of the earlier value for counts, money, ratios and ratings (2 when empty), "
                  "percentage points for percents (1), places for ranks (0: any move)."),
    )
    is_context = models.BooleanField(
        "context figure", default=False,
        help_text=_("A figure that describes the county or LACOE (students served, districts, "
                  "budgets, enrolments), not a result of the plan: never due, overdue or "
                  "judged, and left out of status counts."),
    )
    retired_on = models.DateField(
        null=True, blank=True,
        help_text=_("The day the metric stopped being measured, mid-plan: from then it is never "
                  "due or judged; its values stay in the history, exports and the report."),
    )
    retired_reason = models.TextField(
        blank=True, help_text=_("Why the metric was retired (required with the date).")
    )
    continues = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="continued_by",
        help_text=_("The metric of an earlier plan that this one continues."),
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="owned_metrics",
        help_text=_("Data stewards who keep this metric up to date."),
    )
    data_source = models.CharField(max_length=300, blank=True)
    dashboard_scale = models.ForeignKey(
        "metrics.DashboardScale", on_delete=models.PROTECT, null=True, blank=True,
        related_name="metrics",
        help_text=_("The California School Dashboard scale whose 5x5 grid places this metric."),
    )
    public_hidden = models.BooleanField(
        "held back from the API", default=False,
        help_text=_("Kept out of the token-less API even when its plan is public."),
    )
    is_headline = models.BooleanField(
        default=False, help_text=_("A big-number callout of its pillar in the annual report.")
    )
    headline_label = models.CharField(max_length=200, blank=True)
    headline_order = models.PositiveSmallIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    objects = MetricQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "pillar__order", "code"]
        permissions = [("set_target", "Can set a metric's target, baseline and thresholds")]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "code"],
                name="metric_code_unique_in_plan",
                violation_error_message=_("Another metric of this plan already has this code."),
            ),
            models.CheckConstraint(
                condition=Q(goal__isnull=True) | Q(priority_area__isnull=False),
                name="metric_goal_needs_priority_area",
                violation_error_message=_("A metric under a goal names the goal's priority area."),
            ),
            models.CheckConstraint(
                condition=Q(priority_area__isnull=True) | Q(pillar__isnull=False),
                name="metric_priority_area_needs_pillar",
                violation_error_message=_("A metric under a priority area names its pillar."),
            ),
            models.CheckConstraint(
                condition=Q(unit__in=Unit.values),
                name="metric_unit_known",
                violation_error_message=_("Unknown unit."),
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values),
                name="metric_direction_known",
                violation_error_message=_("Unknown direction."),
            ),
            models.CheckConstraint(
                condition=Q(accumulation__in=Accumulation.values),
                name="metric_accumulation_known",
                violation_error_message=_("Unknown accumulation."),
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values),
                name="metric_frequency_known",
                violation_error_message=_("Unknown update frequency."),
            ),
            models.CheckConstraint(
                condition=~Q(unit=Unit.RATING) | Q(scale_max__isnull=False),
                name="metric_rating_has_scale",
                violation_error_message=_("A rating needs the top of its scale."),
            ),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True)
                | Q(scale_max__isnull=True)
                | Q(scale_max__gt=F("scale_min")),
                name="metric_scale_ordered",
                violation_error_message=_("The top of the scale must be above its bottom."),
            ),
            models.CheckConstraint(
                condition=Q(at_risk_threshold__lt=F("on_track_threshold"))
                & Q(on_track_threshold__lte=100),
                name="metric_thresholds_ordered",
                violation_error_message=(
                    _("The at-risk threshold must be below the on-track threshold, "
                    "which is at most 100%.")
                ),
            ),
            models.CheckConstraint(
                condition=Q(change_band__isnull=True) | Q(change_band__gte=0),
                name="metric_change_band_not_negative",
                violation_error_message=_("The change band is 0 or more."),
            ),
            models.CheckConstraint(
                condition=Q(retired_on__isnull=True) | ~Q(retired_reason=""),
                name="metric_retired_has_reason",
                violation_error_message=_("Say why the metric was retired."),
            ),
            models.CheckConstraint(
                condition=Q(is_headline=False) | ~Q(headline_label=""),
                name="metric_headline_has_label",
                violation_error_message=_("A headline figure needs its callout label."),
            ),
        ]
        indexes = [models.Index(fields=["pillar", "is_headline"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("metrics:metric", kwargs={"plan": self.plan.slug, "code": self.code})

    def is_retired(self, today=None):
        """Retired by `today` (its retirement day has come): never due or judged."""
        return metric_is_retired(self, today)

    @property
    def level(self):
        if self.goal_id:
            return Level.GOAL
        if self.priority_area_id:
            return Level.PRIORITY_AREA
        if self.pillar_id:
            return Level.PILLAR
        return Level.PLAN

    def counts_value(self, value, numerator, denominator):
        """(value, numerator, denominator) of a reading, by units.counts_value."""
        return counts_value(self.unit, value, numerator, denominator,
                            scale_min=self.scale_min, scale_max=self.scale_max)

    @property
    def takes_counts(self):
        """True when a reading of this metric may carry a numerator and a denominator."""
        return spec(self.unit).counts_scale is not None

    def validate_value(self, value, field="value"):
        return validate_value(
            self.unit, value, scale_min=self.scale_min, scale_max=self.scale_max, field=field
        )

    def validate_period(self, text, field="period", *, before_plan_ok=False, closed_ok=False):
        """Parse `text` and check the period lies inside this metric's plan.

        A baseline may be measured before the plan starts (`before_plan_ok`). A closed
        plan takes no more values (the metric's own definition may still be corrected:
        `closed_ok`); an ended one still takes its own periods.
        """
        plan = self.plan
        if plan.closed_at and not closed_ok:
            raise ValidationError(
                {field: _("The plan %(plan)s is closed: its values are final and no value can "
                          "be entered or changed. An administrator can reopen it.")
                        % {"plan": plan.span_label}},
                code="plan_closed",
            )
        try:
            period = Period.parse(text)
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
        first = period.start if before_plan_ok else plan.starts_on
        if not period.within(first, plan.ends_on):
            raise ValidationError(
                {field: _("%(period)s is outside the plan %(plan)s: use a period from "
                          "%(first)s to %(last)s.")
                        % {"period": period, "plan": plan.span_label,
                           "first": plan.school_years[0], "last": plan.school_years[-1]}},
                code="period_outside_plan",
            )
        return period

    def format(self, value, qualifier=""):
        return format_figure(value, self.unit, qualifier=qualifier, scale_max=self.scale_max)

    def clean(self):
        errors = {}
        self._clean_levels(errors)
        if self.unit == Unit.RATING and self.scale_max is None:
            errors["scale_max"] = _(
                "A rating needs the top of its scale (5 for a rating out of 5).")
        if None not in (self.scale_min, self.scale_max) and self.scale_max <= self.scale_min:
            errors["scale_max"] = _("The top of the scale must be above its bottom.")
        if self.at_risk_threshold is not None and self.on_track_threshold is not None:
            if self.on_track_threshold > 100:
                errors["on_track_threshold"] = _("The on-track threshold is at most 100%.")
            elif self.at_risk_threshold >= self.on_track_threshold:
                errors["at_risk_threshold"] = _("Must be below the on-track threshold.")
        if self.is_headline and not self.headline_label:
            errors["headline_label"] = _("A headline figure needs the label printed under it.")
        if self.is_context and self.target_value is not None:
            errors["target_value"] = _("A context figure is never judged: it has no target.")
        if self.retired_on and not (self.retired_reason or "").strip():
            errors["retired_reason"] = _("Say why the metric was retired.")
        if self.continues_id and self.continues_id == self.pk:
            errors["continues"] = _("A metric cannot continue itself.")
        if self.plan_id:
            for value_field, period_field in (
                ("baseline_value", "baseline_period"),
                ("target_value", "target_period"),
            ):
                self._clean_pair(errors, value_field, period_field)
        if errors:
            raise ValidationError(errors)

    def _clean_levels(self, errors):
        if self.goal_id and self.goal.priority_area_id != self.priority_area_id:
            errors["goal"] = _("This goal belongs to another priority area than the one chosen.")
        if self.priority_area_id and self.priority_area.pillar_id != self.pillar_id:
            errors["priority_area"] = _("This priority area belongs to another pillar.")
        if self.pillar_id and self.plan_id and self.pillar.plan_id != self.plan_id:
            errors["pillar"] = _("This pillar belongs to another plan.")
        if self.program_id and self.plan_id and self.program.plan_id != self.plan_id:
            errors["program"] = _("This program belongs to another plan.")

    def _clean_pair(self, errors, value_field, period_field):
        value = getattr(self, value_field)
        period = getattr(self, period_field)
        if value is not None and value_field not in errors:
            try:
                self.validate_value(value, field=value_field)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if period:
            try:
                parsed = self.validate_period(
                    period, period_field, before_plan_ok=period_field == "baseline_period",
                    closed_ok=True,
                )
                setattr(self, period_field, str(parsed))
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if value is not None and not period:
            errors[period_field] = "Say which period this value is for. " + PERIOD_FORMATS_HELP
