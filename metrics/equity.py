"""The equity lens of a metric (issue 16): its figures by student group and by district.

Selectors only: every figure comes from the precomputed snapshots (MetricSnapshot, one
per metric x district x student group, rebuilt by Celery); nothing here aggregates
readings. Each figure passes `shown`, the one place that decides how a page writes a
figure the publication rule (metrics.privacy) has or has not published:

- public pages (`public_view=True`): a figure not PUBLISHED is the mark "*" with its
  footnote, and its value never reaches the page (nor a colour, a band or a sort key);
  a change or a gap is written only when every figure it is made of is published
  (privacy.change_shown);
- staff pages: the real value with "suppressed in public" (privacy.STAFF_LABEL).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from . import privacy
from .dashboard import _a_year_apart as a_year_apart
from .dashboard import change_needed, dashboard_word, describe_needed, place
from .models import MetricSnapshot, PendingRebuild, Publication, StudentGroup
from .units import format_change

# What the mark of a figure the worker has not judged yet says (Publication.UNDECIDED):
# public paths fail closed until it has (metrics.models.reading.Publication). English
# here (one constant to compare), in the page's language where written (note_for).
UNDECIDED_NOTE = gettext_noop("* Not published yet: the privacy check of this figure has "
                              "not run since it was approved.")  # "*" is privacy.MARK
BANDS = 5
BAND_WORDS = (_("Lowest fifth"), _("Second fifth"), _("Middle fifth"), _("Fourth fifth"),
              _("Highest fifth"))


@dataclass(frozen=True)
class Shown:
    """One figure as a page writes it. `text` is all the HTML may hold of it; `value`
    is None whenever the page must not know it (absent, or hidden from the public)."""

    value: Decimal | None
    text: str
    published: bool
    label: str = ""  # STAFF_LABEL on a staff page when the public does not see it
    note: str = ""  # the footnote of a "*" (public) or of the label (staff)

    @property
    def marked(self):
        return self.text == privacy.MARK

    def __str__(self):
        return self.text

    def __html__(self):  # {{ figure }} in a template writes its cell
        return figure_html(self)


NO_FIGURE = Shown(None, "—", published=False)


def note_for(publication, threshold):
    """The footnote of a figure the rule did not publish, in the rule's own words."""
    if publication == Publication.UNDECIDED:
        return gettext(UNDECIDED_NOTE)
    return privacy.footnote(privacy.Reason(publication), threshold)


def shown(metric, value, qualifier, publication, *, public_view):
    """How `value` (with its publication decision) is written on a public or staff page."""
    if value is None:
        return NO_FIGURE
    published = publication == Publication.PUBLISHED
    if published:
        return Shown(value, metric.format(value, qualifier), True)
    note = note_for(publication, metric.plan.suppression_threshold)
    if public_view:
        return Shown(None, privacy.MARK, False, note=note)
    return Shown(value, metric.format(value, qualifier), False, privacy.staff_label(), note)


def latest(snapshot, *, public_view):
    return shown(snapshot.metric, snapshot.latest_value, snapshot.latest_qualifier,
                 snapshot.latest_publication, public_view=public_view)


def previous(snapshot, *, public_view):
    return shown(snapshot.metric, snapshot.previous_value, "",
                 snapshot.previous_publication, public_view=public_view)


def difference(now, before, *, public_view):
    """`now - before` in the metric's unit ("−3.1 pts"), or None when it may not be
    written: a figure missing, or (public) one of them not published."""
    if now.value is None or before.value is None:
        return None
    if public_view and not privacy.change_shown(now, before):
        return None
    return now.value - before.value


def figures(snapshot, metric, *, public_view):
    """(latest, previous, their change or None) of one snapshot as a page writes them."""
    snapshot.metric = metric  # one metric object: its plan is read once
    now = latest(snapshot, public_view=public_view)
    before = previous(snapshot, public_view=public_view)
    return now, before, difference(now, before, public_view=public_view)


def change_text(metric, size):
    return format_change(size, metric.unit) if size is not None else "—"


