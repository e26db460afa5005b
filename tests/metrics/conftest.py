"""Fixtures the metrics tests share: a small plan with readings and its aggregates."""

from decimal import Decimal

import pytest

from metrics import aggregates
from metrics.models import District, StudentGroup

from ..factories import GoalFactory, MetricFactory, ReadingFactory


@pytest.fixture
def plan_data(db):
    """Two metrics under one goal, readings county-wide and by district and group."""
    goal = GoalFactory()
    pillar = goal.priority_area.pillar
    district = District.objects.create(code="d1", name="District one")
    group = StudentGroup.objects.create(code="g1", name="Group one")
    rate = MetricFactory(pillar=pillar, priority_area=goal.priority_area, goal=goal,
                         unit="percent", target_value=Decimal(80), target_period="2024-25",
                         baseline_value=Decimal(40), baseline_period="2021-22")
    count = MetricFactory(pillar=pillar)
    for period, value in (("2022-23", 50), ("2023-24", 67)):
        ReadingFactory(metric=rate, period=period, value=value)
    ReadingFactory(metric=rate, period="2023-24", value=20, district=district)
    ReadingFactory(metric=rate, period="2023-24", value=90, student_group=group)
    ReadingFactory(metric=count, period="2023-24", value=5)
    aggregates.rebuild()
    return {"rate": rate, "count": count, "district": district, "group": group, "goal": goal}


@pytest.fixture
def owned(users):
    """A metric owned by `steward` in a pillar `lead` leads."""
    metric = MetricFactory(code="rate", name="Newsletter open rate", unit="percent")
    metric.owners.add(users["steward"])
    metric.pillar.leads.add(users["lead"])
    aggregates.rebuild()
    return metric


@pytest.fixture
def lacoe_reach(lacoe_plan, after_the_plan, users):
    """LACOE's plan after its end: pillar 4's metrics kept by `steward`, led by `lead`;
    `p4-facebook-reach`, a derived, approximate count quoted from the report."""
    from metrics.models import Metric

    metric = Metric.objects.select_related("plan", "pillar").get(
        plan=lacoe_plan, code="p4-facebook-reach")
    for kept in Metric.objects.filter(pillar=metric.pillar):
        kept.owners.add(users["steward"])
    metric.pillar.leads.add(users["lead"])
    aggregates.rebuild()
    return metric


@pytest.fixture
def english_afterwards(settings):
    """A request's language stays active in its thread: give English back after a
    Spanish page (tests of Spanish pages use it)."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
