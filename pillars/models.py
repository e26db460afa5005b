"""The strategic plan: plan, pillars, priority areas, goals and the programs that serve them."""


from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

# School-year arithmetic is written once, in a leaf module with no imports of ours.
from metrics import periods

SLUG_HELP = "Lower-case letters, digits and hyphens; stable, used in URLs, imports and exports."


class StrategicPlanQuerySet(models.QuerySet):
    def real(self):
        """Plans of a real organisation, never the synthetic demo plan."""
        return self.filter(is_synthetic=False)


class StrategicPlan(models.Model):
    organisation = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    start_year = models.PositiveSmallIntegerField(
        help_text="Calendar year in which the first school year starts (2022 for 2022-23)."
    )
    end_year = models.PositiveSmallIntegerField(
        help_text="Calendar year in which the last school year ends (2025 for 2024-25)."
    )
    mission = models.TextField(blank=True)
    vision = models.TextField(blank=True)
    values = models.TextField(blank=True, help_text="One organisational value per line.")
    introduction = models.TextField(blank=True)
    is_synthetic = models.BooleanField(
        default=False,
        help_text="Synthetic demo data: marked as such on every page and export.",
    )
    is_current = models.BooleanField(
        "current plan", default=False,
        help_text="The plan the public home page shows. Until one is marked, the newest real "
                  "plan is shown, so a new, still empty plan never replaces the figures.",
    )
    is_public = models.BooleanField(
        "public in the API", default=False,
        help_text="Its approved values are open through the API (/api/v1/) without a token. "
                  "Single metrics can be held back (a metric's \"held back from the API\").",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Set when an administrator closes the plan: no value can then be entered or "
                  "changed, and its statuses are final.",
    )
    suppression_threshold = models.PositiveSmallIntegerField(
        default=11, validators=[MinValueValidator(1)],
        help_text="Fewest students a published figure may stand for: below it, public pages "
                  "and exports show * with a footnote (metrics.privacy). 11 by default.",
    )
    # The Spanish version of the plan's content is ours, not LACOE's, until an
    # administrator approves it (issue 18): until then Spanish pages say "unofficial
    # translation" (metrics/templatetags/content.py). Approving records who and when.
    spanish_approved_at = models.DateTimeField(
        "Spanish approved at", null=True, blank=True, editable=False,
        help_text="When an administrator approved the Spanish version of the plan's content; "
                  "until then Spanish pages mark it as an unofficial translation.",
    )
    spanish_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False, db_index=False,
    )
    history = HistoricalRecords()

    objects = StrategicPlanQuerySet.as_manager()

    class Meta:
        ordering = ["is_synthetic", "-start_year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gt=F("start_year")),
                name="plan_end_after_start",
                violation_error_message="The end year must come after the start year.",
            ),
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="one_current_plan",
                violation_error_message="Another plan is already the current plan.",
            ),
            models.CheckConstraint(
                condition=Q(suppression_threshold__gte=1),
                name="plan_suppression_threshold_positive",
                violation_error_message="The suppression threshold must be at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(is_synthetic=False),
                name="current_plan_is_real",
                violation_error_message="The synthetic demo plan cannot be the current plan.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("pillars:plan", kwargs={"plan": self.slug})

    @property
    def span_label(self):
        """The plan's span as LACOE writes it: 2022-25."""
        return periods.span_label(self.start_year, self.end_year)

    @property
    def starts_on(self):
        return periods.school_year_bounds(self.start_year, self.end_year)[0]

    @property
    def ends_on(self):
        return periods.school_year_bounds(self.start_year, self.end_year)[1]

    @property
    def school_years(self):
        return periods.school_years(self.start_year, self.end_year)

    @property
    def is_closed(self):
        """Closed by an administrator: entry refused, statuses final. When a plan has
        *ended* (its end date plus the grace time) is decided in metrics.status."""
        return self.closed_at is not None

    @property
    def spanish_is_official(self):
        return self.spanish_approved_at is not None

    @property
    def value_list(self):
        return [line.strip() for line in self.values.splitlines() if line.strip()]


class Pillar(models.Model):
    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="pillars")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, help_text=SLUG_HELP)
    commitment = models.TextField(help_text="The plan's own commitment statement, word for word.")
    leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="led_pillars",
        help_text="Pillar leads: approve readings and set targets of this pillar's metrics.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "slug"],
                name="pillar_slug_unique_in_plan",
                violation_error_message="Another pillar of this plan already has this slug.",
            ),
            models.UniqueConstraint(
                fields=["plan", "order"],
                name="pillar_order_unique_in_plan",
                violation_error_message="Another pillar of this plan already has this number.",
            ),
            models.CheckConstraint(
                condition=Q(order__gte=1),
                name="pillar_order_positive",
                violation_error_message="Pillars are numbered from 1.",
            ),
        ]

    def __str__(self):
        return f"Pillar {self.order}: {self.name}"

    def get_absolute_url(self):
        return reverse("pillars:pillar", kwargs={"plan": self.plan.slug, "pillar": self.slug})


class PriorityArea(models.Model):
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="priority_areas")
    order = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=80, help_text=SLUG_HELP)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pillar", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["pillar", "code"],
                name="priority_area_code_unique_in_pillar",
                violation_error_message="Another priority area of this pillar has this code.",
            ),
        ]

    def __str__(self):
        return self.name


class Goal(models.Model):
    priority_area = models.ForeignKey(PriorityArea, on_delete=models.CASCADE, related_name="goals")
    order = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=80, help_text=SLUG_HELP)
    statement = models.TextField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["priority_area", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["priority_area", "code"],
                name="goal_code_unique_in_priority_area",
                violation_error_message="Another goal of this priority area has this code.",
            ),
        ]

    def __str__(self):
        return self.statement


class Program(models.Model):
    """An initiative the report groups figures under (Getting Reading Right, EASE, GAIN...)."""

    plan = models.ForeignKey(StrategicPlan, on_delete=models.CASCADE, related_name="programs")
    pillar = models.ForeignKey(
        Pillar, on_delete=models.SET_NULL, null=True, blank=True, related_name="programs"
    )
    slug = models.SlugField(max_length=80, help_text=SLUG_HELP)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "slug"],
                name="program_slug_unique_in_plan",
                violation_error_message="Another program of this plan already has this slug.",
            ),
        ]

    def __str__(self):
        return self.name
