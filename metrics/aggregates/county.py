"""All-districts figures that no one reported, computed from the districts' (issue 16).

A county-wide figure that was reported (a reading of "All districts") always wins. For
a period of a metric and student group without one, the all-districts figure is
computed from the approved figures of the districts the metric's plan reports for:

- a percent: the districts' summed numerators over their summed denominators, times
  100, rounded half up to the places stored (the rule of `units.counts_value`), from
  the districts whose approved value carries its counts (`Reading.approved_counts`);
  never an average of percentages. It is the share among those districts' students,
  so the mark says how many districts it comes from.
- a count or an amount (`slice_status.ADDITIVE_UNITS`): the districts' sum, but only
  when every district of the plan reported that period, each without a qualifier
  ("over 9,018" is no exact part of a total): a sum of some districts is not the
  county's total, and would read as a fall.
- any other unit (a rating, rank, ratio, percent change): never computed; no honest
  rule makes one out of the districts' figures.

The snapshot keeps the number of districts its latest figure was computed from
(`MetricSnapshot.computed_from_districts`; None when reported), and pages show "computed
from N districts" beside the figure (`tables.latest_figure`). The computed figures are
rows of the rebuild's source (`approved_sql`), so the latest, previous and first values,
the series and the status treat them as any other figure. A change of a district's
slice rebuilds its all-districts slice too (`with_county_slices`). A district added to
or removed from a plan changes which counts add up to its total: the nightly full
rebuild takes that in.
"""

from django.db import connection

from ..models import District, Metric, Reading
from ..slice_status import ADDITIVE_UNITS
from ..units import DECIMAL_PLACES, Unit, spec
from .sql import APPROVED_SQL, SHARE_SQL


def with_county_slices(slices, district_id):
    """`slices` and the all-districts slice of each district's slice in them."""
    return set(slices) | {(m, district_id, g) for m, d, g in slices if d != district_id}


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


def approved_sql(scope, district_id):
    """The rebuild's source rows in `scope` (None: everything), reported and computed,
    as (sql, params): metric, district, group, period, its dates, approved value and
    qualifier, when approved, and the number of districts of a computed figure."""
    where, params = scope_sql(scope)
    county = None if scope is None else (
        scope[0], sorted({(m, g) for m, d, g in scope[1] if d == district_id}))
    computed_where, computed_params = scope_sql(county, "r.", pairs=True)
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    sql = APPROVED_SQL.format(
        reading=Reading._meta.db_table, metric=Metric._meta.db_table,
        district_plans=District.plans.through._meta.db_table,
        where=where, computed_where=computed_where,
        additive=", ".join(["%s"] * len(ADDITIVE_UNITS)),
        share=SHARE_SQL[vendor].format(scale=spec(Unit.PERCENT).counts_scale,
                                       places=DECIMAL_PLACES, unit=10 ** DECIMAL_PLACES),
    )
    return sql, [*params, district_id, Unit.PERCENT, *computed_params, Unit.PERCENT,
                 *ADDITIVE_UNITS, Unit.PERCENT]
