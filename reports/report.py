"""The annual report of one plan and school year, assembled from approved readings.

`build_report` reads everything in a fixed number of queries and returns plain
objects that the page, the PDF and the Word writer all lay out: the cover, the "at
a glance" figures (plan-wide metrics), then per pillar its commitment, headline
callouts, highlights, charts and other figures, each with the change from the prior
school year where a prior approved value exists.

A metric's figure for a year is its approved county-wide reading for that school
year, or, for a metric updated monthly or quarterly, its latest approved reading
within the year (the period is shown beside it).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from metrics.units import Unit, format_change, format_figure

from . import charts, markdown, selectors

DISTRICT_CHART_LIMIT = 10


@dataclass
class Figure:
    metric: object
    label: str
    school_year: str
    period: str = ""
    value: Decimal | None = None
    text: str = ""
    prior_period: str = ""
    prior_value: Decimal | None = None
    prior_text: str = ""
    change_text: str = ""

    @property
    def has_value(self):
        return self.value is not None

    @property
    def period_note(self):
        """"as of 2024-06" when the figure is not the whole school year's."""
        return f"as of {self.period}" if self.period and self.period != self.school_year else ""


@dataclass
class Section:
    pillar: object
    headlines: list
    others: list
    highlight: str
    highlight_html: str
    charts: list = field(default_factory=list)
    rollup: object = None


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

    @property
    def is_synthetic(self):
        return self.plan.is_synthetic

    @property
    def pillars(self):
        return [section.pillar for section in self.sections]


def report_title(plan, school_year):
    return f"{plan.organisation} Annual Report {school_year}"


def build_report(plan, school_year, pillars=None, *, progress=None):
    """The report of `plan` for `school_year`, with `pillars` (all when None).

    `progress(done, total)` is called after each pillar is assembled.
    """
    all_pillars = list(plan.pillars.all())
    chosen = all_pillars if pillars is None else [p for p in all_pillars if p in set(pillars)]
    prior = selectors.prior_year(school_year)
    metrics = selectors.report_metrics(plan, chosen)
    readings = selectors.county_readings(plan, chosen, [prior, school_year])
    highlights = selectors.highlights(plan, school_year)
    rollups = selectors.pillar_rollups(plan)

    by_metric = {}
    for reading in readings:
        by_metric.setdefault(reading.metric_id, []).append(reading)
    figures = {m.pk: _figure(m, by_metric.get(m.pk, []), school_year, prior) for m in metrics}
    headline_pairs = [
        (m.pk, figures[m.pk].period) for m in metrics if m.is_headline and figures[m.pk].has_value
    ]
    slices = {}
    for reading in selectors.district_readings(headline_pairs):
        slices.setdefault(reading.metric_id, []).append(reading)

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
            highlight_html=markdown.render(body), rollup=rollups.get(pillar.pk),
        )
        section.charts = _charts(section, school_year, prior, slices)
        sections.append(section)
        if progress:
            progress(len(sections), len(chosen))
    intro = highlights.get(None)
    intro_body = intro.body if intro else ""
    return Report(
        plan=plan, school_year=school_year, prior_year=prior,
        title=report_title(plan, school_year), sections=sections, glance=glance,
        introduction=intro_body, introduction_html=markdown.render(intro_body, heading_level=3),
        all_pillars=len(chosen) == len(all_pillars), generated_at=timezone.now(),
    )


def _pick(readings, school_year):
    """The year's own reading if there is one, else the latest within the year."""
    first, last = selectors.year_bounds(school_year)
    within = [r for r in readings if r.period_start >= first and r.period_end <= last]
    exact = [r for r in within if r.period == school_year]
    return (exact or within or [None])[-1]


def _figure(metric, readings, school_year, prior_year):
    figure = Figure(
        metric=metric, label=metric.headline_label or metric.name, school_year=school_year
    )
    current, prior = _pick(readings, school_year), _pick(readings, prior_year)
    scale = {"scale_max": metric.scale_max}
    if current is not None:
        figure.period, figure.value = current.period, current.approved_value
        figure.text = format_figure(current.approved_value, metric.unit,
                                    qualifier=current.approved_qualifier, **scale)
    if prior is not None:
        figure.prior_period, figure.prior_value = prior.period, prior.approved_value
        figure.prior_text = format_figure(prior.approved_value, metric.unit,
                                          qualifier=prior.approved_qualifier, **scale)
    if current is not None and prior is not None and metric.unit != Unit.PERCENT_CHANGE:
        figure.change_text = format_change(
            current.approved_value - prior.approved_value, metric.unit, **scale
        )
    return figure


def _charts(section, school_year, prior, slices):
    pillar = section.pillar
    found = []
    compared = [
        f for f in section.headlines + section.others
        if f.has_value and f.prior_value is not None and f.metric.unit != Unit.PERCENT_CHANGE
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
            title=f"{pillar.name}: figures in {prior} and {school_year}",
            description="; ".join(
                f"{f.label}: {f.prior_text} in {f.prior_period}, {f.text} in {f.period}"
                for f in compared
            ) + ". Each figure has its own scale.",
            table_head=("Figure", prior, school_year, "Change"),
            table_rows=[(f.label, f.prior_text, f.text, f.change_text) for f in compared],
        ))
    counts = section.rollup.counts if section.rollup else {}
    judged = sum(counts.get(s, 0) for s in ("on_track", "at_risk", "off_track"))
    if judged:
        found.append(charts.status_chart(
            counts, chart_id=f"chart-status-{pillar.order}",
            title=f"{pillar.name}: metrics by status",
        ))
    for figure in section.headlines:
        rows = slices.get(figure.metric.pk, [])
        if not rows:
            continue
        shown = rows[:DISTRICT_CHART_LIMIT]
        texts = [
            format_figure(r.approved_value, figure.metric.unit, qualifier=r.approved_qualifier,
                          scale_max=figure.metric.scale_max)
            for r in shown
        ]
        which = (f"the {len(shown)} largest of {len(rows)} districts"
                 if len(rows) > len(shown) else f"{len(rows)} districts")
        found.append(charts.bar_chart(
            [charts.Group("", [
                charts.Bar(r.district.name, float(r.approved_value), text)
                for r, text in zip(shown, texts, strict=True)
            ])],
            chart_id=f"chart-districts-{figure.metric.pk}",
            title=f"{figure.label} by district, {figure.period}",
            description=f"{figure.label} in {which}: " + "; ".join(
                f"{r.district.name} {text}" for r, text in zip(shown, texts, strict=True)
            ) + ".",
            table_head=("District", figure.period),
            table_rows=[(r.district.name, text) for r, text in zip(shown, texts, strict=True)],
        ))
    return found
