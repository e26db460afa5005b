"""What the public view of a plan reads and how it shows a figure (issue 17).

The public view shows approved figures only, and each through the publication rule's
decision on it (`Reading.publication`, copied onto the snapshot as `latest_publication`
and `previous_publication` by the worker): a figure that is not PUBLISHED, including one
not decided yet (fail closed), is taken off the row before any template or chart sees it
and shown as the mark "*" with the rule's footnote (`metrics.privacy`). A change is shown
only when both of its figures are published (`privacy.change_shown`'s rule).

Counts by status: the precomputed roll-ups (Rollup) count every metric, held-back ones
too, so the public view never reads them. It counts the public metrics' county-wide
snapshots by status in one grouped query (the precomputed per-metric aggregate, never
raw readings) and rolls each node up with the one roll-up rule (`status.rollup_status`).
A metric whose latest figure is withheld has no public status either (`public_status`):
a status word is judged against the target on the figure, so On track or Off track
beside a hidden figure bounds it. Its row, its place in the counts by status, the home
page's callouts and the API's aggregates say "Status not shown: the figure is
suppressed" (status.WITHHELD, with the figure's mark and footnote) instead; its reason
and progress go with the figure. Staff pages keep the real status.
"""

from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext, gettext_noop

from . import access, privacy
from .language import with_translations
from .models import Metric, MetricSnapshot, Publication, Reading
from .selectors import county_wide_readings, dashboard_rows, headline_rows
from .status import WITHHELD, rollup_status

PUBLISHED = Publication.PUBLISHED
# English here (one constant to compare), in the page's language where written (footnote);
# "*" is privacy.MARK.
UNDECIDED_FOOTNOTE = gettext_noop("* Not published yet: the figure waits for the check that "
                                  "protects student privacy.")
# The public trend and readings table of a metric: county-wide figures, one a period,
# at most this many (newest first); a metric has one a year or a month, so years of them.
SERIES_LIMIT = 240


def footnote(publication, plan):
    """The footnote a figure's "*" points to, for its publication decision ("" when it is
    published)."""
    if publication == PUBLISHED:
        return ""
    try:
        reason = privacy.Reason(publication)
    except ValueError:  # undecided, or a value this module does not know: not published
        return gettext(UNDECIDED_FOOTNOTE)
    return privacy.footnote(reason, plan.suppression_threshold)


def withheld(has_value, publication):
    """Whether the public is kept from a latest figure: there is one, and the publication
    rule has not published it (suppressed, or not decided yet: fail closed)."""
    return has_value and publication != PUBLISHED


def public_status(status, has_value, publication):
    """The status the public may see of a slice: its own, or status.WITHHELD when it was
    judged on a figure the public may not see (`withheld`)."""
    return WITHHELD if withheld(has_value, publication) else status


def public_row(row, plan):
    """A county-wide snapshot row as the public may see it, changed in place: a figure
    that is not published is removed (with the progress and reason that quote it), and
    `row.suppressed` / `row.footnote` say so; staff-only parts (pending and returned
    values, the earlier plans' series) are removed always."""
    has_value = row.latest_value is not None
    row.suppressed = withheld(has_value, row.latest_publication)
    row.footnote = footnote(row.latest_publication, plan) if row.suppressed else ""
    row.status = public_status(row.status, has_value, row.latest_publication)
    if row.suppressed:
        row.latest_value, row.latest_qualifier = None, ""
        row.progress = row.expected = None
    if row.latest_value is None or row.previous_publication != PUBLISHED:
        row.previous_value = row.change = None
    row.status_reason = ""
    row.pending_value, row.pending_period = None, ""
    row.returned_period = row.returned_comment = ""
    row.is_pending = False
    row.series = []
    return row


def public_rows(rows, plan):
    return [public_row(row, plan) for row in rows]


def public_dashboard_rows(plan):
    """The county-wide snapshot rows of the plan's public metrics."""
    return dashboard_rows().filter(
        metric__in=access.public_metrics(Metric.objects.filter(plan=plan)))


def public_headline_rows(plan):
    """The plan's headline callouts as the public home page shows them: its public
    metrics only, each figure through the publication rule (public_row)."""
    return public_rows(
        [row for row in headline_rows(plan) if not row.metric.public_hidden], plan)


