"""Writes to readings: record, approve, return, restore. Every write validates with the
model's rules first, runs in its own transaction, and asks for its metric's rebuild
(`request_rebuild`, queued on commit).

Whether a value is approved at once is decided here only (`approval`): callers state
their intent and this module refuses an approval the user may not make.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access, plausibility
from ..aggregates import request_rebuild
from ..models import District, Metric, Reading, ReadingState, StudentGroup
from .plans import refuse_if_closed
from .reminders import notify_returned

READING_FIELDS = ("value", "qualifier", "note", "source_text", "is_derived", "evidence_url")


class _Keep:
    """The default of a `reading_record` field the caller did not give: the reading keeps
    what it has (a new reading gets the model's default). A form passes only the fields
    it shows, so it never empties one it did not display."""

    def __repr__(self):
        return "KEEP"


KEEP = _Keep()


RETURN_NEEDS_COMMENT = _("Say what needs changing, so the steward can fix it.")

APPROVAL_REFUSED = _(
    "You may not approve values of this metric: a pillar lead of its pillar does.")


def approved_metric_ids(user, metrics, approve=None):
    """The one approval rule: which of `metrics` (ids or a queryset) get their new values
    approved at once when `user` enters them, given the caller's intent `approve`.

    - approve=None: as the user's role allows: a pillar lead's or an administrator's
      own entries are approved at once, a steward's wait for approval;
    - approve=True: publish at once; PermissionDenied when the user may not approve
      one of them;
    - approve=False: submit for approval, whoever enters it.
    `user=None` is the system itself (loading published fixtures): it may approve.
    """
    ids = set(
        metrics.values_list("pk", flat=True) if hasattr(metrics, "values_list") else metrics
    )
    if approve is False or not ids:
        return set()
    if user is None:
        return ids if approve else set()
    allowed = set(access.approvable_metrics(user, Metric.objects.filter(pk__in=ids))
                  .values_list("pk", flat=True))
    if approve and allowed != ids:
        raise PermissionDenied(APPROVAL_REFUSED)
    return allowed


def approval(user, metric, approve=None):
    """`approved_metric_ids` for one metric: True when its new value is approved at once."""
    return metric.pk in approved_metric_ids(user, [metric.pk], approve)


class EditConflict(Exception):
    """Someone else saved the reading since the form was opened."""

    def __init__(self, current):
        self.current = current  # the reading as it is now; None when there is none
        super().__init__(f"reading {current.pk} is at version {current.version}" if current
                         else "the reading no longer exists")


def reading_record(
    *,
    metric,
    period,
    value,
    numerator=KEEP,
    denominator=KEEP,
    user=None,
    district=None,
    student_group=None,
    qualifier=KEEP,
    note=KEEP,
    source_text=KEEP,
    is_derived=KEEP,
    evidence_url=KEEP,
    evidence_file=None,
    approve=None,
    expected_version=None,
    approved_at=None,
):
    """Add or correct the reading of `metric` for one period, district and student group.

    District and student group default to the whole (all districts, all students).
    A new or changed value is approved at once or submitted for approval by the one
    rule, `approval(user, metric, approve)`: `approve` states the caller's intent.
    `expected_version` is the version the user's form showed (0 for a new reading):
    when someone saved since, EditConflict is raised and nothing is written. Raises
    ValidationError, naming the field, when a value is not allowed. A field left at
    KEEP (the default) keeps what the reading has. A percent's `numerator` and
    `denominator` come together (either given: both are; the other KEEP counts as empty);
    with them `value` may be None, and is worked out by units.counts_value. A value given
    while the counts are kept must agree with the counts kept.

    `approved_at` is for the system only (`user=None`, loading figures published
    earlier, metrics.loading): when they were approved, their publication, rather than
    now. A reading whose value and approval are as given is left as it is; one that
    differs only in its approval time (loaded before the time was known) gets it.
    """
    if approved_at is not None and user is not None:
        raise ValueError("Only the system records an approval made earlier; a person's is now.")
    district = district or District.objects.total()
    student_group = student_group or StudentGroup.objects.total()
    period_text = str(metric.validate_period(period))
    approve = approval(user, metric, approve)
    with transaction.atomic():
        existing = _current_reading(metric, period_text, district, student_group)
        if expected_version is not None and (existing.version if existing else 0) != int(
            expected_version
        ):
            raise EditConflict(existing)
        reading = existing or Reading(
            metric=metric, period=period_text, district=district, student_group=student_group
        )
        given = {"qualifier": qualifier, "note": note, "source_text": source_text,
                 "evidence_url": evidence_url}
        if numerator is KEEP and denominator is KEEP:
            numerator, denominator = reading.numerator, reading.denominator
        numerator, denominator = (None if v is KEEP else v for v in (numerator, denominator))
        changes = dict(zip(("value", "numerator", "denominator"),
                           metric.counts_value(value, numerator, denominator), strict=True))
        changes.update({k: v or "" for k, v in given.items() if v is not KEEP})
        if is_derived is not KEEP:
            changes["is_derived"] = bool(is_derived)
        # evidence_file=False removes the file (the admin's "clear"); None keeps it.
        removing = evidence_file is False and bool(reading.evidence_file)
        unchanged = bool(reading.pk) and not evidence_file and not removing and all(
            getattr(reading, k) == v for k, v in changes.items()
        )
        if unchanged and (not approve or (reading.state == ReadingState.APPROVED and (
                approved_at is None or reading.approved_at == approved_at))):
            return reading  # nothing changed: no save, no history entry
        for name, new in changes.items():
            setattr(reading, name, new)
        if evidence_file:
            reading.evidence_file = evidence_file
        elif removing:
            reading.evidence_file = None  # Reading.save deletes it from storage on commit
        if user is not None:
            reading.entered_by = user
        if approve:
            _approve(reading, user, approved_at)
        elif not unchanged:
            reading.state = ReadingState.SUBMITTED
            reading.review_comment = ""
        if reading.pk:
            reading.full_clean()
            reading.save()
        else:
            _insert_first(reading)
        request_rebuild(slices=[(metric.pk, district.pk, student_group.pk)])
    return reading


def _current_reading(metric, period, district, student_group):
    """The reading of one slice, locked until the transaction ends, or None."""
    return (
        Reading.objects.select_for_update()
        .filter(metric=metric, period=period, district=district, student_group=student_group)
        .order_by("pk")  # the default ordering joins other tables, which FOR UPDATE refuses
        .first()
    )


def _insert_first(reading):
    """Insert a slice's first reading. When another writer inserted it first (between
    our read and now), raise EditConflict with their row rather than a server error:
    the unique constraint refuses ours (IntegrityError on PostgreSQL, which waits for
    their commit) or full_clean() sees theirs already."""
    try:
        with transaction.atomic():  # a savepoint: the outer transaction stays usable
            reading.full_clean()
            reading.save()
    except (IntegrityError, ValidationError) as exc:
        winner = _current_reading(
            reading.metric, reading.period, reading.district, reading.student_group
        )
        if winner is None:
            raise
        raise EditConflict(winner) from exc


def _approve(reading, user, at=None):
    # The one write path of approvals. A new approved figure is not public until the
    # worker's pass has decided it: Reading.save resets its publication (fail closed).
    reading.state = ReadingState.APPROVED
    reading.approved_value = reading.value
    reading.approved_qualifier = reading.qualifier
    reading.approved_by = user
    reading.approved_at = at or timezone.now()


CHECK_FIRST = _("Tick “checked” to approve it: %(warning)s")


def reading_approve(*, reading, user, comment="", checked=False):
    """Approve the value entered: statuses, roll-ups, exports and public pages use it.
    A value the plausibility rule flags (plausibility.warning) is approved only when
    the lead `checked` it; ValidationError on "checked" otherwise. The system itself
    (`user=None`, loading published figures) is not asked."""
    if not approval(user, reading.metric, True):
        raise PermissionDenied(APPROVAL_REFUSED)
    refuse_if_closed(reading.metric.plan, _("approving a value"))
    with transaction.atomic():
        reading = Reading.objects.select_for_update().get(pk=reading.pk)
        if not checked and user is not None:
            judged = plausibility.judged(
                Reading.objects.select_related("metric").filter(pk=reading.pk)).get()
            if text := plausibility.warning(judged):
                raise ValidationError({"checked": CHECK_FIRST % {"warning": text}})
        _approve(reading, user)
        reading.review_comment = comment or ""
        reading.save()
        request_rebuild(slices=[(reading.metric_id, reading.district_id, reading.student_group_id)])
    return reading


def reading_return(*, reading, user, comment):
    """Send a submitted value back to its steward with a comment; the approved one stays."""
    if not approval(user, reading.metric, True):
        raise PermissionDenied(APPROVAL_REFUSED)
    refuse_if_closed(reading.metric.plan, _("returning a value"))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": RETURN_NEEDS_COMMENT})
    with transaction.atomic():
        reading = Reading.objects.select_for_update().get(pk=reading.pk)
        if reading.state == ReadingState.APPROVED:
            raise ValidationError({"comment": _("This value is already approved.")})
        reading.state = ReadingState.RETURNED
        reading.review_comment = comment
        reading.save()
        request_rebuild(slices=[(reading.metric_id, reading.district_id, reading.student_group_id)])
        transaction.on_commit(lambda: notify_returned(reading=reading, user=user))
    return reading


def reading_restore(*, reading, record, user):
    """Bring back the value of a historical record, through the same path as an edit."""
    if record.id != reading.pk:
        raise PermissionDenied(_("That history entry belongs to another reading."))
    return reading_record(
        metric=reading.metric, period=reading.period, district=reading.district,
        student_group=reading.student_group, value=record.value, numerator=record.numerator,
        denominator=record.denominator, qualifier=record.qualifier,
        note=record.note, source_text=record.source_text, is_derived=record.is_derived,
        evidence_url=record.evidence_url, user=user, expected_version=reading.version,
    )