def figure_html(figure):
    """A figure's cell: its text, then the staff label, or the footnote for a screen
    reader beside the public mark (the page lists the footnotes under the table)."""
    if figure.label:
        return format_html('{} <span class="badge">{}</span>', figure.text, figure.label)
    if figure.marked:
        return format_html('{}<span class="visually-hidden"> ({})</span>', figure.text,
                           figure.note.removeprefix(privacy.MARK).strip())
    return figure.text


def footnotes(figures):
    """The distinct footnotes of `figures`, in the order they first appear."""
    return list(dict.fromkeys(f.note for f in figures if f.note))


# --- By student group ---------------------------------------------------------------

@dataclass
class GroupRow:
    group: object  # StudentGroup
    latest: Shown
    previous: Shown
    period: str
    change: str
    gap: str  # to All students, latest year
    gap_change: str  # how the gap moved since the previous year
    is_total: bool = False
    placement: object = None  # dashboard.Placement where the metric has a scale
    needed: str = ""


@dataclass
class ByGroup:
    rows: list  # All students first when it has a figure
    notes: list = field(default_factory=list)
    district: object = None  # the one district shown, None for the county


def view_url(metric, *, district_id=None, group_id=None):
    """The metric page's "By student group" view of one district (None: the county),
    with the readings of one student group: what the by-district table, the heat map and
    the pillar table filtered to a slice link to. Ids, the parameters the pillar filter
    and the metric page's readings slice read; `metric.plan` is loaded."""
    query = {"view": "groups"}
    if district_id:
        query["district"] = district_id
    if group_id:
        query["student_group"] = group_id
    # The metric's address worked out once a page (a link a district row: reverse() each
    # time was a tenth of the by-district page's extra cost at 80 districts).
    page = metric.__dict__.get("_equity_page") or metric.__dict__.setdefault(
        "_equity_page", metric.get_absolute_url())
    return f"{page}?{urlencode(query)}#equity-heading"


def _placed(metric, snapshot, now, before, *, public_view):
    """The Dashboard's five-by-five placement of one slice, from its shown figures only
    (a hidden figure places nothing; None), with the students behind the latest figure
    (`latest_n`: the Dashboard's minimum n for a colour), which a public page never
    writes (dashboard.place's show_n)."""
    scale = metric.dashboard_scale
    if scale is None or now.value is None:
        return None
    prior = before.value if a_year_apart(snapshot) else None
    return place(scale, now.value, prior, n=snapshot.latest_n, show_n=not public_view)


def _placement(metric, snapshot, now, before, *, public_view):
    """The placement (`_placed`) and the change needed to reach Green."""
    placed = _placed(metric, snapshot, now, before, public_view=public_view)
    if placed is None:
        return None, ""
    scale = metric.dashboard_scale
    return placed, describe_needed(scale, change_needed(scale, now.value), now.value)


def by_group(metric, *, public_view, district=None):
    """The figures of every student group beside All students, county-wide or within
    one `district` (its own All students then the reference), with the gap to All
    students and how it moved since the previous figure. One query, whatever the number
    of groups; what is published is the snapshot's decision (latest_publication)."""
    where = Q(district=district) if district is not None else Q(district__is_total=True)
    snapshots = list(
        MetricSnapshot.objects.filter(where, metric=metric)
        .select_related("student_group")
        .order_by("-student_group__is_total", "student_group__name")
    )
    total = next((s for s in snapshots if s.student_group.is_total), None)
    base_now, base_before, _ = (figures(total, metric, public_view=public_view) if total
                                else (NO_FIGURE, NO_FIGURE, None))
    rows, shown_figures = [], []
    for snapshot in snapshots:
        now, before, change = figures(snapshot, metric, public_view=public_view)
        shown_figures += [now, before]
        # A gap compares figures of the same period only.
        gap_now = difference(now, base_now, public_view=public_view) if total and (
            snapshot.latest_period == total.latest_period) else None
        gap_before = difference(before, base_before, public_view=public_view) if total and (
            snapshot.previous_period == total.previous_period) else None
        row = GroupRow(
            group=snapshot.student_group, latest=now, previous=before,
            period=snapshot.latest_period,
            change=change_text(metric, change),
            gap="—" if snapshot is total else change_text(metric, gap_now),
            gap_change="—" if snapshot is total or gap_now is None or gap_before is None
            else change_text(metric, gap_now - gap_before),
            is_total=snapshot is total,
        )
        row.placement, row.needed = _placement(metric, snapshot, now, before,
                                               public_view=public_view)
        rows.append(row)
    return ByGroup(rows, footnotes(shown_figures), district)


