"""The annual report of one plan and school year, assembled from approved readings.

`build_report` reads everything in a fixed number of queries and returns plain
objects that the page, the PDF and the Word writer all lay out: the cover, the "at
a glance" figures (plan-wide metrics), then per pillar its commitment, headline
callouts, highlights, charts and other figures, each with the change from the prior
school year where a prior approved value exists; every figure, change, status and
chart point as the publication rule lets the public see it (reports/publication.py).
The approved readings behind it, whole, are the staff data export (reports/data.py).

A metric's figure for a year is its approved county-wide reading for that school
year, or, for a metric updated monthly or quarterly, its latest approved reading
within the year (the period is shown beside it).

The report of a year uses readings of that year and earlier only. Its statuses are
those at the year's end: `judge_as_of` hands the metric's approved county-wide
readings up to 30 June of the year to metrics.status.judge_metric, the function the
dashboards' aggregates call with all readings. Judging on the fly rather than from
stored per-year snapshots keeps one status rule with no second copy to rebuild on
every write; a report reads one metric's short history, so it costs one query.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from metrics.periods import Period
from metrics.status import JUDGED, coverage, display, judge_metric, rollup_status
from metrics.units import Unit

from . import markdown, publication, selectors
from .render import svg as charts

DISTRICT_CHART_LIMIT = 10
SYNTHETIC_NOTE = gettext_lazy("Synthetic data: this demo plan and every figure in it are made up.")


@dataclass
class Figure:
    metric: object
    label: str
    school_year: str
    period: str = ""
    value: Decimal | None = None  # None when there is none, or not published
    text: str = ""  # "*" when not published (reports/publication.py)
    prior_period: str = ""
    prior_value: Decimal | None = None
    prior_text: str = ""
    change_text: str = ""
    status: str = ""  # metrics.status.Status at the year's end (judge_as_of)
    status_reason: str = ""
    history: list = field(default_factory=list)  # [(period, value, text)], oldest first
    size: int | None = None  # the students behind the value (a percent's denominator)
    notes: list = field(default_factory=list)  # footnotes of its "*" (this year, prior)

    @property
    def status_word(self):
        return display(self.status).word if self.status else ""

    @property
    def has_value(self):
        """Whether the year has a figure: its value, or the mark of one not published."""
        return bool(self.text)

    @property
    def change_note(self):
        """"+2.1 points from 45.0% in 2022-23" ("" without a prior figure)."""
        if not self.change_text:
            return ""
        return _("%(change)s from %(prior)s in %(period)s") % {
            "change": self.change_text, "prior": self.prior_text, "period": self.prior_period}

    @property
    def period_note(self):
        """"as of 2024-06" when the figure is not the whole school year's."""
        if not self.period or self.period == self.school_year:
            return ""
        return _("as of %(period)s") % {"period": self.period}


@dataclass
class Section:
    pillar: object
    headlines: list
    others: list
    highlight: str
    highlight_html: str
    charts: list = field(default_factory=list)
    status_counts: dict = field(default_factory=dict)  # the pillar's metrics at year end
    figures: list = field(default_factory=list)  # every metric of the pillar, with or without
    school_year: str = ""
    prior_year: str = ""

    @property
    def title(self):
        """"Pillar 1: Improve Student Outcomes": the section's heading in every format."""
        return pillar_title(self.pillar)

    @property
    def others_table(self):
        """(head, rows) of the other figures, years oldest to newest; the prior year and
        change columns only when some figure has a prior value to compare with."""
        compared = any(f.prior_text for f in self.others)
        head = ((_("Figure"), self.prior_year, self.school_year, _("Change")) if compared
                else (_("Figure"), self.school_year))
        rows = []
        for f in self.others:
            text = f.text + (f" ({f.period_note})" if f.period_note else "")
            rows.append((f.label, f.prior_text or "—", text, f.change_text or "—") if compared
                        else (f.label, text))
        return head, rows

    @property
    def rollup(self):
        """(status, share on track, reason) of the pillar at the year's end."""
        return rollup_status(self.status_counts)

    @property
    def coverage(self):
        """(tracked, judged): metrics tracked, and those with a target and data."""
        return coverage(self.status_counts)

    @property
    def data_as_of(self):
        """The latest period any of the pillar's figures is of ("" when none is)."""
        return _latest_period([f.period for f in self.figures])

    @property
    def key_trend(self):
        """The figure whose history is longest (headlines first), or None below 2 points."""
        ranked = sorted(self.headlines + [f for f in self.figures if not f.metric.is_headline],
                        key=lambda f: -_drawn(f))
        return ranked[0] if ranked and _drawn(ranked[0]) >= 2 else None

    @property
    def notes(self):
        """The footnotes of its figures' marks (headlines and other figures)."""
        return publication.footnotes(self.headlines + self.others)


