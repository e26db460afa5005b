"""Incremental rebuilds equal a full rebuild, whatever the changes (property-based).

Random readings are added, corrected, approved, returned, left pending or deleted on
random slices (county-wide, by district, by group) of random metrics (one continuing
another: its trend shows the other's readings), percents with or without their counts,
and targets move; so all-districts figures are computed from the districts' where no one
reported one (aggregates/county.py) and every slice is judged (aggregates/slices.py);
after each change the rebuild a write asks for runs (the slice, or the whole metric for a
target). The aggregates then must equal what a full rebuild gives, on SQLite and on
PostgreSQL (run the suite with DATABASE_URL pointing at PostgreSQL). The number of examples
comes from tests/conftest.py (`fuzz_budget`), each counted by `fuzz_case`."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import aggregates
from metrics.models import (
    District,
    MetricSnapshot,
    PendingRebuild,
    PendingSlice,
    Reading,
    ReadingState,
    Rollup,
    StudentGroup,
)

from ..conftest import fuzz_budget
from ..factories import GoalFactory, MetricFactory, PillarFactory, PlanFactory, ReadingFactory

PERIODS = ("2021-22", "2022-23", "2023-24", "2024-25", "2025-26")


class Rollback(Exception):
    """Raised to undo one example's changes (the test's database is shared)."""


@pytest.fixture
def world(db):
    goal = GoalFactory()
    area, pillar = goal.priority_area, goal.priority_area.pillar
    districts = [District.objects.total(),
                 District.objects.create(code="pd1", name="District one"),
                 District.objects.create(code="pd2", name="District two")]
    # The plans report for both districts: their figures make the all-districts ones.
    for district in districts[1:]:
        district.plans.add(goal.priority_area.pillar.plan)
    groups = [StudentGroup.objects.total(),
              StudentGroup.objects.create(code="pg1", name="Group one")]
    metrics = [
        MetricFactory(pillar=pillar, priority_area=area, goal=goal, unit="percent",
                      target_value=Decimal(80), target_period="2024-25",
                      baseline_value=Decimal(40), baseline_period="2021-22"),
        MetricFactory(pillar=pillar, priority_area=area, unit="count"),
        MetricFactory(pillar=pillar, unit="count", target_value=Decimal(10),
                      target_period="2024-25"),
    ]
    # The next plan's metric that continues the first: its trend shows the first's
    # approved county-wide readings (metrics/aggregates/continued.py).
    later = PillarFactory(plan=PlanFactory(start_year=2025, end_year=2028))
    metrics.append(MetricFactory(pillar=later, unit="percent", continues=metrics[0],
                                 baseline_value=Decimal(60), baseline_period="2023-24"))
    for metric in metrics[:2]:
        for period, value in (("2022-23", 50), ("2023-24", 60)):
            ReadingFactory(metric=metric, period=period, value=value)
        ReadingFactory(metric=metric, period="2023-24", value=20, district=districts[1])
    ReadingFactory(metric=metrics[3], period="2025-26", value=65)
    for metric in metrics[1:3]:  # counts of both districts, no county figure: a sum
        for district in districts[1:]:
            ReadingFactory(metric=metric, period="2021-22", value=7, district=district)
    later.plan.districts.add(*districts[1:])
    aggregates.rebuild()
    # Every column is compared (every_row), the students behind each figure too: the
    # counts have theirs from the start, a percent's come with its counts.
    assert MetricSnapshot.objects.filter(latest_n__isnull=False).exists()
    return {"metrics": metrics, "districts": districts, "groups": groups}


def every_row():
    """Every column of every aggregate row but the ids, in a stable order."""
    snap_fields = [f.attname for f in MetricSnapshot._meta.concrete_fields if f.name != "id"]
    roll_fields = [f.attname for f in Rollup._meta.concrete_fields if f.name != "id"]
    snapshots = list(MetricSnapshot.objects.order_by(
        "metric_id", "district_id", "student_group_id").values_list(*snap_fields))
    rollups = list(Rollup.objects.order_by(
        "level", "plan_id", "pillar_id", "priority_area_id", "goal_id").values_list(*roll_fields))
    return snapshots, rollups


change = st.tuples(
    st.sampled_from(["approve", "submit", "return", "delete", "target"]),
    st.integers(0, 3),  # metric (3 continues 0)
    st.integers(0, 2),  # district (0: all districts)
    st.integers(0, 1),  # group (0: all students)
    st.sampled_from(PERIODS),
    st.integers(0, 100),  # value (a percent's numerator, when it has counts)
    st.sampled_from([None, 100, 200]),  # a percent's denominator (None: no counts)
)


def apply(world, kind, m, d, g, period, value, denominator):
    """Make one change; return the rebuild a write would ask for (ids, kwargs)."""
    metric = world["metrics"][m]
    counts = denominator is not None and metric.unit == "percent"
    district, group = world["districts"][d], world["groups"][g]
    if kind == "target":
        metric.target_value = Decimal(value)
        metric.save()
        return [metric.pk], {}
    reading = Reading.objects.filter(
        metric=metric, district=district, student_group=group, period=period).first()
    if kind == "delete":
        if reading is not None:
            reading.delete()
    else:
        reading = reading or Reading(metric=metric, district=district, student_group=group,
                                     period=period)
        reading.value = Decimal(value)
        reading.numerator = reading.denominator = None
        if counts:  # the value the counts make (units.counts_value)
            reading.numerator, reading.denominator = value, denominator
            reading.value = (Decimal(100 * value) / denominator).quantize(Decimal("0.0001"))
        if kind == "approve":
            reading.state = ReadingState.APPROVED
            reading.approved_value = reading.value
        elif kind == "return":
            reading.state = ReadingState.RETURNED
            reading.review_comment = "check it"
        else:
            reading.state = ReadingState.SUBMITTED
        reading.save()
    return [], {"slices": [(metric.pk, district.pk, group.pk)]}


def equals_full_rebuild(world, changes, rebuild_each, drain=None, full=None):
    """Apply `changes`, each followed by `rebuild_each(ids, kwargs)` (then `drain`); the
    aggregates must equal a full rebuild's (`full`, aggregates.rebuild unless given: the
    queue's drain also decides publication, so its reference is rebuild_all). Rolled back
    afterwards."""
    try:
        with transaction.atomic():
            if full is not None:
                full()  # from the state the worker leaves: every figure decided
            for item in changes:
                rebuild_each(*apply(world, *item))
            if drain:
                drain()
            incremental = every_row()
            (full or aggregates.rebuild)()
            assert every_row() == incremental, changes
            raise Rollback
    except Rollback:
        pass


@settings(max_examples=fuzz_budget(150), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(change, min_size=1, max_size=8))
def test_incremental_rebuilds_equal_a_full_rebuild(world, fuzz_case, changes):
    fuzz_case()
    equals_full_rebuild(world, changes, lambda ids, kwargs: aggregates.rebuild(ids, **kwargs))


@settings(max_examples=fuzz_budget(100), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(change, min_size=1, max_size=6))
def test_queued_slice_requests_drain_to_a_full_rebuild(world, fuzz_case, changes):
    """Through the queue: requests coalesce (slices and whole metrics) and one
    rebuild_pending serves them all, leaving nothing pending."""
    fuzz_case()

    def drain():
        aggregates.rebuild_pending()
        assert not PendingRebuild.objects.exists()
        assert not PendingSlice.objects.exists()

    equals_full_rebuild(
        world, changes, lambda ids, kwargs: aggregates.request_rebuild(*ids, **kwargs), drain,
        full=aggregates.rebuild_all,
    )
