"""Ways to slice readings: districts and student groups."""

from django.db import models
from django.db.models import Q

from pillars.models import SLUG_HELP


class Dimension(models.Model):
    """A way to slice readings. The whole (all districts, all students) is a real row."""

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


class District(Dimension):
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
