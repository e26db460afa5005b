"""Writes to metrics and readings. Every write validates with the model's rules first,
runs in its own transaction, and reaches the aggregates through the model signals."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import District, Reading, ReadingState, StudentGroup

READING_FIELDS = ("value", "qualifier", "note", "source_text", "is_derived", "evidence_url")


class EditConflict(Exception):
    """Someone else saved the reading since the form was opened."""

    def __init__(self, current):
        self.current = current
        super().__init__(f"reading {current.pk} is at version {current.version}")


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
    evidence_url="",
    evidence_file=None,
    approve=False,
    expected_version=None,
):
    """Add or correct the reading of `metric` for one period, district and student group.

    District and student group default to the whole (all districts, all students).
    A new or changed value is submitted for approval, unless `approve` (published
    figures such as the LACOE fixtures, or an approver's own entry) approves it at
    once. `expected_version` is the version the user's form showed (0 for a new
    reading): when someone saved since, EditConflict is raised and nothing is
    written. Raises ValidationError, naming the field, when a value is not allowed.
    """
    district = district or District.objects.total()
    student_group = student_group or StudentGroup.objects.total()
    period_text = str(metric.validate_period(period))
    with transaction.atomic():
        existing = (
            Reading.objects.select_for_update()
            .filter(
                metric=metric, period=period_text, district=district, student_group=student_group
            )
            .order_by("pk")  # the default ordering joins other tables, which FOR UPDATE refuses
            .first()
        )
        if expected_version is not None and (existing.version if existing else 0) != int(
            expected_version
        ):
            raise EditConflict(existing)
        reading = existing or Reading(
            metric=metric, period=period_text, district=district, student_group=student_group
        )
        changes = {
            "value": metric.validate_value(value),
            "qualifier": qualifier or "",
            "note": note or "",
            "source_text": source_text or "",
            "is_derived": is_derived,
            "evidence_url": evidence_url or "",
        }
        unchanged = bool(reading.pk) and not evidence_file and all(
            getattr(reading, k) == v for k, v in changes.items()
        )
        if unchanged and (not approve or reading.state == ReadingState.APPROVED):
            return reading  # nothing changed: no save, no history entry
        for name, new in changes.items():
            setattr(reading, name, new)
        if evidence_file:
            reading.evidence_file = evidence_file
        if user is not None:
            reading.entered_by = user
        if approve:
            _approve(reading, user)
        elif not unchanged:
            reading.state = ReadingState.SUBMITTED
            reading.review_comment = ""
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


def reading_return(*, reading, user, comment):
    """Send a submitted value back to its steward with a comment; the approved one stays."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Say what needs changing, so the steward can fix it."})
    with transaction.atomic():
        reading = Reading.objects.select_for_update().get(pk=reading.pk)
        if reading.state == ReadingState.APPROVED:
            raise ValidationError({"comment": "This value is already approved."})
        reading.state = ReadingState.DRAFT
        reading.review_comment = comment
        reading.save()
    return reading


def reading_restore(*, reading, record, user):
    """Bring back the value of a historical record, through the same path as an edit."""
    if record.id != reading.pk:
        raise PermissionDenied("That history entry belongs to another reading.")
    return reading_record(
        metric=reading.metric, period=reading.period, district=reading.district,
        student_group=reading.student_group, value=record.value, qualifier=record.qualifier,
        note=record.note, source_text=record.source_text, is_derived=record.is_derived,
        evidence_url=record.evidence_url, user=user, expected_version=reading.version,
    )


TARGET_FIELDS = ("target_value", "target_period", "baseline_value", "baseline_period",
                 "on_track_threshold", "at_risk_threshold")


def metric_set_target(*, metric, **values):
    """Set a metric's target, baseline and status thresholds; the dashboards follow."""
    with transaction.atomic():
        for name in TARGET_FIELDS:
            if name in values:
                setattr(metric, name, values[name])
        metric.full_clean()
        metric.save()
    return metric
