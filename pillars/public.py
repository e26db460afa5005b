"""The public view's parts of the overview and of a pillar page (issue 17): the same
layout and partials as the staff pages (with `public_view` set), fed by metrics.public,
which removes every figure the publication rule did not publish and counts only the
public metrics. Nothing staff-only reaches these contexts: no owners, worklists,
pending or returned values, overdue counts or status reasons of figures."""

from django.core.paginator import Paginator

from metrics import access, public
from metrics.selectors import OUTLINE_ORDER, furthest_behind, latest_approved_period
from metrics.status import change_summary, coverage, plan_life
from metrics.tables import PER_PAGE

from . import charts, selectors


def overview_context(plan):
    rollups, _ = public.public_rollups(plan)
    rows = public.public_dashboard_rows(plan)
    headlines = public.public_rows(
        rows.filter(metric__is_headline=True)
        .order_by("metric__pillar__order", "metric__headline_order"), plan)
    plan_wide = public.public_rows(
        rows.filter(metric__pillar__isnull=True).order_by("metric__name"), plan)
    cards = []
    for pillar in plan.pillars.all():
        rollup = rollups.get(("pillar", pillar.pk))
        cards.append({
            "pillar": pillar, "rollup": rollup,
            "headlines": [row for row in headlines if row.metric.pillar_id == pillar.pk],
            "chart": charts.status_distribution(
                rollup.counts if rollup else {}, f"status-pillar-{pillar.order}"),
        })
    plan_rollup = rollups.get(("plan", plan.pk))
    tracked, judged = coverage(plan_rollup.counts if plan_rollup else {})
    return {
        "plan": plan, "life": plan_life(plan), "public_view": True,
        "plan_rollup": plan_rollup, "coverage": {"tracked": tracked, "judged": judged},
        "by_change": change_summary(plan_rollup.counts if plan_rollup else {}),
        "plan_chart": charts.status_distribution(
            plan_rollup.counts if plan_rollup else {}, "status-plan", height=140),
        "cards": cards, "plan_wide": plan_wide,
        "footnotes": public.footnotes([*headlines, *plan_wide]),
        "latest_period": latest_approved_period(plan, metrics=access.public_metrics()),
    }


def pillar_context(pillar, page, *, outline_rows, progress_rows):
    """The public pillar page: status, charts, the outline (collapsed past
    `outline_rows` metrics), the `progress_rows` published figures furthest behind, and
    one page (`page`, any text) of its metrics."""
    plan = pillar.plan
    rollups, counts = public.public_rollups(plan, pillar)
    rows = public.public_dashboard_rows(plan).filter(metric__pillar=pillar)
    outlined = public.public_rows(rows.order_by(*OUTLINE_ORDER)[:outline_rows + 1], plan)
    collapsed = len(outlined) > outline_rows
    top, areas = selectors.pillar_outline(pillar, [] if collapsed else outlined, rollups,
                                          counts)
    listed = Paginator(rows.order_by(*OUTLINE_ORDER), PER_PAGE).get_page(page)
    listed.object_list = public.public_rows(listed.object_list, plan)
    limit = progress_rows
    progress_rows = public.public_rows(furthest_behind(
        pillar, limit, within=public.published_snapshots()), plan)
    rollup = rollups.get(("pillar", pillar.pk))
    return {
        "plan": plan, "pillar": pillar, "life": plan_life(plan), "public_view": True,
        "top": top, "areas": areas, "collapsed": collapsed, "rollup": rollup,
        "progress_rows": progress_rows,
        "progress_limited": len(progress_rows) == limit,
        "status_chart": charts.status_distribution(
            rollup.counts if rollup else {}, "status-pillar", height=140),
        "progress_chart": charts.progress(progress_rows, "progress-pillar")
        if progress_rows else None,
        "listed": listed,
        "footnotes": public.footnotes([*outlined, *listed.object_list]),
        "latest_period": latest_approved_period(plan, pillar, metrics=access.public_metrics()),
    }
