"""A continued metric's trend: its own approved county-wide readings and those of the
metrics it continues (`Metric.continues`, set when the next plan is started from this
one, metrics.services.plans), each earlier point marked with its plan's years.

Readings are never copied into the new plan: the rebuild reads them where they are.
`MetricSnapshot.series` holds `[period, value]` for the metric's own points and
`[period, value, "2022-25"]` for a point of the 2022-25 plan's metric it continues; a
figure computed from districts (county.py) adds their number after the plan's years,
null for the metric's own: `[period, value, null, 3]`, `[period, value, "2022-25", 3]`
(MetricSnapshot.trend_points reads both marks).
Only the series carries them: statuses are judged on the metric's own points (see
rebuild._judge_county_wide).
"""

from collections import defaultdict

from ..models import Metric
from ..periods import Period, span_label


def continuation_links():
    """{metric id: (id of the metric it continues, that metric's plan's years "2022-25")}
    for every metric that continues another: one query, whatever the scope, so a
    rebuild's query count does not grow with the chains."""
    return {
        pk: (earlier, span_label(start, end))
        for pk, earlier, start, end in Metric.objects.filter(continues__isnull=False)
        .order_by()  # the default order would join four more tables
        .values_list("pk", "continues_id", "continues__plan__start_year",
                     "continues__plan__end_year")
    }


def earlier_metrics(pk, links):
    """The metrics `pk` continues, the one it continues directly first, then the one that
    one continues, ...: [(id, plan years)]. A loop (edited by hand) ends the chain."""
    chain, seen = [], {pk}
    while pk in links:
        pk, years = links[pk]
        if pk in seen:
            break
        seen.add(pk)
        chain.append((pk, years))
    return chain


def continuing_metrics(pks, links):
    """The metrics that continue one of `pks`, directly or through others: their trends
    show `pks`' readings, so they are rebuilt with them."""
    later_of = defaultdict(set)
    for later, (earlier, _) in links.items():
        later_of[earlier].add(later)
    found, todo = set(), list(pks)
    while todo:
        for later in later_of.get(todo.pop(), ()):
            if later not in found:
                found.add(later)
                todo.append(later)
    return found - set(pks)


def with_earlier_points(pk, series, links):
    """The trend of metric `pk`: its own points (`series[pk]`) and those of the metrics
    it continues, marked with their plan's years, oldest first. Where two plans have a
    value for the same period, the later plan's (the nearer in the chain) is kept."""
    points = [list(point) for point in series.get(pk, ())]
    chain = earlier_metrics(pk, links)
    if not chain:
        return points
    taken = {period for period, *_ in points}
    for earlier, years in chain:
        for period, value, *marks in series.get(earlier, ()):
            if period not in taken:
                taken.add(period)
                points.append([period, value, years, *marks[1:]])
    return sorted(points, key=_order)


def _order(point):
    period = Period.parse(point[0])
    return period.end, period.start
