"""The API serves figures through the publication rule's stored decisions (issue 16/17):
without a staff token a suppressed or undecided figure's value, counts, qualifier, source
words, change and status are nowhere in the JSON (a seeded sentinel value is scanned
for); with a staff token the real value and its decision are."""

from decimal import Decimal

import pytest
from django.test import Client

from metrics.aggregates import rebuild_all
from metrics.privacy import Reason, footnote, publication_footnote
from metrics.privacy.decide import copy_to_snapshots
from metrics.services.tokens import token_create

from ..factories import DistrictFactory, MetricFactory, PillarFactory, PlanFactory, ReadingFactory

# Tiny's sentinel figures (value, numerator, denominator, the source's words).
SENTINELS = ("77.78", "7777", "9999", "Tiny's own words")
PATHS = ("readings/", "analytics/", "aggregates/")


@pytest.fixture
def world(db):
    plan = PlanFactory(slug="open", is_public=True)
    metric = MetricFactory(pillar=PillarFactory(plan=plan), code="rate", unit="percent")
    ReadingFactory(metric=metric, period="2022-23", value=Decimal("50"), numerator=5000,
                   denominator=10000)
    ReadingFactory(metric=metric, value=Decimal("54.68"), numerator=5468, denominator=10000)
    tiny = DistrictFactory(code="tiny")
    # 7777 of 9999 would be large; these counts are of a correction-free approved value of
    # 9 students: the denominator the rule reads is 9.
    ReadingFactory(metric=metric, period="2022-23", district=tiny, value=Decimal("77.78"),
                   numerator=7, denominator=9, source_text="Tiny's own words")
    ReadingFactory(metric=metric, district=tiny, value=Decimal("77.78"), numerator=7,
                   denominator=9, source_text="Tiny's own words")
    for code, denominator in (("small", 45), ("large", 5000), ("larger", 4946)):
        district = DistrictFactory(code=code)
        for period in ("2022-23", "2023-24"):
            ReadingFactory(metric=metric, period=period, district=district,
                           value=Decimal("60"), numerator=denominator * 3 // 5,
                           denominator=denominator)
    rebuild_all()
    return metric


def body(path, token=None, **params):
    headers = {"Authorization": f"Token {token}"} if token else {}
    response = Client().get(f"/api/v1/{path}", {"page_size": 1000, **params}, headers=headers)
    assert response.status_code == 200
    return response


def test_a_suppressed_figure_is_null_with_its_reason_and_in_no_byte_of_the_json(world):
    for path in PATHS:
        text = body(path).content.decode()
        for sentinel in ("77.78", "Tiny's own words"):
            assert sentinel not in text, (path, sentinel)
    rows = {(r["district"], r["period"]): r for r in body("readings/").json()["results"]}
    tiny = rows["tiny", "2023-24"]
    assert (tiny["value"], tiny["suppressed"], tiny["publication"], tiny["source_text"]) == (
        None, True, "primary", None)
    assert tiny["footnote"] == footnote(Reason.PRIMARY, 11)
    small = rows["small", "2023-24"]
    assert (small["value"], small["suppressed"], small["publication"]) == (
        None, True, "complementary")
    large = rows["large", "2023-24"]
    assert (large["value"], large["suppressed"], large["footnote"]) == (60, False, "")
    analytics = {r["district"]: r for r in body("analytics/", period="2023-24").json()["results"]}
    assert (analytics["tiny"]["numerator"], analytics["tiny"]["denominator"]) == (None, None)
    assert analytics["large"]["denominator"] == 5000
    snapshots = {r["district"]: r for r in body("aggregates/").json()["results"]}
    assert {k: snapshots["tiny"][k] for k in ("latest_value", "previous_value", "change",
                                              "suppressed")} == {
        "latest_value": None, "previous_value": None, "change": None, "suppressed": True}
    assert snapshots["large"]["latest_value"] == 60


def test_an_undecided_figure_is_not_served_either(world):
    ReadingFactory(metric=world, period="2024-25", value=Decimal("31.41"), numerator=3141,
                   denominator=10000)  # approved, not decided yet
    text = body("readings/").content.decode()
    assert "31.41" not in text
    row = next(r for r in body("readings/", period="2024-25").json()["results"])
    assert (row["value"], row["suppressed"], row["publication"]) == (None, True, "undecided")
    assert row["footnote"] == publication_footnote("undecided", 11)


def test_a_withheld_county_wide_point_leaves_the_trend_series(world):
    world.readings.filter(district__is_total=True, period="2022-23").update(
        publication="undecided")
    copy_to_snapshots()
    county = next(r for r in body("aggregates/", district="all").json()["results"])
    assert county["series"] == [["2022-23", None], ["2023-24", "54.68"]]
    assert county["previous_value"] is None and county["change"] is None


def test_a_staff_token_sees_the_real_values_and_the_decisions(world, users):
    _, raw = token_create(user=users["leadership"], name="BI")
    rows = {(r["district"], r["period"]): r
            for r in body("readings/", raw).json()["results"]}
    tiny = rows["tiny", "2023-24"]
    assert (tiny["value"], tiny["publication"], tiny["suppressed"]) == (77.78, "primary", False)
    assert "Tiny's own words" in body("readings/", raw).content.decode()
    snapshots = {r["district"]: r for r in body("aggregates/", raw).json()["results"]}
    assert snapshots["tiny"]["latest_value"] == 77.78


def test_the_withheld_trend_points_are_looked_up_for_the_page_s_metrics_only(world):
    """(All of the public metrics' county-wide readings would be read for every page.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other = MetricFactory(pillar=world.pillar, code="other")
    ReadingFactory(metric=other, value=1)
    rebuild_all()
    with CaptureQueriesContext(connection) as queries:
        rows = body("aggregates/", metric="rate", district="all").json()["results"]
    assert [row["metric"] for row in rows] == ["rate"]
    points = [q["sql"] for q in queries.captured_queries if "publication" in q["sql"]
              and "metrics_metricsnapshot" not in q["sql"]]
    assert len(points) == 1 and f"IN ({world.pk})" in points[0].replace('"', "")
