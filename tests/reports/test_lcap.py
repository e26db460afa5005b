"""The LCAP "Measuring and Reporting Results" tables, on LACOE's plan (no baselines or
targets) and on a synthetic plan that has both; as Word and as XLSX."""

import io

import pytest
from docx import Document
from openpyxl import load_workbook

from metrics import synthetic
from metrics.models import Reading
from metrics.periods import Period
from metrics.units import format_change
from reports import lcap, services

YEAR = "2023-24"
# The state template's headers (reports/lcap.py cites it), in its order.
TEMPLATE = ["Metric #", "Metric", "Baseline", "Year 1 Outcome", "Year 2 Outcome",
            "Target for Year 3 Outcome", "Current Difference from Baseline"]


def _county(metric, year):
    period = Period.parse(year)
    return (Reading.objects.filter(metric=metric, state="approved", district__is_total=True,
                                   student_group__is_total=True,
                                   period_start__gte=period.start, period_end__lte=period.end)
            .order_by("period_end").last())


def test_the_columns_are_the_state_templates():
    assert list(lcap.COLUMNS) == TEMPLATE


def test_lacoe_tables_say_there_is_no_baseline_or_target(lacoe):
    results = lcap.build_lcap(lacoe, YEAR)
    assert results.years == ("2022-23", "2023-24", "2024-25")
    goals = {m.goal_id for m in lacoe.metrics.filter(is_context=False, goal__isnull=False)}
    assert len([t for t in results.tables if not t.number.endswith(".0")]) == len(goals)
    rows = {row[1]: row for table in results.tables for row in table.rows}
    assert len(rows) == lacoe.metrics.filter(is_context=False, pillar__isnull=False).count()
    for metric in lacoe.metrics.filter(is_context=False, pillar__isnull=False):
        row = rows[metric.name]
        assert row[2] == lcap.NO_BASELINE and row[5] == lcap.NO_TARGET
        assert row[6] == "No baseline to compare with"
        for column, year in ((3, "2022-23"), (4, "2023-24")):
            reading = _county(metric, year)
            expected = (f"{reading.display_approved_value} ({reading.period})" if reading
                        else f"No approved value for {year}")
            assert row[column] == expected, (metric.code, year)
    # Metric numbers run within their goal's number.
    first = results.tables[0]
    assert first.rows[0][0] == f"{first.number}.1"


def test_as_of_an_earlier_year_the_later_outcome_is_not_yet(lacoe):
    row = lcap.build_lcap(lacoe, "2022-23").tables[0].rows[0]
    assert row[4] == "Not yet: 2023-24 is after 2022-23"


@pytest.fixture
def demo(db):
    plan = synthetic.generate(slug="lcap-demo", metrics=4, districts=1, groups=1, months=36,
                              seed=5).plan
    # With one district, the rule hides most county figures (each would give the district
    # back: tests/reports/test_publication.py); published here, so that the rows' sums
    # can be checked.
    Reading.objects.filter(metric__plan=plan).update(publication="published")
    return plan


def test_demo_plan_rows_hold_baseline_outcomes_target_and_difference(demo):
    year = demo.school_years[1]
    results = lcap.build_lcap(demo, year)
    rows = {row[1]: row for table in results.tables for row in table.rows}
    checked = 0
    for metric in demo.metrics.filter(is_context=False, baseline_value__isnull=False):
        row = rows[metric.name]
        assert row[2] == f"{metric.format(metric.baseline_value)} ({metric.baseline_period})"
        y1, y2 = _county(metric, demo.school_years[0]), _county(metric, year)
        if y2 is None:
            continue  # a metric designed to have no data
        assert row[3] == (f"{y1.display_approved_value} ({y1.period})" if y1
                          else f"No approved value for {demo.school_years[0]}")
        assert row[4] == f"{y2.display_approved_value} ({y2.period})"
        if metric.target_value is not None:
            assert row[5] == f"{metric.format(metric.target_value)} ({metric.target_period})"
        change = y2.approved_value - metric.baseline_value
        assert row[6].startswith(format_change(change, metric.unit, scale_max=metric.scale_max))
        assert f"({y2.period} against baseline {metric.baseline_period})" in row[6]
        better = (change > 0) == (metric.direction == "higher")
        assert ("better" if better else "worse") in row[6] or change == 0
        checked += 1
    assert checked
    assert results.notes == []  # every outcome published: no mark to explain


def test_word_and_excel_files_hold_one_table_per_goal(demo, lacoe):
    results = lcap.build_lcap(lacoe, YEAR)
    document = Document(io.BytesIO(services.produce(lacoe, YEAR, "lcap-docx")))
    assert len(document.tables) == len(results.tables)
    for table, expected in zip(document.tables, results.tables, strict=True):
        assert [c.text for c in table.rows[0].cells] == TEMPLATE
        assert [c.text for c in table.rows[1].cells] == list(expected.rows[0])
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == [t.title for t in results.tables]

    book = load_workbook(io.BytesIO(services.produce(demo, demo.school_years[1], "lcap-xlsx")))
    sheet = book["LCAP results"]
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    heads = [row for row in values if list(row[:7]) == TEMPLATE]
    assert len(heads) == len(lcap.build_lcap(demo, demo.school_years[1]).tables)
    assert values[1][0] == "Synthetic data"
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row
               if cell.value is not None)


def test_the_lcap_formats_run_from_the_command_and_are_named_so(lacoe, tmp_path):
    from django.core.management import call_command

    for fmt in ("lcap-docx", "lcap-xlsx"):
        out = tmp_path / f"lcap.{fmt}"
        call_command("export_annual_report", "--year", YEAR, "--format", fmt, "--output",
                     str(out), "--plan", lacoe.slug)
        assert out.stat().st_size > 1000
    assert services.export_filename(lacoe, YEAR, "lcap-xlsx", [], True) == (
        f"{lacoe.slug}-lcap-results-{YEAR}.xlsx")
