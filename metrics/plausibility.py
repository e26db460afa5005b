"""Whether a waiting value looks plausible, next to what came before it: the one rule the
approvals page shows and `reading_approve` enforces.

A value is flagged when it is more than double or less than half the previous approved
value, or outside the range of the earlier approved values (with at least two of them).
The lead ticks "checked" to approve a flagged value.
"""

from django.db.models import Case, CharField, Count, F, Max, Min, OuterRef, Subquery, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from .models import Reading


def judged(queryset):
    """Readings annotated, in the same query, with what a lead judges them against:
    `previous_value` (the approved value this one replaces, else the latest approved
    value of an earlier period of the same slice), `previous_period`, and the lowest,
    highest and number of approved values of earlier periods (`earlier_low`,
    `earlier_high`, `earlier_count`)."""
    earlier = Reading.objects.filter(
        metric=OuterRef("metric"), district=OuterRef("district"),
        student_group=OuterRef("student_group"), period_start__lt=OuterRef("period_start"),
        approved_value__isnull=False,
    )
    latest = earlier.order_by("-period_start")
    grouped = earlier.order_by().values("metric")

    def aggregate(function):
        return Subquery(grouped.annotate(x=function).values("x")[:1])

    return queryset.annotate(
        previous_value=Coalesce("approved_value",
                                Subquery(latest.values("approved_value")[:1])),
        previous_period=Case(
            When(approved_value__isnull=False, then=F("period")),
            default=Subquery(latest.values("period")[:1]), output_field=CharField(),
        ),
        earlier_low=aggregate(Min("approved_value")),
        earlier_high=aggregate(Max("approved_value")),
        earlier_count=Coalesce(aggregate(Count("pk")), 0),
    )


def change(reading):
    """(absolute, percent) change from the previous approved value; None when there is
    none (percent None when the previous value is 0)."""
    previous = reading.previous_value
    if previous is None:
        return None
    absolute = reading.value - previous
    return absolute, (absolute / previous * 100 if previous else None)


def warning(reading):
    """Why a lead should look twice at `reading` (a judged() row), or "" when nothing."""
    value, previous = reading.value, reading.previous_value
    fmt = reading.metric.format
    if previous is not None and previous > 0 and value > 2 * previous:
        return _("More than double the previous value (%(previous)s).") % {
            "previous": fmt(previous)}
    if previous is not None and previous > 0 and value < previous / 2:
        return _("Less than half the previous value (%(previous)s).") % {
            "previous": fmt(previous)}
    if reading.earlier_count >= 2 and not reading.earlier_low <= value <= reading.earlier_high:
        return _("Outside the range of earlier values (%(low)s to %(high)s).") % {
            "low": fmt(reading.earlier_low), "high": fmt(reading.earlier_high)}
    return ""
