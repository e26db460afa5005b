"""Writes to metrics and readings. Every write validates with the model's rules first."""

from django.db import transaction

from .models import District, Reading, StudentGroup


def reading_record(
    *,
    metric,
    period,
    value,
    user=None,
    district=None,
    student_group=None,
    qualifier="",
    note="",
    source_text="",
    is_derived=False,
):
    """Add or correct the reading of `metric` for one period, district and student group.

    District and student group default to the whole (all districts, all students).
    Raises ValidationError, naming the field, when anything is not allowed; then
    nothing is written.
    """
    district = district or District.objects.total()
    student_group = student_group or StudentGroup.objects.total()
    period_text = str(metric.validate_period(period))
    with transaction.atomic():
        reading = (
            Reading.objects.select_for_update()
            .filter(
                metric=metric, period=period_text, district=district, student_group=student_group
            )
            .order_by("pk")  # the default ordering joins other tables, which FOR UPDATE refuses
            .first()
        ) or Reading(
            metric=metric, period=period_text, district=district, student_group=student_group
        )
        changes = {
            "value": metric.validate_value(value),
            "qualifier": qualifier or "",
            "note": note or "",
            "source_text": source_text or "",
            "is_derived": is_derived,
        }
        if reading.pk and all(getattr(reading, k) == v for k, v in changes.items()):
            return reading  # nothing changed: no save, no history entry
        for name, new in changes.items():
            setattr(reading, name, new)
        if user is not None:
            reading.entered_by = user
        reading.full_clean()
        reading.save()
    return reading
