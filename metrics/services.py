"""Writes to metrics and readings. Every write validates with the model's rules first."""

from django.db import transaction
from django.utils import timezone

from .models import District, Reading, ReadingState, StudentGroup


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
    approve=False,
):
    """Add or correct the reading of `metric` for one period, district and student group.

    District and student group default to the whole (all districts, all students).
    A new or changed value is submitted for approval, unless `approve` (published
    figures such as the LACOE fixtures, or a pillar lead's own entry) approves it at
    once. Raises ValidationError, naming the field, when anything is not allowed;
    then nothing is written.
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
        unchanged = reading.pk and all(getattr(reading, k) == v for k, v in changes.items())
        if unchanged and (not approve or reading.state == ReadingState.APPROVED):
            return reading  # nothing changed: no save, no history entry
        for name, new in changes.items():
            setattr(reading, name, new)
        if user is not None:
            reading.entered_by = user
        if approve:
            _approve(reading, user)
        elif not unchanged:
            reading.state = ReadingState.SUBMITTED
        reading.full_clean()
        reading.save()
    return reading


def _approve(reading, user):
    reading.state = ReadingState.APPROVED
    reading.approved_value = reading.value
    reading.approved_qualifier = reading.qualifier
    reading.approved_by = user
    reading.approved_at = timezone.now()


def reading_approve(*, reading, user, comment=""):
    """Approve the value entered: statuses, roll-ups, exports and public pages use it."""
    with transaction.atomic():
        reading = Reading.objects.select_for_update().get(pk=reading.pk)
        _approve(reading, user)
        reading.review_comment = comment or ""
        reading.save()
    return reading
