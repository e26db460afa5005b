"""What the dashboards say of their data (freshness, latest period, the report's year)
is read from the aggregates the rebuild keeps, never from the readings: the guide's rule
that pages never aggregate raw readings on request."""

import importlib

import pytest
from django.db import connection
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext

from metrics import selectors
from metrics.aggregates import rebuild
from metrics.models import MetricSnapshot, Reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def lacoe(lacoe_plan, after_the_plan):
    rebuild()
    return lacoe_plan


READINGS = f'"{Reading._meta.db_table}"'  # as Django quotes it: not a longer table's name


def _reads(call):
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("name", ["pillars_last_approved", "latest_approved_period",
                                  "newest_approved_period_end"])
def test_what_the_pages_say_of_their_data_reads_no_reading_row(lacoe, name):
    result, sqls = _reads(lambda: getattr(selectors, name)(lacoe))
    assert result  # something to say: LACOE's plan has approved figures
    assert len(sqls) == 1
    assert READINGS not in sqls[0]
    assert MetricSnapshot._meta.db_table in sqls[0]


def test_a_pillars_latest_period_reads_no_reading_row(lacoe):
    pillar = lacoe.pillars.order_by("order").first()
    period, sqls = _reads(lambda: selectors.latest_approved_period(lacoe, pillar))
    assert period
    assert len(sqls) == 1 and READINGS not in sqls[0]


def test_the_rebuild_keeps_when_each_county_wide_figure_was_last_approved(lacoe):
    """The rule the selectors relied on, now the rebuild's: the newest approval time (the
    save time when a reading has none) of the metric's own approved county-wide readings."""
    expected = dict(
        selectors.county_wide_readings().filter(metric__plan=lacoe, approved_value__isnull=False)
        .order_by().values("metric").annotate(last=Max(Coalesce("approved_at", "updated_at")))
        .values_list("metric", "last")
    )
    kept = dict(
        MetricSnapshot.objects.county_wide().filter(metric__plan=lacoe)
        .exclude(last_approved_at=None).values_list("metric", "last_approved_at")
    )
    assert expected and kept == expected


def test_the_migration_fills_the_rows_built_before_it_as_the_rebuild_does(lacoe):
    backfill = importlib.import_module("metrics.migrations.0019_snapshot_last_approved").BACKFILL
    built = dict(MetricSnapshot.objects.values_list("pk", "last_approved_at"))
    MetricSnapshot.objects.update(last_approved_at=None)
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    assert any(built.values())
    assert dict(MetricSnapshot.objects.values_list("pk", "last_approved_at")) == built
