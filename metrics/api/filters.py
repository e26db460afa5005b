"""The API's filters: plan, pillar, metric, period, district and student group.

Each value is validated before it reaches a query: a slug that is no slug or a period
that is no period is a 400 naming the field (DRF's filter backend turns the form's
errors into a ValidationError), never a 500. A well-formed value nobody uses matches
nothing (an empty page), as a search does.
"""

import django_filters
from django import forms
from django.core.validators import validate_slug
from django_filters import rest_framework as filters

from ..models import MetricSnapshot, Reading
from ..periods import PERIOD_FORMATS_HELP, Period

_SLUG = {"max_length": 100, "validators": [validate_slug]}


class PeriodField(forms.CharField):
    def to_python(self, value):
        text = super().to_python(value)
        return Period.parse(text).text if text else text


class PeriodFilter(django_filters.CharFilter):
    field_class = PeriodField


def slug(field_name, help_text):
    return django_filters.CharFilter(field_name=field_name, help_text=help_text, **_SLUG)


def _plan(prefix):
    return slug(f"{prefix}plan__slug", "A plan's slug (see /api/v1/plans/).")


def _pillar(prefix):
    return slug(f"{prefix}pillar__slug", "A pillar's slug (see /api/v1/pillars/).")


class PillarFilter(filters.FilterSet):
    plan = _plan("")


class PriorityAreaFilter(filters.FilterSet):
    plan = _plan("pillar__")
    pillar = slug("pillar__slug", "A pillar's slug.")


class GoalFilter(filters.FilterSet):
    plan = _plan("priority_area__pillar__")
    pillar = slug("priority_area__pillar__slug", "A pillar's slug.")


class MetricFilter(filters.FilterSet):
    plan = _plan("")
    pillar = _pillar("")


class _SliceFilter(filters.FilterSet):
    """The filters of values: by plan, pillar, metric, district and student group."""

    plan = _plan("metric__")
    pillar = _pillar("metric__")
    metric = slug("metric__code", "A metric's code (see /api/v1/metrics/).")
    district = slug("district__code", "A district's code; `all` is county-wide.")
    student_group = slug("student_group__code",
                         "A student group's code; `all` is every student.")


class ReadingFilter(_SliceFilter):
    period = PeriodFilter(field_name="period", max_length=20, help_text=PERIOD_FORMATS_HELP)

    class Meta:
        model = Reading
        fields = ["plan", "pillar", "metric", "period", "district", "student_group"]


class SnapshotFilter(_SliceFilter):
    period = PeriodFilter(field_name="latest_period", max_length=20,
                          help_text="The latest period with an approved value. "
                                    + PERIOD_FORMATS_HELP)

    class Meta:
        model = MetricSnapshot
        fields = ["plan", "pillar", "metric", "period", "district", "student_group"]
