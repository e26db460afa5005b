"""Checking the rows of a file against the plan, and writing them all or none.

Checking is set-based: the plan's metrics, the districts, the student groups and the
readings the file touches are loaded once, then each row is checked in memory with
the same rule functions the entry form calls (Metric.validate_period and
validate_value). One rejected row and nothing is written; otherwise one transaction
inserts every new reading and updates every changed one through metrics.bulk, each
with its history row (who = the importing user), and asks for one rebuild of the
aggregates of the metrics it wrote. Row by row, the result is what
`services.readings.reading_record` gives; an unchanged row is not written at all.

Approval is decided by the one rule, `services.readings.approved_metric_ids`: the
import states its intent. "Approve at once" ticked is approve=True for every row (the
whole file is refused, PermissionDenied, when the user may not approve one of its
metrics); a row whose approval_state says approved asks for approval as the user's
role allows (approve=None); every other row is submitted (approve=False).

Rules beyond reading_record's, because a file does not carry everything a form does:
- a row whose value is empty is skipped (a template row left unfilled);
- an optional column the file does not have (qualifier, note, source) leaves that
  field of an existing reading as it is; present but empty, it clears it;
- what the row format has no column for (is_derived, evidence) is left as it is;
- the counts (numerator, denominator) likewise: columns absent, a stored pair is kept
  and a new value must agree with it (Metric.counts_value), or the row is refused.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .. import aggregates, rowformat
from ..bulk import ReadingWriter
from ..models import Reading, ReadingState
from ..services.readings import approved_metric_ids
from .files import PROGRESS_ROWS, gc_paused
from .plan import PlanContext
from .report import CHANGED, NEW, SKIPPED, UNCHANGED, ImportReport, RowOutcome

logger = logging.getLogger(__name__)

CONFLICT_MESSAGE = (
    "Someone saved readings of the same metrics while this file was being imported, so "
    "nothing was imported. Upload the file again to see the current values."
)
# What a new reading gets from its row; every other field as Reading() sets it.
NEW_FIELDS = (
    "id", "metric_id", "period", "period_start", "period_end", "district_id",
    "student_group_id", "value", "qualifier", "note", "source_text", "state", "approved_value",
    "approved_qualifier", "approved_by_id", "approved_at", "numerator", "denominator",
)
# What an import may change of a stored reading, "id" first: what a changed row gives
# metrics.bulk, and (but for entered_by_id and updated_at) what `_existing` reads.
UPDATE_FIELDS = (
    "id", "value", "qualifier", "note", "source_text", "state", "review_comment",
    "approved_value", "approved_qualifier", "approved_by_id", "approved_at", "version",
    "numerator", "denominator", "entered_by_id", "updated_at",
)
_KEY_FIELDS = ("metric_id", "period", "district_id", "student_group_id")
_READ_FIELDS = (*_KEY_FIELDS, *UPDATE_FIELDS[:-2])
_MISSING = object()


class _Raced(Exception):
    """A reading the import read was saved by someone else before it was written."""


@gc_paused()
def import_rows(*, plan, rows, user, approve=False, dry_run=False, progress=None) -> ImportReport:
    """Check `rows` (from files.read_upload) against `plan`; unless `dry_run`, write them.

    Nothing is written when any row is rejected (each rejected row has its line and
    reasons in the report) or when `dry_run`. `approve`: approve every row at once;
    raises PermissionDenied, with a message naming the metrics, when the user may not
    approve one of them. Otherwise a row whose approval_state says approved is approved
    when the user may approve its metric, and the other rows are submitted.
    `progress(done, total)`, when given, is called every PROGRESS_ROWS rows checked.
    """
    context = PlanContext(plan, user)
    report = ImportReport()
    checked = _check(rows, context, report, progress)
    approving = _approved_metrics(checked, user, approve)
    now = timezone.now()
    if dry_run or report.rejected:
        _decide(checked, _existing(checked), report, user, approve, approving, now)
        return report
    try:
        with transaction.atomic():
            existing = _existing(checked)
            new, changed = _decide(checked, existing, report, user, approve, approving, now)
            if report.rejected:  # a row refused against its stored counts: none written
                return report
            if new or changed:
                writer = ReadingWriter(now=now, user=user)
                writer.insert(new, NEW_FIELDS)
                if writer.update(changed, UPDATE_FIELDS) != len(changed):
                    # Saved by someone else since `_existing` read it (its version moved
                    # on): the whole file waits for a fresh look, as a form would.
                    raise _Raced
            if report.metric_ids:
                aggregates.request_rebuild(*sorted(report.metric_ids))
    except (IntegrityError, _Raced):
        logger.info("Import of %s rows lost a race", len(rows), exc_info=True)
        report.errors.append(CONFLICT_MESSAGE)
        return report
    report.written = True
    return report


def _approved_metrics(checked, user, approve):
    """The metrics whose rows in `checked` are approved at once, by the one rule."""
    if approve:
        ids = {item[1].id for item in checked}
        try:
            return approved_metric_ids(user, ids, True)
        except PermissionDenied:
            refused = ids - approved_metric_ids(user, ids)
            raise PermissionDenied(
                _refusal([m for m in _metrics(checked) if m.id in refused])
            ) from None
    asked = {item[1].id for item in checked if item[-2]}
    return approved_metric_ids(user, asked)  # as the user's role allows


def _metrics(checked):
    return sorted({item[1].id: item[1] for item in checked}.values(), key=lambda m: m.code)


def _refusal(metrics):
    shown = ", ".join(f"“{m.code}” ({m.name})" for m in metrics[:5])
    more = f" and {len(metrics) - 5} more" if len(metrics) > 5 else ""
    count = f"{len(metrics)} metric{'s' if len(metrics) != 1 else ''}"
    return (
        f"You asked to approve every value at once, but you may not approve values of "
        f"{count} in the file: {shown}{more}; a pillar lead of its pillar does. Nothing was "
        "imported. Untick “Approve at once” to submit those values for approval, or remove "
        "their rows."
    )


def _check(rows, context, report, progress=None):
    """Per row, everything that needs no stored reading. Returns the rows that pass."""
    metrics, editable = context.metrics, context.editable
    district_of, group_of, qualifier_of = context.district, context.group, context.qualifier
    # The caches the lookups fill, read here first: a file repeats few distinct texts, and
    # a dictionary hit costs less than a call per row and column (issue 14).
    districts, groups, qualifiers = context._districts, context._groups, context._qualifiers
    periods, values = context._periods, context._values
    first_line = {}
    checked = []
    outcomes = report.rows
    total = len(rows)
    for index, row in enumerate(rows):
        if progress is not None and not index % PROGRESS_ROWS:
            progress(index, total)
        line = row.get("line") or index + 2
        code = (row.get("metric_code") or "").strip()
        period_text = (row.get("period") or "").strip()
        district_text = (row.get("district") or "").strip()
        group_text = (row.get("student_group") or "").strip()
        district = districts.get(district_text, _MISSING)
        if district is _MISSING:
            district = district_of(district_text)
        group = groups.get(group_text, _MISSING)
        if group is _MISSING:
            group = group_of(group_text)
        outcome = RowOutcome(
            line, code, period_text,
            district.name if district is not None else district_text,
            group.name if group is not None else group_text,
        )
        outcomes.append(outcome)
        raw_value = row.get("value")
        raw_value = raw_value.strip() if isinstance(raw_value, str) else raw_value
        counts = _counts(row)
        if raw_value in (None, "") and not any(counts or ()):
            outcome.action = SKIPPED
            outcome.reasons = ["No value: the row is skipped."]
            report.skipped += 1
            continue
        reasons = []
        metric = metrics.get(code.lower()) if code else None
        outcome.typed = str(raw_value)
        if not code:
            reasons.append("Metric code: enter the code of a metric of this plan.")
        elif metric is None:
            reasons.append(f"Metric code: this plan has no metric “{code[:100]}”.")
        elif metric.id not in editable:
            reasons.append(
                f"Metric code: you may not enter readings of “{code}” ({metric.name}); its "
                "data stewards and pillar leads may."
            )
            metric = None
        outcome.metric = metric
        period = periods.get(period_text)
        if period is None:
            period = context.period(period_text)
        if isinstance(period, list):
            reasons.extend(period)
            period = None
        value = None
        if metric is not None and any(counts or ()):
            value, counts = _with_counts(metric, raw_value, counts, reasons)
        elif metric is not None:
            value = values.get((metric.id, raw_value))
            if value is None:
                value = context.value(metric, raw_value)
            if isinstance(value, list):
                reasons.extend(value)
                value = None
        typed_qualifier = row.get("qualifier")
        qualifier = None
        if typed_qualifier is not None:
            qualifier = qualifiers.get(typed_qualifier, _MISSING)
            if qualifier is _MISSING:
                qualifier = qualifier_of(typed_qualifier)
            if qualifier is None:
                reasons.append(
                    f"Qualifier: “{row['qualifier'][:40]}” is not one we know. Use over, "
                    "nearly, more than, approximately or +, or leave it empty."
                )
        state_text = row.get("approval_state") or ""
        wanted_state = rowformat.parse_state(state_text) if state_text else ""
        if wanted_state is None:
            reasons.append(
                f"Approval state: “{state_text[:40]}” is not one we know. Use draft, submitted "
                "or approved, or leave it empty."
            )
        if district is None:
            reasons.append(
                f"District: {context.plan.name} has no district with the code or name "
                f"“{district_text[:100]}”. Leave it empty for all districts."
            )
        if group is None:
            reasons.append(
                f"Student group: {context.plan.name} has no student group with the code or "
                f"name “{group_text[:100]}”. Leave it empty for all students."
            )
        if not reasons:
            key = (metric.id, period.text, district.id, group.id)
            first = first_line.get(key)
            if first is not None:
                reasons.append(
                    f"Duplicate: line {first} already has this metric, period, district and "
                    "student group. Keep one of the two rows."
                )
            else:
                first_line[key] = line
        if reasons:
            outcome.reasons = reasons
            report.rejected += 1
            continue
        outcome.new_value = value
        checked.append((
            outcome, metric, period, district, group, value, counts, qualifier,
            row.get("note"), row.get("source"), wanted_state == ReadingState.APPROVED, key,
        ))
    return checked


def _counts(row):
    """The row's (numerator, denominator) as typed; None when the file has neither column."""
    if "numerator" not in row and "denominator" not in row:
        return None
    return tuple((row.get(name) or "").strip() or None for name in ("numerator", "denominator"))