# --- By district --------------------------------------------------------------------

def district_rows(metric, *, public_view):
    """All students in each district (not the county row), with sort keys a public page
    may use: a hidden figure sorts as no figure, so the order reveals nothing of it."""
    rows = MetricSnapshot.objects.filter(
        metric=metric, student_group__is_total=True, district__is_total=False,
    ).select_related("district")
    if public_view:
        published = Q(latest_publication=Publication.PUBLISHED)
        both = published & Q(previous_publication=Publication.PUBLISHED)
        return rows.annotate(
            sort_latest=Case(When(published, then=F("latest_value")), default=None),
            sort_change=Case(When(both, then=F("change")), default=None),
        )
    return rows.annotate(sort_latest=F("latest_value"), sort_change=F("change"))


def county_row(metric):
    """The county-wide All-students snapshot the by-district view stands beside."""
    snapshot = MetricSnapshot.objects.select_related("district").county_wide_of(metric)
    if snapshot is not None:
        snapshot.metric = metric
    return snapshot


# --- The heat map: district x student group -----------------------------------------

@dataclass(frozen=True)
class HeatCell:
    figure: Shown
    band: int | None  # 1..5, None for no colour (no figure, or hidden)
    word: str  # the band in words: colour is never the only cue
    colour: str = ""  # the Dashboard's colour in words, where the slice has one
    no_colour: str = ""  # else, on a scaled metric, the Dashboard's reason (Placement.reason)

    def html(self):
        """The cell's <td>: its figure, its band in words, and its Dashboard colour or
        why it has none. Each part escaped here (an f-string, not format_html: a page has
        hundreds of cells, and format_html's per-argument work was most of their cost)."""
        band = f" heat-{self.band}" if self.band else ""
        if self.colour:
            extra = (f'<br><span class="heat-word">{escape(gettext("Dashboard colour"))}: '
                     f"{escape(self.colour)}</span>")
        elif self.no_colour:
            extra = f'<br><span class="heat-word">{escape(self.no_colour)}</span>'
        else:
            extra = ""
        return (f'<td class="heat-cell{band}">{escape(self.figure.text)}<br>'
                f'<span class="heat-word">{escape(self.word)}</span>{extra}</td>')


class HeatRow(list):
    """One district's HeatCells, written whole ({{ cells }} in _heat_map.html): a template
    node a row instead of a loop with several nodes a cell, which made a page of 390 cells
    cost many times the page without them (bench/run.py's by-district page). __str__, as
    Django's templates write a value that is not a str by str() before escaping it."""

    def __str__(self):
        return mark_safe("".join(cell.html() for cell in self))  # noqa: S308 - escaped in html()


def bands(metric, values):
    """A function from a value to (band 1..5, its words): the metric's Dashboard status
    levels where it has a scale (CDE's cut points), else five equal parts of the range
    of the values shown."""
    scale = metric.dashboard_scale
    if scale is not None:
        levels = scale.status_levels
        low_first = sorted(range(len(levels)), key=lambda i: (
            levels[i].get("min") not in (None, ""), Decimal(str(levels[i].get("min") or 0))))
        rank = {index: position + 1 for position, index in enumerate(low_first)}

        def by_level(value):
            placed = place(scale, value, None, n=None)
            if placed.row is None:
                return None, gettext("outside the scale")
            return rank[placed.row], dashboard_word(placed.status)
        return by_level
    shown_values = [v for v in values if v is not None]
    low = min(shown_values, default=Decimal(0))
    width = (max(shown_values, default=Decimal(0)) - low) / BANDS
    words = [str(word) for word in BAND_WORDS]  # translated once, not once a cell

    def by_range(value):
        band = BANDS if not width else min(BANDS, int((value - low) / width) + 1)
        return band, words[band - 1]
    return by_range


