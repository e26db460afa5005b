from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from metrics import bulk, synthetic
from metrics.aggregates import queue, rebuild
from metrics.models import District, Metric, MetricSnapshot, Reading, Status, StudentGroup
from metrics.periods import Period
from metrics.status import CHANGES
from pillars.models import StrategicPlan

TINY = {"slug": "synthetic-test", "metrics": 3, "districts": 2, "groups": 2, "months": 3,
        "seed": 7}


def _readings(plan):
    return Reading.objects.filter(metric__plan=plan)


@pytest.mark.django_db
def test_tiny_plan_has_one_reading_per_metric_district_group_and_month():
    result = synthetic.generate(**TINY)
    plan = result.plan
    # 3 metrics with readings plus one without any: "no data" must occur too.
    assert Metric.objects.filter(plan=plan).count() == 4 == result.metrics
    assert result.readings == 3 * 2 * 2 * 3 == _readings(plan).count()
    assert set(_readings(plan).values_list("district", flat=True)) == {
        District.objects.total().pk, District.objects.get(code="synthetic-district-001").pk,
    }
    assert set(_readings(plan).values_list("student_group", flat=True)) == {
        StudentGroup.objects.total().pk, StudentGroup.objects.get(code="synthetic-group-001").pk,
    }
    assert plan.pillars.count() == 5
    assert "4 metrics, 36 readings" in result.summary()


