"""The publication rule, decided by the worker and stored (issues 16 and 17).

Pages read precomputed rows, so the rule (`metrics.privacy.suppress`) is not run on
request: after each rebuild the worker runs `decide(metric_ids, slices=...)` in the
rebuild's own transaction (metrics.aggregates.queue), so no page ever sees a rebuilt value
beside the decision of the value before it. For each metric asked for whole it builds
every (metric, period) table from the approved readings; for a metric asked for by the
slices a reading's save changed, only the tables of the periods saved (`changed_tables`
says why that is enough: 36 tables of 1,200 cells became one at 4.32 M readings, 7.7 s
to ~0.1 s). It runs the rule at the plan's threshold, writes `Reading.publication` only
where the decision changed, and copies the decisions onto the snapshots
(`latest_publication`, `previous_publication`).

The cells of a table, one per approved reading:
- n: a percent's denominator, of the approved value only (`Reading.approved_counts`: while
  a correction waits for approval the counts are the correction's, so the approved value's
  n is then not known); a count is its own n (`Cell.size`); any other unit has none.
- partitions: the districts within the county-wide row (`District.is_total`), the race
  and ethnicity groups (`GroupCategory.RACE_ETHNICITY`) within All students
  (`StudentGroup.is_total`). No student group names a complement (the Dashboard's groups
  have none: fixtures/dimensions/student-groups.yaml), so that partition is not used.
- unknown n: suppressed, except the county-wide All-students figure of each table, which
  is published on the terms of the rule's docstring (metrics.privacy, rule 1).

Fail closed: a save that changes what the rule is given of a reading (an approval, a
correction whose counts replace the approved value's: `Reading.decided_on`) resets it to
UNDECIDED (Reading.save), and every public path shows only PUBLISHED, so between the save
and this pass the figure is not shown. A bulk path that writes without the ORM (an
import) asks for its metrics whole, and this pass recomputes every table of them. A write made while
the pass runs is not overwritten with a decision taken on the figures before it: each
update names the version of the reading it decided on (Reading.version, bumped by every
save), and the write's own rebuild request decides again.
"""

from collections import defaultdict

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import (
    District,
    GroupCategory,
    Metric,
    MetricSnapshot,
    Publication,
    Reading,
    StudentGroup,
)
from ..units import Unit
from . import Cell, suppress

# Readings per guarded UPDATE (two parameters each: well within SQLite's limit).
CHUNK = 400
FIELDS = ("id", "metric_id", "period", "district_id", "student_group_id", "value",
          "approved_value", "numerator", "denominator", "publication", "version")


def students(unit, reading):
    """The n the rule is given for an approved reading: a percent's denominator of the
    approved value; None otherwise (a count's n is its value: `Cell.size`)."""
    return reading.approved_counts[1] if unit == Unit.PERCENT else None


def publication_of(decision):
    """The stored value (Publication) of one of the rule's decisions."""
    return Publication.PUBLISHED if decision.published else Publication(decision.reason.value)


def decide(metric_ids=None, *, slices=()):
    """Decide the publication of every approved reading of `metric_ids` (every metric when
    None) and copy the decisions onto their snapshots. Of a metric not among `metric_ids`
    but in `slices` ((metric, district, group) triples whose readings were saved), only
    the tables in which a reading of those slices awaits its decision (`changed_tables`).
    Run inside the caller's transaction (the rebuild's); returns the number of readings
    whose decision changed."""
    tables = {} if metric_ids is None else changed_tables(slices, set(metric_ids))
    metrics = Metric.objects.select_related("plan").only("id", "unit",
                                                         "plan__suppression_threshold")
    if metric_ids is not None:
        metrics = metrics.filter(pk__in=sorted({*metric_ids, *tables}))
    districts = dict(District.objects.values_list("id", "is_total"))
    groups = {pk: (total, category == GroupCategory.RACE_ETHNICITY)
              for pk, total, category in StudentGroup.objects.values_list(
                  "id", "is_total", "category")}
    changed = 0
    for metric in metrics.order_by("pk"):
        changed += _decide_metric(metric, districts, groups, tables.get(metric.pk))
    if metric_ids is None:
        copy_to_snapshots()
    elif touched := {*metric_ids, *(int(m) for m, _, _ in slices)}:
        # Every snapshot of a saved slice's metric: the rebuild may have moved which
        # reading a snapshot shows (its latest or previous period), decided or not.
        copy_to_snapshots(sorted(touched))
    return changed