@dataclass
class HeatMap:
    groups: list
    rows: list  # [(district, HeatRow)]
    notes: list
    scaled: bool


# What a heat cell reads of its snapshot (latest, previous and _placed): read as values,
# not as MetricSnapshot objects, whose 36 fields (the series among them) cost 35 ms for
# the 390 cells of a page against 2 ms for these (bench DB, 2026-12-02).
HEAT_FIELDS = ("district_id", "student_group_id", "latest_value", "latest_qualifier",
               "latest_publication", "latest_period", "previous_value", "previous_period",
               "previous_publication", "latest_n")


class _Slice:
    """The HEAT_FIELDS of one snapshot, read as a snapshot's attributes."""

    __slots__ = (*HEAT_FIELDS, "metric")

    def __init__(self, metric, row):
        self.metric = metric
        for name, value in zip(HEAT_FIELDS, row, strict=True):
            setattr(self, name, value)


def heat_map(metric, districts, *, public_view):
    """The matrix district x student group of `districts` (the county first when it is
    among them); two queries (the cells, their groups); cells without a snapshot say so."""
    order = ("-student_group__is_total", "student_group__name")
    slices = [_Slice(metric, row) for row in MetricSnapshot.objects.filter(
        metric=metric, district__in=[d.pk for d in districts]).order_by(*order)
        .values_list(*HEAT_FIELDS)]
    group_ids = list(dict.fromkeys(s.student_group_id for s in slices))
    groups = StudentGroup.objects.in_bulk(group_ids) if group_ids else {}
    cells, colours = {}, {}
    for snapshot in slices:
        now = latest(snapshot, public_view=public_view)
        cells[snapshot.district_id, snapshot.student_group_id] = now
        if metric.dashboard_scale is None:
            continue
        placed = _placed(metric, snapshot, now, previous(snapshot, public_view=public_view),
                         public_view=public_view)
        if placed is not None:
            # A colour, or why the Dashboard gives none (too few students...), as the
            # by-group view says it: a blank would read as a colour forgotten.
            colours[snapshot.district_id, snapshot.student_group_id] = (
                (placed.colour_word, "") if placed.colour else ("", placed.reason))
    band_of = bands(metric, [figure.value for figure in cells.values()
                             if figure.published or not public_view])
    no_figure, not_published = gettext("no figure"), gettext("not published")
    rows = []
    for district in districts:
        row = HeatRow()
        for group_id in group_ids:
            figure = cells.get((district.pk, group_id), NO_FIGURE)
            if figure.value is None:
                row.append(HeatCell(figure, None, no_figure if figure is NO_FIGURE
                                    else not_published))
            else:
                row.append(HeatCell(figure, *band_of(figure.value),
                                    *colours.get((district.pk, group_id), ("", ""))))
        rows.append((district, row))
    return HeatMap([groups[pk] for pk in group_ids], rows, footnotes(cells.values()),
                   metric.dashboard_scale is not None)


# --- The pillar dashboard for one district or student group -------------------------

def slice_rows(*, district_id=None, group_id=None):
    """The pillar table's rows for one district and student group (All districts and All
    students where not given): dashboard_rows' columns for any slice."""
    return (
        MetricSnapshot.objects.filter(
            Q(district_id=district_id) if district_id else Q(district__is_total=True),
            Q(student_group_id=group_id) if group_id else Q(student_group__is_total=True),
        )
        .select_related("metric__plan", "metric__pillar", "metric__priority_area",
                        "metric__goal", "metric__program", "district", "student_group")
        .annotate(is_pending=Exists(PendingRebuild.objects.filter(metric_id=OuterRef("metric_id"))))
    )


def chosen_id(value):
    """A dimension id from a query parameter, or None for anything but a short run of
    ASCII digits (no "٣", no "-1", no formula)."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