@dataclass
class Report:
    plan: object
    school_year: str
    prior_year: str
    title: str
    sections: list
    glance: list
    introduction: str
    introduction_html: str
    all_pillars: bool
    generated_at: object
    year_end: object = None
    figures_as_of: object = None  # its newest approval: the PDF's date (render/pdf.py)
    plan_wide: list = field(default_factory=list)  # every plan-wide metric's figure

    @property
    def synthetic_note(self):
        return str(SYNTHETIC_NOTE)

    @property
    def glance_notes(self):
        return publication.footnotes(self.glance)

    @property
    def figures(self):
        """Every metric's figure in report order: plan-wide, then pillar by pillar."""
        return self.plan_wide + [f for section in self.sections for f in section.figures]

    @property
    def data_as_of(self):
        return _latest_period([f.period for f in self.figures])

    @property
    def is_synthetic(self):
        return self.plan.is_synthetic

    @property
    def pillars(self):
        return [section.pillar for section in self.sections]

    @property
    def colophon(self):
        """What the figures are, in the words every format closes with (before the date
        it was produced)."""
        sentences = _(
            "Figures are approved values for the school year %(year)s (1 July to 30 June); "
            "a figure updated during the year shows its latest approved period. Changes "
            "compare with %(prior)s where an approved figure exists. Statuses are as of "
            "%(day)s, judged from approved values of %(year)s and earlier only."
        ) % {"year": self.school_year, "prior": self.prior_year, "day": self.year_end_text}
        return f"{_('Synthetic data.')} {sentences}" if self.is_synthetic else sentences

    @property
    def edition_text(self):
        """"This edition covers Pillar 1, Pillar 3 of the plan." (a report of some pillars)."""
        which = ", ".join(pillar_number(p) for p in self.pillars)
        return _("This edition covers %(pillars)s of the plan.") % {"pillars": which}

    @property
    def year_end_text(self):
        """The day the statuses are of, written out in the active language."""
        return written_day(self.year_end)

    @property
    def produced_text(self):
        """"Produced 1 December 2026.": the Word file's last words (the page and the PDF
        add the time)."""
        return _("Produced %(day)s.") % {"day": written_day(self.generated_at)}


def pillar_number(pillar):
    return _("Pillar %(number)s") % {"number": pillar.order}


def pillar_title(pillar):
    return _("Pillar %(number)s: %(name)s") % {"number": pillar.order, "name": pillar.name}


def report_title(plan, school_year):
    return _("%(organisation)s Annual Report %(year)s") % {
        "organisation": plan.organisation, "year": school_year}


def judge_as_of(metric, readings):
    """The status of `metric` at the end of a year: metrics.status.judge_metric given
    the metric's approved county-wide `readings` of that year and earlier, oldest
    first, the way the aggregates give it every reading."""
    latest = readings[-1] if readings else None
    return judge_metric(
        metric, latest.approved_value if latest else None, latest.period if latest else None,
        series=[[r.period, r.approved_value] for r in readings],
    )


def by_metric(readings):
    grouped = {}
    for reading in readings:
        grouped.setdefault(reading.metric_id, []).append(reading)
    return grouped


