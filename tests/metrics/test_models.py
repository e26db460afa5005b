import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from metrics.models import District, Metric, Reading, StudentGroup
from metrics.services import reading_record

from ..factories import (
    GoalFactory,
    MetricFactory,
    PillarFactory,
    PriorityAreaFactory,
    ReadingFactory,
)


def _bypass(sql, params):
    """Write with raw SQL, as a script or another program would: no model layer at all."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_one_reading_per_metric_period_district_group_even_without_the_model_layer():
    reading = ReadingFactory()
    with pytest.raises(IntegrityError):
        Reading.objects.bulk_create([Reading(
            metric=reading.metric, period="2023-24", period_start=reading.period_start,
            period_end=reading.period_end, district=reading.district,
            student_group=reading.student_group, value=Decimal(5),
        )])


@pytest.mark.django_db
def test_county_wide_and_all_students_are_real_rows_and_unique():
    assert District.objects.total().name.startswith("All districts")
    assert StudentGroup.objects.total().name == "All students"
    with pytest.raises(IntegrityError), transaction.atomic():
        District.objects.create(code="also-all", name="Also all", is_total=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [("period", "FY2024"), ("qualifier", "lots"), ("value", None), ("period_end", "2020-01-01")],
)
def test_database_refuses_what_it_can_check_without_the_metric(column, value):
    reading = ReadingFactory()
    table = Reading._meta.db_table
    with pytest.raises(IntegrityError):
        _bypass(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, reading.pk])


@pytest.mark.django_db(transaction=True)
def test_database_refuses_a_reading_of_no_metric():
    reading = ReadingFactory()
    table = Reading._meta.db_table
    with pytest.raises(IntegrityError):
        # Foreign keys are checked at commit (deferred), which this outermost block does.
        _bypass(f"UPDATE {table} SET metric_id = %s WHERE id = %s", [987654, reading.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"), [("unit", "furlongs"), ("direction", "sideways"), ("frequency", "hourly")]
)
def test_database_refuses_unknown_choices_on_metrics(column, value):
    metric = MetricFactory()
    with pytest.raises(IntegrityError):
        _bypass(f"UPDATE {Metric._meta.db_table} SET {column} = %s WHERE id = %s",
                [value, metric.pk])


@pytest.mark.django_db
def test_database_refuses_a_goal_without_its_priority_area():
    metric = MetricFactory()
    goal = GoalFactory()
    with pytest.raises(IntegrityError):
        _bypass(f"UPDATE {Metric._meta.db_table} SET goal_id = %s WHERE id = %s",
                [goal.pk, metric.pk])


@pytest.mark.django_db
def test_metric_levels_must_agree():
    goal = GoalFactory()
    other_area = PriorityAreaFactory(pillar=goal.priority_area.pillar)
    metric = MetricFactory(pillar=goal.priority_area.pillar, priority_area=other_area, goal=goal)
    with pytest.raises(ValidationError) as exc:
        metric.full_clean()
    assert "goal" in exc.value.message_dict


@pytest.mark.django_db
def test_level_is_the_most_specific_place():
    goal = GoalFactory()
    pillar = goal.priority_area.pillar
    assert MetricFactory(pillar=pillar, priority_area=goal.priority_area, goal=goal).level == "goal"
    assert MetricFactory(pillar=pillar, priority_area=goal.priority_area).level == "priority_area"
    assert MetricFactory(pillar=pillar).level == "pillar"
    assert MetricFactory(pillar=None, plan=pillar.plan).level == "plan"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("unit", "value", "field_message"),
    [
        ("count", "-3", "whole number of 0 or more"),
        ("percent", "140", "from 0 to 100"),
        ("currency", "12.345", "at most 2 decimal places"),
    ],
)
def test_reading_clean_names_the_value_field(unit, value, field_message):
    metric = MetricFactory(unit=unit)
    reading = Reading(metric=metric, period="2023-24", value=Decimal(value),
                      district=District.objects.total(), student_group=StudentGroup.objects.total())
    with pytest.raises(ValidationError) as exc:
        reading.full_clean()
    assert field_message in exc.value.message_dict["value"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["2021-22", "2025-26", "2025-07", "2022-06"])
def test_period_must_lie_inside_the_plan(period):
    metric = MetricFactory()  # plan 2022-25: 1 July 2022 to 30 June 2025
    with pytest.raises(ValidationError) as exc:
        reading_record(metric=metric, period=period, value="1")
    assert "outside the plan 2022-25" in exc.value.message_dict["period"][0]
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_reading_record_adds_then_corrects_in_place():
    metric = MetricFactory(unit="percent")
    first = reading_record(metric=metric, period="2023-24 Q1", value="45.5")
    assert (first.period_start, first.period_end) == (
        datetime.date(2023, 7, 1), datetime.date(2023, 9, 30))
    second = reading_record(metric=metric, period="2023-24 Q1", value="54.3")
    assert first.pk == second.pk
    assert Reading.objects.get().value == Decimal("54.3")
    assert Reading.objects.get().history.count() == 2


@pytest.mark.django_db
def test_a_refused_correction_keeps_the_stored_value():
    metric = MetricFactory(unit="percent")
    reading_record(metric=metric, period="2023-24", value="45.5")
    with pytest.raises(ValidationError):
        reading_record(metric=metric, period="2023-24", value="245.5")
    assert Reading.objects.get().value == Decimal("45.5")


@pytest.mark.django_db
def test_rating_needs_a_scale_and_ratings_stay_inside_it():
    metric = MetricFactory.build(pillar=PillarFactory(), unit="rating", scale_max=None)
    with pytest.raises(ValidationError) as exc:
        metric.full_clean()
    assert "scale" in exc.value.message_dict["scale_max"][0]
    metric.scale_max = Decimal(5)
    metric.full_clean()
    metric.save()
    with pytest.raises(ValidationError):
        reading_record(metric=metric, period="2023-24", value="5.1")


@pytest.mark.django_db
def test_target_is_validated_with_the_unit_and_the_plan():
    metric = MetricFactory(unit="percent", target_value=Decimal(120), target_period="2030-31")
    with pytest.raises(ValidationError) as exc:
        metric.full_clean()
    assert "from 0 to 100" in exc.value.message_dict["target_value"][0]
    assert "outside the plan" in exc.value.message_dict["target_period"][0]


@pytest.mark.django_db
def test_changing_a_period_moves_its_dates():
    reading = ReadingFactory(period="2023-24")
    reading.period = "2024-03"
    reading.save()
    reading.refresh_from_db()
    assert reading.period_start == datetime.date(2024, 3, 1)


@pytest.mark.django_db
def test_headline_needs_a_label():
    pillar = PillarFactory()
    metric = MetricFactory.build(pillar=pillar, is_headline=True, headline_label="")
    with pytest.raises(ValidationError) as exc:
        metric.full_clean()
    assert "headline_label" in exc.value.message_dict


@pytest.mark.django_db
def test_database_keeps_one_current_plan_and_a_change_band_of_zero_or_more():
    from ..factories import PlanFactory

    PlanFactory(is_current=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanFactory(is_current=True)
    metric = MetricFactory()
    with pytest.raises(IntegrityError):
        _bypass(f"UPDATE {Metric._meta.db_table} SET change_band = %s WHERE id = %s",
                [-1, metric.pk])


@pytest.mark.django_db
def test_total_rows_belong_to_every_plan_the_others_to_their_own():
    from ..factories import PlanFactory

    real, demo = PlanFactory(), PlanFactory(is_synthetic=True)
    north = District.objects.create(code="north", name="North")
    north.plans.add(real)
    assert set(District.objects.for_plan(real)) == {District.objects.total(), north}
    assert list(District.objects.for_plan(demo)) == [District.objects.total()]
    assert list(StudentGroup.objects.own(real)) == []