def changed_tables(slices, whole=()):
    """{metric: periods} of the tables to decide again after saves to `slices` (metrics
    in `whole` left out: decided whole).

    Why these tables are enough: the rule decides each (metric, period) table on its own
    cells only (`suppress` groups the cells by table; no partition spans periods), and a
    cell is made of its reading's `Reading.decided_on` and of its district's and group's
    place in the partitions. A save through the ORM that changes a reading's
    `decided_on` resets its publication to UNDECIDED (Reading.save); a slice request
    comes only from such saves (services.readings). So a table none of whose readings of
    the saved slices is UNDECIDED has the cells it was decided on, and its decisions
    stand. Within a table nothing is left out: complementary suppression and the audit
    cascade from a district's row to a group's column and on to any other cell of the
    table (tests/metrics/test_publication_incremental.py), so the whole table is decided.
    Writes that change cells otherwise (an import, a delete, a threshold, the dimensions)
    ask for their metrics whole, or a full rebuild."""
    wanted = sorted({(int(m), int(d), int(g)) for m, d, g in slices if int(m) not in whole})
    tables = defaultdict(set)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        by_slice = Q()
        for m, d, g in chunk:
            by_slice |= Q(metric_id=m, district_id=d, student_group_id=g)
        for metric_id, period in (
            Reading.objects.filter(by_slice, approved_value__isnull=False,
                                   publication=Publication.UNDECIDED)
            .order_by().values_list("metric_id", "period").distinct()
        ):
            tables[metric_id].add(period)
    return dict(tables)


def table_cells(metric, readings, districts, groups):
    """{reading: Cell} of one metric's approved readings, every period."""
    is_count = metric.unit == Unit.COUNT
    cells = {}
    for reading in readings:
        group_is_total, group_is_race = groups[reading.student_group_id]
        cells[reading] = Cell(
            str(metric.pk), reading.period, str(reading.district_id),
            str(reading.student_group_id), reading.approved_value,
            n=students(metric.unit, reading), is_count=is_count,
            district_is_total=districts[reading.district_id],
            group_is_total=group_is_total, group_is_race=group_is_race,
        )
    return cells


def _decide_metric(metric, districts, groups, periods=None):
    """Decide one metric's tables: every one, or those of `periods`."""
    of_metric = Reading.objects.filter(metric=metric)
    if periods is not None:
        of_metric = of_metric.filter(period__in=sorted(periods))
    readings = list(of_metric.filter(approved_value__isnull=False).order_by().only(*FIELDS))
    cells = table_cells(metric, readings, districts, groups)
    decisions = suppress(cells.values(), threshold=metric.plan.suppression_threshold)
    moves = defaultdict(list)
    for reading, cell in cells.items():
        new = publication_of(decisions[cell.key])
        if reading.publication != new:
            moves[new].append((reading.pk, reading.version))
    for publication, pairs in sorted(moves.items()):
        for start in range(0, len(pairs), CHUNK):
            _write(publication, pairs[start:start + CHUNK])
    # A reading without an approved value has no figure to publish.
    unapproved = (of_metric.filter(approved_value__isnull=True)
                  .exclude(publication=Publication.UNDECIDED)
                  .update(publication=Publication.UNDECIDED))
    return sum(len(p) for p in moves.values()) + unapproved


def _write(publication, pairs):
    """One set-based UPDATE: these readings, at the version decided on, get `publication`."""
    table = connection.ops.quote_name(Reading._meta.db_table)
    rows = ", ".join(["(%s, %s)"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET publication = %s "  # noqa: S608 - names are ours
            f"WHERE (id, version) IN (VALUES {rows})",
            [publication, *(v for pair in pairs for v in pair)],
        )


def copy_to_snapshots(metric_ids=None):
    """Each snapshot's latest and previous publication from its readings (UNDECIDED when
    there is none), written where it differs; for `metric_ids`, every metric when None."""
    slice_readings = Reading.objects.filter(
        metric_id=OuterRef("metric_id"), district_id=OuterRef("district_id"),
        student_group_id=OuterRef("student_group_id")).order_by()

    def of(period_field):
        return Coalesce(Subquery(slice_readings.filter(period=OuterRef(period_field))
                                 .values("publication")[:1]), Value(Publication.UNDECIDED))

    snapshots = MetricSnapshot.objects.all()
    if metric_ids is not None:
        snapshots = snapshots.filter(metric_id__in=list(metric_ids))
    stale = (snapshots.annotate(new_latest=of("latest_period"),
                                new_previous=of("previous_period"))
             .filter(~Q(latest_publication=F("new_latest"))
                     | ~Q(previous_publication=F("new_previous")))
             .values("pk"))
    return MetricSnapshot.objects.filter(pk__in=stale).update(
        latest_publication=of("latest_period"), previous_publication=of("previous_period"))
