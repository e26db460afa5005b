"""Loading the LACOE fixtures (metrics/loading.py): published figures are approved as of
their report's publication, and loading again leaves unchanged readings as they were."""

import datetime

import pytest
from django.utils import timezone

from metrics.loading import LoadError, load_directory, load_figures
from metrics.models import Reading
from metrics.services import reading_record

from ..conftest import LACOE_FIXTURES
from ..factories import MetricFactory, PlanFactory

pytestmark = pytest.mark.django_db

# LACOE released the 2023-24 Annual Report on 18 November 2024 (the figures file's header
# cites the source); noon, Los Angeles time, by the loader's rule.
PUBLISHED = timezone.make_aware(datetime.datetime(2024, 11, 18, 12),
                                timezone.get_default_timezone())


def _state(plan):
    return sorted(Reading.objects.filter(metric__plan=plan).values_list(
        "pk", "version", "updated_at", "approved_at", "approved_value"))


def test_figures_of_the_report_are_approved_when_it_was_published(lacoe_plan):
    readings = Reading.objects.filter(metric__plan=lacoe_plan)
    assert readings.count() == 133
    assert set(readings.values_list("state", "approved_at", "approved_by")) == {
        ("approved", PUBLISHED, None)}


def test_loading_again_leaves_unchanged_readings_as_they_were(lacoe_plan, after_the_plan):
    before = _state(lacoe_plan)
    history = Reading.history.count()
    load_directory(LACOE_FIXTURES)
    assert _state(lacoe_plan) == before
    assert Reading.history.count() == history


def test_a_reading_loaded_before_its_publication_time_was_known_gets_it_once(lacoe_plan):
    reading = Reading.objects.filter(metric__plan=lacoe_plan).order_by("pk").first()
    loaded = timezone.make_aware(datetime.datetime(2026, 11, 30, 9))
    Reading.objects.filter(pk=reading.pk).update(approved_at=loaded)  # as an older load left it
    load_directory(LACOE_FIXTURES)
    reading.refresh_from_db()
    assert (reading.approved_at, reading.approved_value) == (PUBLISHED, reading.value)
    again = _state(lacoe_plan)
    load_directory(LACOE_FIXTURES)
    assert _state(lacoe_plan) == again


def _figures(plan, **header):
    return {"plan": plan.slug, **header, "metrics": [{
        "code": "served", "name": "Students served", "unit": "count", "pillar": None,
        "priority_area": None, "goal": None,
        "readings": [{"period": "2023-24", "value": 5}, {"period": "2024-03", "value": 4}],
    }]}


def test_a_figures_file_without_a_publication_date_is_dated_by_each_period_end(db):
    plan = PlanFactory()
    load_figures(_figures(plan))
    noon = {period: timezone.localtime(at) for period, at in
            Reading.objects.values_list("period", "approved_at")}
    assert {p: (at.date(), at.hour) for p, at in noon.items()} == {
        "2023-24": (datetime.date(2024, 6, 30), 12), "2024-03": (datetime.date(2024, 3, 31), 12)}


def test_a_publication_date_that_is_not_a_date_is_refused_with_its_place(db):
    plan = PlanFactory()
    with pytest.raises(LoadError, match="figures: published_on must be a date written"):
        load_figures(_figures(plan, published_on="18 November 2024"))
    assert not Reading.objects.exists()


def test_only_the_system_records_an_approval_made_earlier(users):
    metric = MetricFactory()
    with pytest.raises(ValueError, match="Only the system"):
        reading_record(metric=metric, period="2023-24", value="5", user=users["administrator"],
                       approved_at=PUBLISHED)