def _with_counts(metric, raw_value, counts, reasons):
    """(value, counts) by the one rule, or (None, None) with its reasons added."""
    try:
        value, *counts = metric.counts_value(raw_value, *counts)
    except ValidationError as exc:
        reasons.extend(f"{field.capitalize()}: {message}"
                       for field, messages in exc.message_dict.items() for message in messages)
        return None, None
    return value, tuple(counts)


def _existing(checked):
    """The stored readings the checked rows name, as lists of the values of UPDATE_FIELDS
    but the last two (entered_by_id, updated_at), by (metric, period, district, group).
    Only what the import compares or keeps is read. Not locked: the writer updates a
    reading only at the version read here (ReadingWriter.update), and a new reading
    saved meanwhile breaks the unique constraint; either way the import is refused."""
    if not checked:
        return {}
    wanted = {item[-1] for item in checked}
    metric_ids = sorted({key[0] for key in wanted})
    periods = sorted({key[1] for key in wanted})
    districts = sorted({key[2] for key in wanted})
    groups = sorted({key[3] for key in wanted})
    found = {}
    for start in range(0, len(metric_ids), 200):
        readings = Reading.objects.filter(
            metric_id__in=metric_ids[start:start + 200], period__in=periods,
            district_id__in=districts, student_group_id__in=groups,
        ).order_by()  # the default ordering joins other tables
        for reading in _values(readings.values_list(*_READ_FIELDS)):
            key = reading[:4]
            if key in wanted:
                found[key] = list(reading[4:])
    return found


