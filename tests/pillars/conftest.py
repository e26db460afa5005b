import pytest

from metrics.aggregates import rebuild
from metrics.services import reading_record

from ..factories import GoalFactory, MetricFactory


@pytest.fixture
def plan_with_figures(db):
    goal = GoalFactory(statement="Make measurable gains in literacy.")
    pillar = goal.priority_area.pillar
    headline = MetricFactory(
        pillar=pillar, priority_area=goal.priority_area, goal=goal, name="Educators trained",
        is_headline=True, headline_label="Educators Trained in Structured Literacy",
        headline_order=1,
    )
    reading_record(
        metric=headline, period="2023-24", value="6000", qualifier="more_than", approve=True
    )
    MetricFactory(pillar=pillar, name="Untouched metric")
    rebuild()
    return pillar.plan, pillar, headline


@pytest.fixture
def cache_down(monkeypatch):
    """The cache (Redis) unreachable: every read and write raises, as redis-py does."""
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
