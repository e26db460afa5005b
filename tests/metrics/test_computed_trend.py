"""A county-wide trend's points computed from districts (no county-wide figure reported
for their period: metrics/aggregates/county.py) are marked, in MetricSnapshot.series
beside the earlier-plan mark, in the chart (a legend entry of their own) and in the
trend table's "From" column (issue 16)."""

from decimal import Decimal

import pytest

from metrics import aggregates
from metrics.aggregates.continued import with_earlier_points
from metrics.models import MetricSnapshot, Status
from pillars import charts

from ..factories import DistrictFactory, MetricFactory, PillarFactory, ReadingFactory


@pytest.fixture
def rate(db):
    """County-wide 20% reported for 2022-23; for 2023-24 only two districts' counts."""
    pillar = PillarFactory()
    metric = MetricFactory(pillar=pillar, unit="percent", code="rate", name="Rate")
    ReadingFactory(metric=metric, period="2022-23", value=20)
    for numerator, denominator in ((30, 100), (10, 300)):
        district = DistrictFactory()
        district.plans.add(pillar.plan)
        ReadingFactory(metric=metric, district=district, period="2023-24",
                       value=Decimal(100 * numerator) / denominator,
                       numerator=numerator, denominator=denominator)
    aggregates.rebuild()
    return metric


def _county(metric):
    return MetricSnapshot.objects.county_wide().get(metric=metric)


def test_the_series_marks_the_computed_points_with_their_districts(rate):
    snapshot = _county(rate)
    assert snapshot.series == [["2022-23", "20"], ["2023-24", "10", None, 2]]
    assert [(p.period, p.plan, p.districts, p.computed_label) for p in snapshot.trend_points] == [
        ("2022-23", None, None, ""), ("2023-24", None, 2, "computed from 2 districts")]
    assert snapshot.has_computed_points and snapshot.earlier_plans == []
    # Judged on both points as before: 20% to 10%, no target.
    assert snapshot.status != Status.NO_DATA


def test_an_earlier_plans_computed_point_keeps_both_marks():
    series = {1: [["2023-24", "5", None, 3], ["2024-25", "6"]], 2: [["2025-26", "7"]]}
    points = with_earlier_points(2, series, {2: (1, "2022-25")})
    assert points == [["2023-24", "5", "2022-25", 3], ["2024-25", "6", "2022-25"],
                      ["2025-26", "7"]]
    snapshot = MetricSnapshot(series=points)
    assert snapshot.earlier_plans == ["2022-25"] and snapshot.has_computed_points


def test_the_chart_marks_computed_points_in_a_trace_of_their_own():
    metric = MetricFactory.build(name="Rate", unit="percent")
    series = [["2021-22", "4", "2022-25", 2], ["2022-23", "20"], ["2023-24", "10", None, 2]]
    data = charts.trend(metric, series, "t").figure["data"]
    by_name = {trace["name"]: trace for trace in data}
    assert by_name["2022-25 plan"]["x"] == ["2021-22"]
    assert (by_name["Rate"]["x"], by_name["Rate"]["y"]) == (["2022-23", "2023-24"], [20.0, 10.0])
    computed = by_name["computed from districts"]
    assert (computed["x"], computed["y"]) == (["2021-22", "2023-24"], [4.0, 10.0])
    assert computed["mode"] == "markers" and computed["marker"]["symbol"] == "diamond-open"


def test_the_metric_page_marks_them_in_the_chart_and_the_trend_table(rate, client, users):
    client.force_login(users["leadership"])
    html = client.get(rate.get_absolute_url()).content.decode()
    assert '"name": "computed from districts"' in html or \
        '"name":"computed from districts"' in html
    assert "Hollow diamonds are figures computed from the districts" in html
    assert ('<th scope="row">2023-24</th><td class="num">10%</td>'
            "<td>This plan, computed from 2 districts</td>") in html
    assert '<th scope="row">2022-23</th><td class="num">20%</td><td>This plan</td>' in html
