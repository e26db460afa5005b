"""What of a headline metric's district figures the report may publish (issue 16).

The one decision the page, the PDF, Word and PowerPoint all read: the district
readings of a headline metric's report period, with the county-wide figure as the
partition total, go through metrics.privacy.suppress at the plan's threshold. A
suppressed district is written as the mark ("*", never 0 or blank) with the rule's
footnote; its value is never handed on to a renderer.
"""

from dataclasses import dataclass

from metrics.privacy import Cell, public_text, suppress
from metrics.units import Unit, format_figure

COUNTY = "county"
EVERYONE = "all"


@dataclass(frozen=True)
class DistrictFigure:
    name: str
    value: float | None  # None when suppressed: there is nothing to draw
    text: str  # the figure as published ("*" when suppressed)

    @property
    def published(self):
        return self.value is not None


def students(metric, reading):
    """The students behind a reading for the rule: a percent's denominator, a count's
    count (the rule takes it from the value), else not known."""
    if metric.unit == Unit.PERCENT:
        return reading.approved_counts[1]
    return None


def district_figures(figure, readings, threshold):
    """([DistrictFigure] in `readings`' order, [footnote]) of one headline `figure`."""
    metric = figure.metric
    is_count = metric.unit == Unit.COUNT
    cells = {
        reading.pk: Cell(str(metric.pk), figure.period, str(reading.district_id), EVERYONE,
                         reading.approved_value, n=students(metric, reading), is_count=is_count,
                         group_is_total=True)
        for reading in readings
    }
    county_n = figure.size
    if county_n is None and not is_count:
        # The districts lie within the county, so it has at least their students.
        known = [c.size for c in cells.values() if c.size is not None]
        county_n = sum(known) if known else None
    total = Cell(str(metric.pk), figure.period, COUNTY, EVERYONE, figure.value, n=county_n,
                 is_count=is_count, district_is_total=True, group_is_total=True)
    decisions = suppress([total, *cells.values()], threshold=threshold)
    shown, notes = [], []
    for reading in readings:
        decision = decisions[cells[reading.pk].key]
        text = format_figure(reading.approved_value, metric.unit,
                             qualifier=reading.approved_qualifier, scale_max=metric.scale_max)
        shown.append(DistrictFigure(
            reading.district.name,
            float(reading.approved_value) if decision.published else None,
            public_text(decision, text),
        ))
        if decision.footnote and decision.footnote not in notes:
            notes.append(decision.footnote)
    return shown, notes
