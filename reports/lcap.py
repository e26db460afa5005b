"""A plan's goals as the LCAP's "Measuring and Reporting Results" tables, one per goal.

The columns are those of the California State Board of Education's Local Control and
Accountability Plan template (5 CCR § 15497.5; the 2024–25 through 2026–27 template,
section "Goals and Actions", table "Measuring and Reporting Results", and its
instructions): Metric #, Metric, Baseline, Year 1 Outcome, Year 2 Outcome, Target for
Year 3 Outcome, Current Difference from Baseline. They were checked against the
template's wording as the public tools that read adopted LCAPs quote it (for example the
"LCAP PDF extraction" scripts found with the `search` tool, which match these seven
headers). An LCAP is a three-year plan; so is a strategic plan such as LACOE's 2022-25:

- Baseline: the metric's baseline value and its period, as set on the metric.
- Year 1 and Year 2 Outcome: the approved county-wide value of the plan's first and
  second school years (for a metric updated monthly or quarterly, its latest approved
  period within the year, as the annual report picks it: reports.report.pick), each
  with its data year. Only years up to the exported school year count.
- Target for Year 3 Outcome: the metric's target and its period.
- Current Difference from Baseline: the latest outcome minus the baseline, with the
  years compared and whether that is better or worse in the metric's direction.

Where the plan sets no baseline or target (LACOE's plan sets none), the cell says so.
An outcome the publication rule does not publish is "*" with its footnote under the
tables, and so is a difference from it (reports/publication.py): the LCAP is public.
Context figures are not results and are left out; metrics under no goal get one table
per pillar after its goals.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from metrics.periods import Period
from metrics.units import Unit, format_change, format_figure

from . import publication, selectors
from .report import by_metric, pick

# In English exactly the template's words (tests/reports/test_lcap.py); a Spanish export
# gives them in Spanish, with the English of this file beside each in the catalogue.
COLUMNS = (pgettext_lazy("LCAP column", "Metric #"), pgettext_lazy("LCAP column", "Metric"),
           pgettext_lazy("LCAP column", "Baseline"),
           pgettext_lazy("LCAP column", "Year 1 Outcome"),
           pgettext_lazy("LCAP column", "Year 2 Outcome"),
           pgettext_lazy("LCAP column", "Target for Year 3 Outcome"),
           pgettext_lazy("LCAP column", "Current Difference from Baseline"))
NO_BASELINE = gettext_lazy("No baseline set in the plan")
NO_TARGET = gettext_lazy("No target set in the plan")


@dataclass
class Table:
    number: str  # "1.2.1": pillar, priority area, goal
    title: str
    rows: list = field(default_factory=list)  # tuples in COLUMNS order


@dataclass
class Results:
    plan: object
    school_year: str
    title: str
    years: tuple  # the plan's Year 1, Year 2 and Year 3 school years
    tables: list
    notes: list = field(default_factory=list)  # footnotes of the outcomes' marks ("*")
    columns = COLUMNS


def lcap_title(plan, school_year):
    return _("%(organisation)s: LCAP Measuring and Reporting Results, %(year)s") % {
        "organisation": plan.organisation, "year": school_year}


def build_lcap(plan, school_year, pillars=None, *, progress=None):
    """The results tables of `plan`'s goals (those of `pillars`, all when None) with the
    approved values up to the end of `school_year`."""
    chosen = list(plan.pillars.all()) if pillars is None else list(pillars)
    year = Period.parse(school_year)
    years = tuple(plan.school_years[:3])
    readings = by_metric(selectors.readings_until(plan, chosen, year))
    metrics = [m for m in selectors.report_metrics(plan, chosen)
               if m.pillar_id is not None and not m.is_context]
    tables, marks = [], []

    def _table(number, title, members):
        table = Table(number=number, title=title)
        for n, metric in enumerate(members, start=1):
            table.rows.append(row(f"{number}.{n}", metric, readings.get(metric.pk, []), years,
                                  year, plan.suppression_threshold, marks))
        return table

    for done, pillar in enumerate(chosen, start=1):
        own = [m for m in metrics if m.pillar_id == pillar.pk]
        goals, loose = {}, []
        for metric in own:
            if metric.goal_id:
                goals.setdefault(metric.goal_id, (metric.goal, metric.priority_area, []))[2] \
                    .append(metric)
            else:
                loose.append(metric)
        for goal, area, members in sorted(goals.values(),
                                          key=lambda g: (g[1].order, g[0].order)):
            number = f"{pillar.order}.{area.order}.{goal.order}"
            title = _("Goal %(number)s: %(goal)s") % {"number": number,
                                                       "goal": goal.statement}
            tables.append(_table(number, title, members))
        if loose:
            title = _("Pillar %(number)s: %(pillar)s, metrics under no single goal") % {
                "number": pillar.order, "pillar": pillar.name}
            tables.append(_table(f"{pillar.order}.0", title, loose))
        if progress:
            progress(done, len(chosen))
    return Results(plan=plan, school_year=school_year, title=lcap_title(plan, school_year),
                   years=years, tables=tables, notes=publication.footnotes(marks))


def _figure(metric, value, qualifier=""):
    return format_figure(value, metric.unit, qualifier=qualifier, scale_max=metric.scale_max)


def row(number, metric, readings, years, until, threshold, marks):
    """One metric's row, in COLUMNS order; the outcomes as the report may publish them
    (publication.published), each also added to `marks`."""
    baseline = (f"{_figure(metric, metric.baseline_value)} ({metric.baseline_period})"
                if metric.baseline_value is not None else str(NO_BASELINE))
    outcomes = []
    for school_year in years[:2]:
        period = Period.parse(school_year)
        if period.start > until.end:
            outcomes.append((None, _("Not yet: %(year)s is after %(until)s") % {
                "year": school_year, "until": until.text}))
            continue
        found = pick(readings, period)
        if found is None:
            outcomes.append((None, _("No approved value for %(year)s") % {"year": school_year}))
        else:
            shown = publication.published(metric, found, threshold)
            marks.append(shown)
            outcomes.append(((found, shown), f"{shown.text} ({found.period})"))
    target = (f"{_figure(metric, metric.target_value)} ({metric.target_period})"
              if metric.target_value is not None else str(NO_TARGET))
    return (number, metric.name, baseline, outcomes[0][1], outcomes[1][1] if len(outcomes) > 1
            else "", target, difference(metric, [r for r, _text in outcomes if r is not None]))


def difference(metric, outcomes):
    """The latest outcome ((reading, publication.Published)) minus the baseline, in the
    metric's direction; the mark when that outcome is not published (the baseline is
    public, so the difference would give it back)."""
    if metric.baseline_value is None:
        return _("No baseline to compare with")
    if not outcomes:
        return _("No approved outcome yet")
    latest, shown = outcomes[-1]
    if not shown.published:
        return shown.text
    change = latest.approved_value - metric.baseline_value
    if metric.unit == Unit.PERCENT_CHANGE:
        text = _("%(outcome)s against %(baseline)s") % {
            "outcome": _figure(metric, latest.approved_value),
            "baseline": _figure(metric, metric.baseline_value)}
    else:
        text = format_change(change, metric.unit, scale_max=metric.scale_max)
    words = {"change": text, "period": latest.period, "baseline": metric.baseline_period,
             "direction": str(metric.get_direction_display()).lower()}
    if change == 0:
        return _("%(change)s (%(period)s against baseline %(baseline)s): no change, "
                 "%(direction)s") % words
    if (change > 0) == (metric.direction == "higher"):
        return _("%(change)s (%(period)s against baseline %(baseline)s): better, "
                 "%(direction)s") % words
    return _("%(change)s (%(period)s against baseline %(baseline)s): worse, "
             "%(direction)s") % words
