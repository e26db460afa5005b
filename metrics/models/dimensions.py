"""Ways to slice readings: districts and student groups, each linked to the plans that use it."""

from django.db import models
from django.db.models import Q

from pillars.models import SLUG_HELP, StrategicPlan


class Dimension(models.Model):
    """A way to slice readings. The whole (all districts, all students) is a real row,
    single and global: it belongs to every plan and is linked to none."""

    code = models.SlugField(max_length=80, unique=True, help_text=SLUG_HELP)
    name = models.CharField(max_length=200, unique=True)
    is_total = models.BooleanField(
        default=False, help_text="The row that stands for the whole (county-wide, all students)."
    )

    class Meta:
        abstract = True
        ordering = ["-is_total", "name"]

    def __str__(self):
        return self.name


class DimensionQuerySet(models.QuerySet):
    def total(self):
        return self.get(is_total=True)

    def for_plan(self, plan):
        """What a plan's forms, filters, imports and exports offer: the total row and the
        plan's own rows, never another plan's (real and synthetic never mix)."""
        own = self.model.objects.filter(plans=plan).values("pk")  # a subquery: no duplicates
        return self.filter(Q(is_total=True) | Q(pk__in=own))

    def own(self, plan):
        """The plan's own rows, without the total row."""
        return self.for_plan(plan).filter(is_total=False)


class District(Dimension):
    plans = models.ManyToManyField(
        StrategicPlan, blank=True, related_name="districts",
        help_text="The plans that report for this district (not set on the total row).",
    )

    objects = DimensionQuerySet.as_manager()

    class Meta(Dimension.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["is_total"],
                condition=Q(is_total=True),
                name="one_county_wide_district",
                violation_error_message="Only one district row may stand for all districts.",
            ),
        ]


class StudentGroup(Dimension):
    plans = models.ManyToManyField(
        StrategicPlan, blank=True, related_name="student_groups",
        help_text="The plans that report for this student group (not set on the total row).",
    )

    objects = DimensionQuerySet.as_manager()

    class Meta(Dimension.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["is_total"],
                condition=Q(is_total=True),
                name="one_all_students_group",
                violation_error_message="Only one student group may stand for all students.",
            ),
        ]
