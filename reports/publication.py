"""What of a headline metric's district figures the report may publish (issue 16).

The one decision the page, the PDF, Word and PowerPoint all read: the publication rule
(metrics.privacy.suppress) as the worker decided and stored it on each reading
(`Reading.publication`, metrics.privacy.decide: every district and student group of the
metric's period in one table, so the report, the public pages and the API hide the same
figures and none can be recombined with another). A district not PUBLISHED (suppressed,
or not decided yet: fail closed) is written as the mark ("*", never 0 or blank) with its
footnote; its value is never handed on to a renderer.
"""

from dataclasses import dataclass

from metrics.models import Publication
from metrics.privacy import MARK, publication_footnote
from metrics.privacy.decide import students as rule_students
from metrics.units import format_figure


@dataclass(frozen=True)
class DistrictFigure:
    name: str
    value: float | None  # None when suppressed: there is nothing to draw
    text: str  # the figure as published ("*" when suppressed)

    @property
    def published(self):
        return self.value is not None


def students(metric, reading):
    """The students behind a reading for the rule (metrics.privacy.decide.students)."""
    return rule_students(metric.unit, reading)


def district_figures(figure, readings, threshold):
    """([DistrictFigure] in `readings`' order, [footnote]) of one headline `figure`."""
    metric = figure.metric
    shown, notes = [], []
    for reading in readings:
        published = reading.publication == Publication.PUBLISHED
        text = format_figure(reading.approved_value, metric.unit,
                             qualifier=reading.approved_qualifier, scale_max=metric.scale_max)
        shown.append(DistrictFigure(
            reading.district.name,
            float(reading.approved_value) if published else None,
            text if published else MARK,
        ))
        note = publication_footnote(reading.publication, threshold)
        if note and note not in notes:
            notes.append(note)
    return shown, notes