def published_snapshots():
    """Snapshots of public metrics whose latest figure is published."""
    return MetricSnapshot.objects.filter(metric__in=access.public_metrics(),
                                         latest_publication=PUBLISHED)


def footnotes(rows):
    """The distinct footnotes of `rows`, in order of appearance."""
    return list(dict.fromkeys(row.footnote for row in rows if getattr(row, "footnote", "")))


@dataclass
class PublicRollup:
    """A node's counts over its public metrics, rolled up by the one roll-up rule; what
    pillars/_rollup.html and _counts_table.html read of a Rollup."""

    counts: dict = field(default_factory=dict)
    stale_count = None  # overdue updates are staff business

    def __post_init__(self):
        self.status, self.share_on_track, self.status_reason = rollup_status(self.counts)

    @property
    def metric_count(self):
        return sum(self.counts.values())


def public_rollups(plan, pillar=None):
    """{(level, id): PublicRollup} of the plan (or of one pillar and the plan's other
    nodes it holds), over the public metrics' county-wide statuses; and the raw counts
    [(priority area id, goal id, status, n)] of `pillar` for its outline. One query."""
    rows = public_dashboard_rows(plan).order_by()
    if pillar is not None:
        rows = rows.filter(metric__pillar=pillar)
    grouped = list(rows.annotate(has_value=ExpressionWrapper(
        Q(latest_value__isnull=False), output_field=BooleanField())).values_list(
        "metric__pillar", "metric__priority_area", "metric__goal", "status",
        "latest_publication", "has_value").annotate(n=Count("id")))
    # A withheld figure's status is counted as not shown (public_status), so a pillar of
    # one such metric does not say "1 on track".
    grouped = [(pillar_id, area_id, goal_id, public_status(status, has_value, publication), n)
               for pillar_id, area_id, goal_id, status, publication, has_value, n in grouped]
    counts = {}
    for pillar_id, area_id, goal_id, status, n in grouped:
        nodes = [("plan", plan.pk)] if pillar is None else []
        nodes += [("pillar", pillar_id), ("priority_area", area_id), ("goal", goal_id)]
        for node in nodes:
            if node[1] is not None:
                bucket = counts.setdefault(node, {})
                bucket[status] = bucket.get(status, 0) + n
    outline = [(area_id, goal_id, status, n) for _, area_id, goal_id, status, n in grouped]
    return {node: PublicRollup(c) for node, c in counts.items()}, outline


def public_metric(plan_slug, code, *, preview=False):
    """A public metric with its place in the plan, or 404 (held back, or its plan is not
    public); no owners. `preview` (staff): of a plan not public yet too, as it would be."""
    metrics = Metric.objects.select_related(
        "plan", "pillar__plan", "priority_area", "goal", "program", "dashboard_scale")
    return get_object_or_404(access.public_metrics(metrics, preview=preview),
                             plan__slug=plan_slug, code=code)


@dataclass(frozen=True)
class PublicFigure:
    period: str
    value: object  # None when not published
    qualifier: str
    footnote: str


def public_series(metric):
    """The metric's approved county-wide figures, oldest first (at most SERIES_LIMIT), each
    with its value only when published. One query."""
    readings = list(
        county_wide_readings().filter(metric=metric, approved_value__isnull=False)
        .order_by("-period_end", "-period_start")
        .values_list("period", "approved_value", "approved_qualifier", "publication")
        [:SERIES_LIMIT]
    )
    return [
        PublicFigure(period, value if publication == PUBLISHED else None,
                     qualifier if publication == PUBLISHED else "",
                     footnote(publication, metric.plan))
        for period, value, qualifier, publication in reversed(readings)
    ]


def csv_readings(metric):
    """Every approved reading of the metric (all districts and student groups), in period
    order, with what a row of the public CSV needs; a queryset the view pages through."""
    return (
        Reading.objects.filter(metric=metric, approved_value__isnull=False)
        .select_related("district", "student_group")
        .only("period", "period_end", "approved_value", "approved_qualifier", "publication",
              *with_translations("district__name", "student_group__name"))
        .order_by("period_end", "period_start", "district__name", "student_group__name", "pk")
    )