def build_report(plan, school_year, pillars=None, *, progress=None):
    """The report of `plan` for `school_year`, with `pillars` (all when None).

    `progress(done, total)` is called after each pillar is assembled.
    """
    all_pillars = list(plan.pillars.all())
    chosen = all_pillars if pillars is None else [p for p in all_pillars if p in set(pillars)]
    year = Period.parse(school_year)
    prior = year.previous()
    metrics = selectors.report_metrics(plan, chosen)
    readings = selectors.readings_until(plan, chosen, year)
    grouped = by_metric(readings)
    highlights = selectors.highlights(plan, school_year)

    threshold = plan.suppression_threshold
    figures = {m.pk: _figure(m, grouped.get(m.pk, []), year, prior, threshold)
               for m in metrics}
    statuses = {m.pk: figures[m.pk].status for m in metrics}
    headline_pairs = [
        (m.pk, figures[m.pk].period) for m in metrics if m.is_headline and figures[m.pk].has_value
    ]
    slices = by_metric(selectors.district_readings(headline_pairs))

    glance = [figures[m.pk] for m in metrics if m.pillar_id is None and figures[m.pk].has_value]
    sections = []
    for pillar in chosen:
        own = [m for m in metrics if m.pillar_id == pillar.pk]
        headlines = sorted(
            (figures[m.pk] for m in own if m.is_headline),
            key=lambda f: (f.metric.headline_order or 0, f.label),
        )
        others = [figures[m.pk] for m in own if not m.is_headline and figures[m.pk].has_value]
        highlight = highlights.get(pillar.pk)
        body = highlight.body if highlight else ""
        section = Section(
            pillar=pillar, headlines=headlines, others=others, highlight=body,
            highlight_html=markdown.render(body),
            status_counts=dict(Counter(statuses[m.pk] for m in own)),
            figures=[figures[m.pk] for m in own], school_year=school_year,
            prior_year=prior.text,
        )
        section.charts = _charts(section, year, prior.text, slices, threshold)
        sections.append(section)
        if progress:
            progress(len(sections), len(chosen))
    intro = highlights.get(None)
    intro_body = intro.body if intro else ""
    return Report(
        plan=plan, school_year=school_year, prior_year=prior.text,
        title=report_title(plan, school_year), sections=sections, glance=glance,
        introduction=intro_body, introduction_html=markdown.render(intro_body, heading_level=3),
        all_pillars=len(chosen) == len(all_pillars), generated_at=timezone.now(),
        year_end=year.end, plan_wide=[figures[m.pk] for m in metrics if m.pillar_id is None],
        figures_as_of=max((r.approved_at for r in readings if r.approved_at), default=None),
    )


def written_day(day):
    """`day` written out in the active language: "30 June 2024", "30 de junio de 2024"
    (README, "Languages"). The format itself is in the catalogue, as Django's own are."""
    return date_format(day, _("j F Y"))


def _drawn(figure):
    """How many points of its history a trend can draw (those published)."""
    return sum(value is not None for _period, value, _text in figure.history)


def _latest_period(periods):
    known = [Period.parse(p) for p in periods if p]
    return max(known, key=lambda p: p.end).text if known else ""


def pick(readings, year):
    """The year's own reading if there is one, else the latest within the year."""
    within = [r for r in readings if year.start <= r.period_start and r.period_end <= year.end]
    exact = [r for r in within if r.period == year.text]
    return (exact or within or [None])[-1]


def _figure(metric, readings, year, prior_year, threshold):
    """The figure of `metric` for `year`: each value, change and status as the report
    may publish it (reports/publication.py)."""
    figure = Figure(
        metric=metric, label=metric.headline_label or metric.name, school_year=year.text
    )
    current, prior = pick(readings, year), pick(readings, prior_year)
    judgement = judge_as_of(metric, readings)
    figure.status = publication.status(judgement.status, readings[-1] if readings else None)
    # The reason quotes the figure the status was judged on: withheld with it.
    figure.status_reason = judgement.reason if figure.status == judgement.status else ""
    now = before = None
    if current is not None:
        kind = Period.parse(current.period).kind
        figure.history = [(r.period, p.value, p.text) for r in readings
                          if Period.parse(r.period).kind == kind
                          for p in [publication.published(metric, r, threshold)]]
        now = publication.published(metric, current, threshold)
        figure.period, figure.value, figure.text = current.period, now.value, now.text
        figure.size = publication.students(metric, current) if now.published else None
    if prior is not None:
        before = publication.published(metric, prior, threshold)
        figure.prior_period, figure.prior_value = prior.period, before.value
        figure.prior_text = before.text
    if now is not None and metric.unit != Unit.PERCENT_CHANGE:
        figure.change_text = publication.change_text(metric, now, before)
    figure.notes = publication.footnotes([p for p in (now, before) if p is not None])
    return figure


