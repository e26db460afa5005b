"""The rebuild (metrics/aggregates/rebuild.py) and the rules it applies; the queue is
tested in test_aggregates_queue.py, every write path in test_aggregates_write_paths.py."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from metrics import aggregates
from metrics.models import MetricSnapshot, Rollup, Status
from metrics.services import reading_approve, reading_record
from metrics.status import judge_metric, next_due_on, rollup_status

from ..conftest import aggregate_rows
from ..factories import MetricFactory, PillarFactory


@pytest.fixture(autouse=True)
def _in_process_rebuilds(settings):
    # The embedded default; the broker path is tested on its own below.
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _metric(**kwargs):
    defaults = {"unit": "percent", "target_value": Decimal(80), "target_period": "2024-25",
                "baseline_value": Decimal(40), "baseline_period": "2021-22"}
    return MetricFactory.build(pillar=PillarFactory(), **{**defaults, **kwargs})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("latest", "period", "kwargs", "status"),
    [
        (None, "", {}, Status.NO_DATA),
        ("50", "2023-24", {"target_value": None}, Status.BASELINE),  # one period, no target
        # 2023-24 ends 2/3 of the way from baseline (2021-22) to target (2024-25):
        # expected 2/3 of the 40 points, about 26.7 -> 66.7 is on track.
        ("67", "2023-24", {}, Status.ON_TRACK),
        ("63", "2023-24", {}, Status.AT_RISK),      # 23/26.7 = 86% of expected
        ("55", "2023-24", {}, Status.OFF_TRACK),    # 15/26.7 = 56%
        ("80", "2024-25", {}, Status.ON_TRACK),
        ("70", "2024-25", {}, Status.OFF_TRACK),    # 75% of the way at the deadline
        # Lower is better: from 40 down to 20.
        ("26", "2023-24", {"direction": "lower", "target_value": Decimal(20)}, Status.ON_TRACK),
        ("35", "2023-24", {"direction": "lower", "target_value": Decimal(20)}, Status.OFF_TRACK),
        # Thresholds are the metric's own.
        ("63", "2023-24", {"on_track_threshold": 85}, Status.ON_TRACK),
        ("55", "2023-24", {"at_risk_threshold": 50}, Status.AT_RISK),
    ],
)
def test_metric_status_rule(latest, period, kwargs, status):
    judgement = judge_metric(_metric(**kwargs), latest and Decimal(latest), period)
    assert judgement.status == status, judgement.reason


@pytest.mark.django_db
def test_status_reason_says_how_it_was_reached():
    reason = judge_metric(_metric(), Decimal(55), "2023-24").reason
    assert "Latest 55%" in reason and "target 80% by 2024-25" in reason
    assert "baseline 40% (2021-22)" in reason and "at-risk threshold of 80%" in reason


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        ({}, Status.NO_DATA),
        ({Status.NO_DATA: 3}, Status.NO_DATA),
        ({Status.BASELINE: 2, Status.NO_DATA: 1}, Status.NOT_ENOUGH_TARGETS),
        ({Status.ON_TRACK: 3, Status.AT_RISK: 1}, Status.ON_TRACK),
        ({Status.ON_TRACK: 3, Status.OFF_TRACK: 1}, Status.AT_RISK),
        ({Status.ON_TRACK: 2, Status.OFF_TRACK: 1}, Status.OFF_TRACK),
        ({Status.ON_TRACK: 1, Status.AT_RISK: 1}, Status.AT_RISK),
    ],
)
def test_rollup_rule(counts, status):
    assert rollup_status(counts)[0] == status


@pytest.mark.django_db
def test_next_due_by_frequency():
    metric = _metric(frequency="annual")
    assert next_due_on(metric, "2023-24") == datetime.date(2025, 6, 30) + datetime.timedelta(90)
    metric.frequency = "monthly"
    assert next_due_on(metric, "2024-03") == datetime.date(2024, 4, 30) + datetime.timedelta(20)
    assert next_due_on(metric, "") is None


def test_snapshots_keep_every_district_and_group_apart(plan_data):
    rate = plan_data["rate"]
    county = MetricSnapshot.objects.get(metric=rate, is_county_wide=True)
    assert (county.latest_value, county.previous_value, county.change) == (67, 50, 17)
    assert county.series == [["2022-23", "50"], ["2023-24", "67"]]
    assert county.status == Status.ON_TRACK
    by_slice = {(s.district_id, s.student_group_id): s.latest_value
                for s in MetricSnapshot.objects.filter(metric=rate)}
    # Percents are never added up across slices: each keeps its own latest value.
    assert sorted(by_slice.values()) == [20, 67, 90]


def test_rollups_say_which_metrics_made_them(plan_data):
    goal = plan_data["goal"]
    rollup = Rollup.objects.get(level="goal", goal=goal)
    assert rollup.counts == {Status.ON_TRACK: 1}
    assert rollup.metrics_by_status == {Status.ON_TRACK: [plan_data["rate"].pk]}
    pillar = Rollup.objects.get(level="pillar", pillar=goal.priority_area.pillar)
    assert pillar.counts == {Status.ON_TRACK: 1, Status.BASELINE: 1}
    assert pillar.status == Status.NOT_ENOUGH_TARGETS  # 1 of 2 tracked: fewer than min(3, 2)


def test_full_rebuild_is_idempotent(plan_data):
    first = aggregate_rows()
    aggregates.rebuild()
    assert aggregate_rows() == first


def test_incremental_rebuild_gives_the_rows_of_a_full_one(
    plan_data, django_capture_on_commit_callbacks
):
    rate = plan_data["rate"]
    with django_capture_on_commit_callbacks(execute=True):
        reading_record(metric=rate, period="2024-25", value="55", approve=True)
    incremental = aggregate_rows()
    aggregates.rebuild()
    assert aggregate_rows() == incremental
    county = MetricSnapshot.objects.get(metric=rate, is_county_wide=True)
    assert county.latest_value == 55 and county.status == Status.OFF_TRACK
    aggregates.rebuild([rate.pk])
    assert aggregate_rows() == incremental


def test_a_new_metric_has_a_dashboard_row_at_once(db):
    metric = MetricFactory()
    snapshot = MetricSnapshot.objects.get(metric=metric)
    assert snapshot.is_county_wide and snapshot.status == Status.NO_DATA


def test_rebuild_command(plan_data, capsys):
    MetricSnapshot.objects.all().delete()
    call_command("rebuild_aggregates")
    assert "Rebuilt the aggregates of 2 metrics" in capsys.readouterr().out
    assert MetricSnapshot.objects.filter(is_county_wide=True).count() == 2


def test_only_approved_values_count_and_a_pending_one_shows_beside(
    plan_data, django_capture_on_commit_callbacks
):
    rate = plan_data["rate"]
    with django_capture_on_commit_callbacks(execute=True):
        reading = reading_record(metric=rate, period="2024-25", value="79")
    county = MetricSnapshot.objects.get(metric=rate, is_county_wide=True)
    assert county.latest_value == 67 and county.status == Status.ON_TRACK  # unchanged
    assert (county.pending_period, county.pending_value) == ("2024-25", 79)
    with django_capture_on_commit_callbacks(execute=True):
        reading_approve(reading=reading, user=None)
    county = MetricSnapshot.objects.get(metric=rate, is_county_wide=True)  # rows are replaced
    assert county.latest_value == 79 and county.pending_value is None


def test_a_correction_keeps_the_approved_value_until_approved(
    plan_data, django_capture_on_commit_callbacks
):
    count = plan_data["count"]
    with django_capture_on_commit_callbacks(execute=True):
        reading_record(metric=count, period="2023-24", value="6")
    county = MetricSnapshot.objects.get(metric=count, is_county_wide=True)
    assert (county.latest_value, county.pending_value) == (5, 6)


def test_many_changed_slices_rebuild_whole_metrics_with_the_same_rows(plan_data):
    """Past SLICES_IN_ALL requested slices the rebuild takes whole metrics: same rows."""
    from metrics.aggregates.rebuild import SLICES_IN_ALL
    from metrics.models import District, StudentGroup

    districts = list(District.objects.values_list("pk", flat=True))
    groups = list(StudentGroup.objects.values_list("pk", flat=True))
    slices = [(plan_data["rate"].pk, d, g) for d in districts for g in groups]
    slices += [(plan_data["count"].pk, d, 10_000 + n)
               for d in districts for n in range(SLICES_IN_ALL)]
    rows = aggregate_rows()
    aggregates.rebuild([], slices=slices)
    assert aggregate_rows() == rows