def _values(queryset):
    """The rows of a values_list queryset. On PostgreSQL straight from the driver, which
    gives the same values (no field of _READ_FIELDS has a converter there) without the
    ORM's fetch of 100 rows at a time (profiled: 0.7 s per 100,000 readings); elsewhere
    (SQLite: decimals are converted) through the ORM."""
    if connection.vendor != "postgresql":
        return queryset
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _decide(checked, existing, report, user, approve, approving, now):
    """New, changed or unchanged, as reading_record decides, with `approving` the metrics
    whose rows asking for approval get it. Returns the new readings (as lists of
    NEW_FIELDS values) and the changed ones (as lists of UPDATE_FIELDS values), to write."""
    new, changed = [], []
    submitted, approved = ReadingState.SUBMITTED, ReadingState.APPROVED
    for (outcome, metric, period, district, group, value, counts, qualifier, note, source,
         wants_approval, key) in checked:
        reading = existing.get(key)
        approve_row = (approve or wants_approval) and metric.id in approving
        if reading is None:
            qualifier = qualifier or ""
            state = approved if approve_row else submitted
            new.append([
                None, metric.id, period.text, period.start, period.end, district.id, group.id,
                value, qualifier, note or "", source or "", state,
                *((value, qualifier, user.pk, now) if approve_row else (None, "", None, None)),
                *(counts or (None, None)),
            ])
            outcome.action, outcome.new_qualifier, outcome.state = NEW, qualifier, state
            report.approved += approve_row
            report.metric_ids.add(metric.id)
            continue
        # reading: id, value, qualifier, note, source_text, state, review_comment,
        # approved_value, approved_qualifier, approved_by_id, approved_at, version,
        # numerator, denominator
        old_value, old_qualifier, old_note, old_source, state = reading[1:6]
        old_counts = tuple(reading[12:14])
        if counts is None and any(old_counts):  # kept: the file's value must agree
            try:
                value = metric.counts_value(value, *old_counts)[0]
            except ValidationError as exc:
                outcome.reasons = [f"Value: {m} (the counts stored; add the numerator and "
                                   "denominator columns to change them)"
                                   for m in exc.message_dict["value"]]
                report.rejected += 1
                continue
        counts = old_counts if counts is None else counts
        outcome.old_value, outcome.old_qualifier = old_value, old_qualifier
        qualifier = old_qualifier if qualifier is None else qualifier
        note = old_note if note is None else note
        source = old_source if source is None else source
        same = (old_value == value and old_qualifier == qualifier and old_note == note
                and old_source == source and old_counts == counts)
        if same and (not approve_row or state == approved):
            outcome.action, outcome.new_qualifier, outcome.state = UNCHANGED, qualifier, state
            report.unchanged += 1
            continue
        reading[1:5] = value, qualifier, note, source
        if approve_row:
            reading[5] = approved
            reading[7:11] = value, qualifier, user.pk, now
            report.approved += 1
        elif not same:
            reading[5:7] = submitted, ""
        reading[11] += 1
        reading[12:14] = counts
        reading += (user.pk, now)
        outcome.action, outcome.new_qualifier, outcome.state = CHANGED, qualifier, reading[5]
        changed.append(reading)
        report.metric_ids.add(metric.id)
    report.new, report.changed = len(new), len(changed)
    return new, changed
