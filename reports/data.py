"""The staff data export: the approved readings behind the annual report, whole.

`build_data` gives every approved reading (every district and student group) of the
year and the year before in the shared row format (metrics/rowformat.py), for the CSV
and XLSX that the import reads back. It is the one export that does not go through the
publication rule (reports/publication.py): it is for staff, holds the values the public
figures suppress, and is marked internal (reports.render.spreadsheets), so export ->
import still round-trips.
"""

from dataclasses import dataclass

from metrics.periods import Period
from metrics.rowformat import reading_row
from metrics.status import display

from . import selectors
from .report import by_metric, judge_as_of, report_title


@dataclass
class Data:
    """The approved readings behind the report: rows of the shared row format
    (metrics/rowformat.py) of the year and the prior year, for CSV and XLSX."""

    plan: object
    school_year: str
    prior_year: str
    title: str
    pillars: list
    rows: list


def build_data(plan, school_year, pillars=None, *, progress=None):
    """The rows of `plan`'s plan-wide metrics and of `pillars` (all when None) for
    `school_year` and the year before, each with its metric's status at the year's
    end; `progress(done, total)` follows the pillars."""
    year = Period.parse(school_year)
    prior = year.previous()
    chosen = list(plan.pillars.all()) if pillars is None else list(pillars)
    grouped = by_metric(selectors.readings_until(plan, chosen, year))
    words = {
        m.pk: display(judge_as_of(m, grouped.get(m.pk, [])).status).word
        for m in selectors.report_metrics(plan, chosen)
    }
    rows, seen = [], set()
    for reading in selectors.export_rows(plan, [prior, year], None if pillars is None else chosen):
        pillar_id = reading.metric.pillar_id
        if progress and pillar_id is not None and pillar_id not in seen:
            seen.add(pillar_id)
            progress(len(seen) - 1, len(chosen))
        rows.append(reading_row(reading, status=words.get(reading.metric_id, "")))
    if progress:
        progress(len(chosen), len(chosen))
    return Data(plan=plan, school_year=school_year, prior_year=prior.text,
                title=report_title(plan, school_year), pillars=chosen, rows=rows)
