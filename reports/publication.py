"""What of the report's figures may be published (issue 16): one rule for every format.

The one decision the page, the PDF, Word, PowerPoint and the LCAP tables all read: the
publication rule (metrics.privacy.suppress) as the worker decided and stored it on each
reading (`Reading.publication`, metrics.privacy.decide: every district and student group
of the metric's period in one table, so the report, the public pages and the API hide
the same figures and none can be recombined with another). It covers the county-wide
figures as well as a headline metric's districts: on the synthetic demo plan most
county-wide readings are complementary-suppressed, so that the county total and the
published districts cannot give back a suppressed district.

A figure not PUBLISHED (suppressed, or not decided yet: fail closed) is written as the
mark ("*", never 0 or blank) with its footnote; its value is never handed on to a
renderer. A change is written only when both years' figures are published
(privacy.change_shown), and a status judged on a withheld figure is withheld with it
(metrics.public.public_status: On track beside a "*" would bound it against the
target). The staff data export (CSV/XLSX that the import reads) does not come here: it
stays whole and is marked internal (reports.render.spreadsheets).
"""

from dataclasses import dataclass
from decimal import Decimal

from metrics.models import Publication
from metrics.privacy import MARK, change_shown, publication_footnote
from metrics.privacy.decide import students as rule_students
from metrics.public import public_status
from metrics.units import format_change, format_figure


@dataclass(frozen=True)
class Published:
    """One approved reading as the report may publish it."""

    value: Decimal | None  # None when not published: nothing to draw or compare
    text: str  # the figure as published ("*" when not)
    footnote: str  # what the "*" points to ("" when published)

    @property
    def published(self):
        return self.value is not None


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


def published(metric, reading, threshold):
    """`reading` (approved) of `metric` as the report may publish it."""
    if reading.publication != Publication.PUBLISHED:
        return Published(None, MARK, publication_footnote(reading.publication, threshold))
    return Published(reading.approved_value, format_figure(
        reading.approved_value, metric.unit, qualifier=reading.approved_qualifier,
        scale_max=metric.scale_max), "")


def change_text(metric, now, before):
    """The change from `before` to `now` (Published), "" unless both are published."""
    if not change_shown(now, before):
        return ""
    return format_change(now.value - before.value, metric.unit, scale_max=metric.scale_max)


def status(judged, latest):
    """The status the report may print of one judged on the `latest` reading (None when
    there is none): metrics.public.public_status."""
    return public_status(judged, latest is not None,
                         latest.publication if latest is not None else None)


def footnotes(figures):
    """The distinct footnotes of `figures` (anything with `footnote` or `notes`), in
    order."""
    found = []
    for figure in figures:
        for note in getattr(figure, "notes", None) or [getattr(figure, "footnote", "")]:
            if note and note not in found:
                found.append(note)
    return found


def district_figures(figure, readings, threshold):
    """([DistrictFigure] in `readings`' order, [footnote]) of one headline `figure`."""
    shown = [published(figure.metric, reading, threshold) for reading in readings]
    return ([DistrictFigure(reading.district.name,
                            float(p.value) if p.published else None, p.text)
             for reading, p in zip(readings, shown, strict=True)], footnotes(shown))