def _charts(section, year, prior, slices, threshold):
    school_year = year.text
    pillar = section.pillar
    found = []
    compared = [
        f for f in section.headlines + section.others
        if f.value is not None and f.prior_value is not None
        and f.metric.unit != Unit.PERCENT_CHANGE
        and f.value >= 0 and f.prior_value >= 0
    ]
    if compared:
        found.append(charts.bar_chart(
            [
                charts.Group(f.label, [
                    charts.Bar(f.prior_period, float(f.prior_value), f.prior_text, charts.PRIOR),
                    charts.Bar(f.period, float(f.value), f.text, charts.CURRENT),
                ])
                for f in compared
            ],
            chart_id=f"chart-change-{pillar.order}",
            title=_("%(pillar)s: figures in %(prior)s and %(year)s") % {
                "pillar": pillar.name, "prior": prior, "year": school_year},
            description=_("%(figures)s. Each figure has its own scale.") % {
                "figures": "; ".join(
                    _("%(label)s: %(prior)s in %(prior_period)s, %(value)s in %(period)s") % {
                        "label": f.label, "prior": f.prior_text,
                        "prior_period": f.prior_period, "value": f.text, "period": f.period}
                    for f in compared)},
            table_head=(_("Figure"), prior, school_year, _("Change")),
            table_rows=[(f.label, f.prior_text, f.text, f.change_text) for f in compared],
        ))
    counts = section.status_counts
    if any(counts.get(s) for s in JUDGED):
        found.append(charts.status_chart(
            counts, chart_id=f"chart-status-{pillar.order}",
            title=_("%(pillar)s: metrics by status on %(day)s") % {
                "pillar": pillar.name, "day": written_day(year.end)},
        ))
    for figure in section.headlines:
        readings = slices.get(figure.metric.pk, [])
        if readings:
            found.append(_district_chart(figure, readings, threshold))
    return found


def _district_chart(figure, readings, threshold):
    """The bars of the largest published districts; a suppressed district has no bar and
    is listed, after them, with the mark and its footnote (publication.district_figures)
    so that neither its value nor its rank among the bars is shown."""
    rows, notes = publication.district_figures(figure, readings, threshold)
    bars = [r for r in rows if r.published][:DISTRICT_CHART_LIMIT]
    hidden = sorted((r for r in rows if not r.published), key=lambda r: r.name)
    listed = bars + hidden
    counts = {"shown": len(bars), "count": len(rows)}
    which = (ngettext("the %(shown)s largest of %(count)s district",
                      "the %(shown)s largest of %(count)s districts", len(rows)) % counts
             if len(rows) > len(listed)
             else ngettext("%(count)s district", "%(count)s districts", len(rows)) % counts)
    return charts.bar_chart(
        [charts.Group("", [charts.Bar(r.name, r.value, r.text) for r in bars])],
        chart_id=f"chart-districts-{figure.metric.pk}",
        title=_("%(label)s by district, %(period)s") % {
            "label": figure.label, "period": figure.period},
        description=_("%(label)s in %(which)s: %(figures)s.") % {
            "label": figure.label, "which": which,
            "figures": "; ".join(f"{r.name} {r.text}" for r in listed)}
        + "".join(f" {note}" for note in notes),
        table_head=(_("District"), figure.period),
        table_rows=[(r.name, r.text) for r in listed],
        notes=notes,
    )
