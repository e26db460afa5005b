"""All-districts percents that no one reported, computed from the districts' counts (issue 16).

A county-wide figure that was reported (a reading of "All districts") always wins. For
a period of a percent metric and student group without one, the all-districts figure is
computed from the approved figures of the districts the metric's plan reports for: the
districts' summed numerators over their summed denominators, times 100, rounded half up
to the places stored (the rule of `units.counts_value`), from the districts whose
approved value carries its counts (`Reading.approved_counts`); never an average of
percentages. It is the share among those districts' students, so the mark says how many
districts it comes from.

Nothing else is computed (a decision of 2026-12-01):

- a count or an amount is never summed into an all-districts figure. A plan lists only
  the districts it reports for (LACOE's lists 1 of the county's 80), so even "every
  district of the plan reported" does not make their sum the county's total, and a sum
  of some districts would read as the county's figure, or as a fall.
- any other unit (a rating, rank, ratio, percent change): no honest rule makes one out
  of the districts' figures.

The snapshot keeps the number of districts its latest figure was computed from
(`MetricSnapshot.computed_from_districts`; None when reported), and pages show "computed
from N districts" beside the figure (`metrics.latest_figure`). The computed figures are
rows of the rebuild's source (`approved_sql`), so the latest, previous and first values,
the series and the status treat them as any other figure. A change of a district's
slice of a percent rebuilds its all-districts slice too (`with_county_slices`). A district added to
or removed from a plan changes which districts a computed percent comes from: the
nightly full rebuild takes that in.

A computed figure is never shown to the public: the publication rule decides on
readings (`Reading.publication`) and a computed figure has none, so its row's
`latest_publication` stays UNDECIDED, which every public path treats as not published
(fail closed). The rebuild sets it back to UNDECIDED whenever a row's latest figure
becomes a computed one (sql.UPSERT_SQL; SQLite's rows are written anew, UNDECIDED), so
a decision on an earlier reported figure never carries over to it. Publishing computed
figures would need the rule to judge the districts' sizes behind them: a decision for
the publication rule, not taken here.
"""

from django.db import connection

from ..models import District, Metric, Reading
from ..units import DECIMAL_PLACES, Unit, spec
from .sql import COMPUTED_SQL, REPORTED_SQL, SHARE_SQL, WHOLE_SQL


def with_county_slices(slices, district_id):
    """`slices` and the all-districts slice of each district's slice of a percent metric
    in them: only a percent's all-districts figure is computed from its districts'."""
    districts = {(m, g) for m, d, g in slices if d != district_id}
    percents = set(Metric.objects.filter(
        pk__in={m for m, _ in districts}, unit=Unit.PERCENT).values_list("pk", flat=True)
    ) if districts else set()
    return set(slices) | {(m, district_id, g) for m, g in districts if m in percents}


def scope_sql(scope, alias="", pairs=False):
    """`AND (...)` limiting rows to the scope (ids, slices), and its parameters ('' for
    everything). With `pairs` the slices are (metric, student group) pairs."""
    if scope is None:
        return "", []
    ids, wanted = scope
    parts, params = [], []
    if ids:
        parts.append(f"{alias}metric_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    for slice_ in wanted:
        if pairs:
            parts.append(f"({alias}metric_id = %s AND {alias}student_group_id = %s)")
        else:
            parts.append(
                f"({alias}metric_id = %s AND {alias}district_id = %s "
                f"AND {alias}student_group_id = %s)"
            )
        params.extend(slice_)
    return (f"AND ({' OR '.join(parts)})" if parts else "AND 1 = 0"), params


def approved_sql(scope, district_id, percents=None):
    """The rebuild's source rows in `scope` (None: everything), reported and computed,
    as (sql, params): metric, district, group, period, its dates, approved value and
    qualifier, when approved, the number of districts of a computed figure and the
    students the figure counts (sql.REPORTED_SQL).
    `percents`, when known, the ids of the percent metrics among the scope's: only
    theirs are computed."""
    where, params = scope_sql(scope, "r.")
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    sql = REPORTED_SQL.format(reading=Reading._meta.db_table, metric=Metric._meta.db_table,
                              where=where, whole=WHOLE_SQL[vendor])
    params = [Unit.PERCENT, Unit.COUNT, *params]
    county = None
    if scope is not None:
        ids, pairs = scope[0], sorted({(m, g) for m, d, g in scope[1] if d == district_id})
        if percents is not None:
            ids = [pk for pk in ids if pk in percents]
            pairs = [(m, g) for m, g in pairs if m in percents]
            if not ids and not pairs:
                return sql, params
        county = (ids, pairs)
    computed_where, computed_params = scope_sql(county, "r.", pairs=True)
    sql += COMPUTED_SQL.format(
        reading=Reading._meta.db_table, metric=Metric._meta.db_table,
        district_plans=District.plans.through._meta.db_table, computed_where=computed_where,
        district_type=Reading._meta.get_field("district").db_type(connection),
        share=SHARE_SQL[vendor].format(scale=spec(Unit.PERCENT).counts_scale,
                                       places=DECIMAL_PLACES, unit=10 ** DECIMAL_PLACES),
    )
    return sql, [*params, district_id, Unit.PERCENT, *computed_params]
