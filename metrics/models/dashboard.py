"""A California School Dashboard scale: levels, cut points and the 5x5 colour table.

The rules that read it (placement, rounding, minimum students, change needed) are in
metrics/dashboard.py; this model only holds a scale as CDE publishes it and refuses one
that does not hold together (validate_scale).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..dashboard import validate_scale
from ..units import DECIMAL_PLACES, MAX_DIGITS
from .dimensions import SLUG_HELP
from .metric import Direction

LEVELS_HELP = _('Five levels in the order CDE prints them, each {"name": ..., "min": ..., '
                '"max": ...} on the rounded value, both ends inclusive; the lowest level has '
                'no min and the highest no max.')


class DashboardScale(models.Model):
    code = models.SlugField(max_length=100, unique=True, help_text=SLUG_HELP)
    indicator = models.CharField(max_length=200, help_text=_("The Dashboard indicator's name."))
    applies_to = models.CharField(
        max_length=200, blank=True, help_text=_("Whom these cut points are for (LEAs, schools)."))
    direction = models.CharField(max_length=10, choices=Direction.choices,
                                 default=Direction.HIGHER)
    decimals = models.PositiveSmallIntegerField(
        default=1, help_text=_("Status and Change are rounded to this many decimals."))
    value_min = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                    default=0)
    value_max = models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                    default=100)
    value_suffix = models.CharField(max_length=10, blank=True, default="%")
    change_unit = models.CharField(max_length=40, default="percentage points")
    status_levels = models.JSONField(help_text=LEVELS_HELP)
    change_levels = models.JSONField(help_text=LEVELS_HELP)
    colours = models.JSONField(
        help_text=_("Five rows (status levels, in their order) of five colours (change levels, "
                  "in their order): Blue, Green, Yellow, Orange or Red."))
    min_n = models.PositiveIntegerField(
        default=30, help_text=_("Fewer students than this: no colour."))
    small_n = models.PositiveIntegerField(
        null=True, blank=True,
        help_text=_("Fewer students than this: the Dashboard's small-population rule applies "
                  "(no colour shown here)."))
    source = models.TextField(help_text=_("Title, edition and section of the published table."))
    source_url = models.URLField(max_length=300)
    verification = models.TextField(
        blank=True, help_text=_("What was checked against the source, and what was not."))

    class Meta:
        ordering = ["indicator", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction__in=Direction.values),
                name="dashboardscale_direction_known",
                violation_error_message=_("Unknown direction."),
            ),
            models.CheckConstraint(
                condition=models.Q(value_max__gt=models.F("value_min")),
                name="dashboardscale_range",
                violation_error_message=_("The highest value must be above the lowest."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator} ({self.applies_to})" if self.applies_to else self.indicator

    def clean(self):
        super().clean()
        if errors := validate_scale(self):
            raise ValidationError(errors)