@pytest.mark.django_db
def test_plan_is_marked_synthetic_and_never_taken_for_a_real_one():
    plan = synthetic.generate(**TINY, name="Load test").plan
    assert plan.is_synthetic
    assert plan.name == "Load test (synthetic data)"
    assert plan.organisation == "Synthetic County Office of Education"
    assert not StrategicPlan.objects.real().filter(pk=plan.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("months", [1, 12, 13, 36])
def test_every_period_lies_inside_the_plan(months):
    plan = synthetic.generate(**{**TINY, "months": months}).plan
    periods = set(_readings(plan).values_list("period", "period_start", "period_end"))
    assert len(periods) == months
    for text, start, end in periods:
        period = Period.parse(text)
        assert (period.start, period.end) == (start, end)
        assert period.within(plan.starts_on, plan.ends_on), text
    for metric in Metric.objects.filter(plan=plan):
        for text in (metric.baseline_period, metric.target_period):
            if text:
                metric.validate_period(text)  # raises when outside the plan


@pytest.mark.django_db
def test_values_are_allowed_by_their_unit_and_depend_only_on_the_seed():
    plan = synthetic.generate(**TINY).plan
    first = list(_readings(plan).order_by("metric__code", "period", "district__code",
                                          "student_group__code")
                 .values_list("metric__code", "period", "district__code",
                              "student_group__code", "value"))
    for reading in _readings(plan).select_related("metric"):
        reading.metric.validate_value(reading.value)
    plan = synthetic.generate(**TINY, replace=True).plan
    again = list(_readings(plan).order_by("metric__code", "period", "district__code",
                                          "student_group__code")
                 .values_list("metric__code", "period", "district__code",
                              "student_group__code", "value"))
    assert again == first


@pytest.mark.django_db
def test_readings_are_loaded_without_history():
    plan = synthetic.generate(**TINY).plan
    assert not Reading.history.filter(metric_id__in=plan.metrics.values("pk")).exists()


@pytest.mark.django_db
def test_lacoe_plan_is_untouched(lacoe_plan):
    lacoe_readings = Reading.objects.filter(metric__plan=lacoe_plan)
    before = sorted(lacoe_readings.values_list("pk", "value", "updated_at"))
    lacoe_metrics = set(lacoe_plan.metrics.values_list("pk", "code"))

    plan = synthetic.generate(**TINY).plan
    synthetic.generate(**TINY, replace=True)

    assert sorted(lacoe_readings.values_list("pk", "value", "updated_at")) == before
    assert set(lacoe_plan.metrics.values_list("pk", "code")) == lacoe_metrics
    plan = StrategicPlan.objects.get(slug=TINY["slug"])
    assert not Metric.objects.filter(plan=lacoe_plan, code__startswith="syn-").exists()
    assert not Reading.objects.filter(metric__plan=lacoe_plan, district__code__startswith=(
        "synthetic-")).exists()
    assert _readings(plan).count() == 36


@pytest.mark.django_db
def test_a_real_plan_is_never_replaced(lacoe_plan):
    with pytest.raises(synthetic.SyntheticError, match="real data"):
        synthetic.generate(**{**TINY, "slug": lacoe_plan.slug}, replace=True)
    assert not lacoe_plan.metrics.filter(code__startswith="syn-").exists()


@pytest.mark.django_db
def test_replace_regenerates_without_duplicates():
    synthetic.generate(**TINY)
    with pytest.raises(synthetic.SyntheticError, match="--replace"):
        synthetic.generate(**TINY)
    result = synthetic.generate(**TINY, replace=True)
    assert StrategicPlan.objects.filter(slug=TINY["slug"]).count() == 1
    assert Metric.objects.filter(plan=result.plan).count() == 4
    assert _readings(result.plan).count() == 36
    assert District.objects.filter(code__startswith="synthetic-district-").count() == 1


@pytest.mark.django_db
def test_replace_queues_one_full_rebuild_not_one_per_deleted_metric(
    django_capture_on_commit_callbacks, monkeypatch
):
    synthetic.generate(**TINY)
    sent = []
    monkeypatch.setattr(queue, "_send", lambda name, **options: sent.append(name) or True)
    with django_capture_on_commit_callbacks(execute=True):
        synthetic.generate(**TINY, replace=True)
    assert sent == [queue.REBUILD_ALL]  # the deleted metrics' roll-ups, once


@pytest.mark.django_db
def test_county_wide_statuses_cover_every_kind_after_a_rebuild():
    plan = synthetic.generate(**{**TINY, "metrics": 5}).plan
    rebuild()
    snapshots = MetricSnapshot.objects.county_wide().filter(metric__plan=plan)
    assert snapshots.count() == 6
    statuses = set(snapshots.values_list("status", flat=True))
    assert {Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.NO_DATA} <= statuses
    # The metric without a target is judged by its change against the month before.
    untargeted = snapshots.get(metric__target_value__isnull=True, latest_value__isnull=False)
    assert untargeted.status in CHANGES


@pytest.mark.django_db
def test_bulk_mode_keeps_every_foreign_key(monkeypatch):
    # The big-load path (foreign keys off during COPY) only runs on PostgreSQL;
    # forcing it on a tiny load proves the keys come back.
    monkeypatch.setattr(bulk.load, "BULK_MODE_MIN_ROWS", 0)
    before = _foreign_keys()
    messages = []
    plan = synthetic.generate(**TINY, log=messages.append).plan
    assert _foreign_keys() == before
    if connection.vendor == "postgresql":
        assert any("foreign keys back and validated" in m for m in messages), messages
    assert _readings(plan).count() == 36


def _foreign_keys():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Reading._meta.db_table)
    return {(name, info["foreign_key"]) for name, info in constraints.items()
            if info["foreign_key"]}


@pytest.mark.django_db
def test_command_prints_a_summary_and_refuses_to_overwrite():
    args = ["--slug", "synthetic-cmd", "--metrics", "2", "--districts", "2", "--groups", "1",
            "--months", "2"]
    out = StringIO()
    call_command("generate_synthetic", *args, stdout=out)
    assert "Synthetic plan synthetic-cmd: 3 metrics, 8 readings in" in out.getvalue()
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_synthetic", *args, stdout=StringIO())
    call_command("generate_synthetic", *args, "--replace", "--rebuild", stdout=StringIO())
    assert MetricSnapshot.objects.county_wide().filter(
        metric__plan__slug="synthetic-cmd").count() == 3
