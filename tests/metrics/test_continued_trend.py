"""A continued metric's trend (issue 10): the next plan's metric shows the approved readings
of the metric it continues, marked with that plan's years, in its series, chart and trend
data; the full and incremental rebuilds agree; its status is judged on its own readings."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import aggregates
from metrics.models import Metric, MetricSnapshot, PendingRebuild, PendingSlice, Status
from metrics.services import reading_record
from metrics.services.plans import plan_start_next
from pillars import charts

from ..conftest import aggregate_rows
from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_process_rebuilds(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    """`reading_record`, with the rebuild it queues on commit run (as after a real save)."""

    def save(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return reading_record(**kwargs)

    return save


def _county_wide(metric):
    return MetricSnapshot.objects.get(metric=metric, is_county_wide=True)


@pytest.fixture
def lacoe_next(lacoe_plan, after_the_plan):
    """LACOE's 2022-25 plan and the 2025-28 plan started from it, aggregates rebuilt."""
    new = plan_start_next(plan=lacoe_plan)
    aggregates.rebuild()
    return lacoe_plan, new


def test_a_continued_metrics_trend_shows_the_earlier_plans_approved_readings(lacoe_next):
    old, new = lacoe_next
    copy = Metric.objects.get(plan=new, code="p1-da-attendance")
    # No reading of its own yet: the trend is the 2022-25 plan's, each point marked.
    assert _county_wide(copy).series == [
        ["2022-23", "8318", "2022-25"], ["2023-24", "10603", "2022-25"]]
    assert _county_wide(copy).earlier_plans == ["2022-25"]
    assert _county_wide(copy).status == Status.NO_DATA  # no value of its own
    # The earlier metric's own series is unmarked and unchanged.
    assert _county_wide(copy.continues).series == [["2022-23", "8318"], ["2023-24", "10603"]]


def test_its_status_is_judged_on_its_own_readings_and_baseline_only(lacoe_next, users, record):
    _, new = lacoe_next
    copy = Metric.objects.get(plan=new, code="p1-da-attendance")
    record(metric=copy, period="2025-26", value="12000", user=users["administrator"])
    snapshot = _county_wide(copy)
    assert snapshot.series == [["2022-23", "8318", "2022-25"], ["2023-24", "10603", "2022-25"],
                               ["2025-26", "12000"]]
    # Judged on its own one value (no target): baseline, not "improved" against 2023-24,
    # whose value is the baseline the next plan started from.
    assert snapshot.status == Status.BASELINE
    assert (copy.baseline_value, copy.baseline_period) == (Decimal(10603), "2023-24")


def test_the_metric_page_marks_the_earlier_plans_points(lacoe_next, client, users, record):
    _, new = lacoe_next
    copy = Metric.objects.get(plan=new, code="p1-da-attendance")
    record(metric=copy, period="2025-26", value="12000", user=users["administrator"])
    client.force_login(users["leadership"])
    html = client.get(copy.get_absolute_url()).content.decode()
    assert '"name": "2022-25 plan"' in html or '"name":"2022-25 plan"' in html
    assert "Hollow points are the approved readings of the 2022-25 plan" in html
    assert "<th scope=\"row\">2022-23</th><td class=\"num\">8,318</td>" \
           "<td>2022-25 plan: the metric this one continues</td>" in html
    assert "<th scope=\"row\">2025-26</th><td class=\"num\">12,000</td><td>This plan</td>" in html


def test_the_chart_draws_earlier_points_in_their_own_trace_in_time_order():
    metric = MetricFactory.build(name="Attendance", unit="count")
    figure = charts.trend(metric, [["2023-24", "5", "2022-25"], ["2025-26", "7"]], "t").figure
    earlier, own = figure["data"][:2]
    assert (earlier["name"], earlier["x"], earlier["y"]) == ("2022-25 plan", ["2023-24"], [5.0])
    assert earlier["marker"]["symbol"] == "circle-open"
    assert (own["name"], own["x"], own["y"]) == ("Attendance", ["2025-26"], [7.0])
    assert figure["layout"]["xaxis"]["categoryarray"] == ["2023-24", "2025-26"]


@pytest.fixture
def chain(db):
    """A metric continued twice: 2019-22 -> 2022-25 -> 2025-28, a reading in each."""
    plans = [PlanFactory(start_year=y, end_year=y + 3) for y in (2019, 2022, 2025)]
    metrics, earlier = [], None
    for plan, period, value in zip(plans, ("2020-21", "2023-24", "2025-26"), (1, 2, 3),
                                   strict=True):
        earlier = MetricFactory(pillar=PillarFactory(plan=plan), code="attendance",
                                continues=earlier)
        ReadingFactory(metric=earlier, period=period, value=value)
        metrics.append(earlier)
    aggregates.rebuild()
    return metrics


def test_the_chain_is_followed_and_a_period_of_two_plans_keeps_the_later_ones(chain):
    first, middle, last = chain
    ReadingFactory(metric=first, period="2022-23", value=9)  # an overlap with `middle`
    ReadingFactory(metric=middle, period="2022-23", value=4)
    aggregates.rebuild()
    assert _county_wide(last).series == [
        ["2020-21", "1", "2019-22"], ["2022-23", "4", "2022-25"], ["2023-24", "2", "2022-25"],
        ["2025-26", "3"]]


def test_a_new_approved_value_of_the_earlier_metric_rebuilds_the_continuing_trends(chain,
                                                                                   record):
    first, middle, last = chain
    before = aggregate_rows()
    record(metric=first, period="2021-22", value="5", approve=True)
    # The queue asked for the earlier metric's slice only; its rebuild served the trends
    # of the metrics that continue it (both, through the chain) and left nothing pending.
    assert not PendingRebuild.objects.exists() and not PendingSlice.objects.exists()
    for metric in (middle, last):
        assert ["2021-22", "5", "2019-22"] in _county_wide(metric).series
    incremental = aggregate_rows()
    assert incremental != before
    aggregates.rebuild()
    assert aggregate_rows() == incremental


def _queries(callable_):
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_an_incremental_rebuild_costs_the_same_queries_however_long_the_chain(chain):
    """Pinned: one county-wide slice of the first metric, with the two trends that continue
    it rebuilt too, costs what it costs once nothing continues it."""
    first, middle, last = chain
    snapshot = _county_wide(first)
    slices = [(first.pk, snapshot.district_id, snapshot.student_group_id)]
    continued = _queries(lambda: aggregates.rebuild(slices=slices))
    Metric.objects.filter(pk__in=[middle.pk, last.pk]).update(continues=None)
    alone = _queries(lambda: aggregates.rebuild(slices=slices))
    # SQLite: 24 (the slice's rows are replaced, so the roll-ups above are redone).
    assert continued == alone <= 24
