"""Reads of the reports app: through metrics' and pillars' selectors, school years from
metrics.periods."""

import ast
from pathlib import Path

import pytest

from metrics.aggregates import rebuild
from metrics.periods import Period
from reports import selectors

from ..factories import MetricFactory, ReadingFactory

SELECTORS = Path(selectors.__file__)


@pytest.mark.parametrize(("period", "year"), [
    ("2023-24", "2023-24"), ("2024-03", "2023-24"), ("2024-06", "2023-24"),
    ("2024-07", "2024-25"), ("2023-24 Q4", "2023-24"), ("2024-25 Q1", "2024-25"),
])
def test_the_newest_approved_reading_names_the_year_to_open(db, period, year):
    metric = MetricFactory(frequency="monthly")
    ReadingFactory(metric=metric, period="2022-23")
    ReadingFactory(metric=metric, period=period)
    ReadingFactory(metric=metric, period="2025-03", state="submitted")  # not approved
    rebuild()  # the year is read from the aggregates, as the pages read them
    assert selectors.latest_reported_year(metric.plan) == year


def test_without_readings_or_outside_the_plan_the_last_year_is_opened(db):
    metric = MetricFactory()
    assert selectors.latest_reported_year(metric.plan) == "2024-25"
    ReadingFactory(metric=metric, period="2026-27")
    rebuild()
    assert selectors.latest_reported_year(metric.plan) == "2024-25"


def test_reports_reads_other_apps_only_through_their_selectors():
    tree = ast.parse(SELECTORS.read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert not {m for m in imported if m and m.split(".")[-1] == "models"} - {"models"}
    assert "metrics" in imported and "pillars" in imported  # metrics/pillars .selectors


def test_readings_until_a_year_never_hold_a_later_one(db):
    metric = MetricFactory()
    for period in ("2022-23", "2023-24", "2024-25"):
        ReadingFactory(metric=metric, period=period)
    year = Period.parse("2023-24")
    found = selectors.readings_until(metric.plan, [metric.pillar], year)
    assert [r.period for r in found] == ["2022-23", "2023-24"]
