"""The read-only API (metrics/api/): who sees what, filters, pages, query counts, and
that its figures are the pages' figures for LACOE's own plan."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from metrics.aggregates import rebuild_all
from metrics.services.tokens import token_create
from metrics.units import plain_number

from ..factories import (
    DistrictFactory,
    GoalFactory,
    MetricFactory,
    PillarFactory,
    PlanFactory,
    PriorityAreaFactory,
    ReadingFactory,
)

API = "/api/v1/"


def get(path, token=None, keyword="Token", **params):
    headers = {"Authorization": f"{keyword} {token}"} if token else {}
    return Client().get(API + path, params, headers=headers)


def results(path, token=None, **params):
    response = get(path, token, **params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def world(users):
    """A public plan with a shown and a held-back metric, and a private plan."""
    public = PlanFactory(slug="open-plan", is_public=True)
    pillar = PillarFactory(plan=public, slug="learning")
    goal = GoalFactory(priority_area=PriorityAreaFactory(pillar=pillar, code="reading"),
                       code="read-by-3")
    shown = MetricFactory(pillar=pillar, code="shown", unit="count")
    shown.owners.add(users["steward"])
    held = MetricFactory(pillar=pillar, code="held", public_hidden=True)
    ReadingFactory(metric=shown, period="2022-23", value=5)
    ReadingFactory(metric=shown, period="2023-24", value=7)
    ReadingFactory(metric=shown, period="2024-25", value=4242, state="submitted")
    ReadingFactory(metric=shown, period="2021-22", value=5353, state="returned")
    ReadingFactory(metric=held, period="2023-24", value=3)
    private = MetricFactory(pillar=PillarFactory(plan=PlanFactory(slug="closed-plan")),
                            code="private")
    ReadingFactory(metric=private, period="2023-24", value=4)
    rebuild_all()
    return {"public": public, "pillar": pillar, "goal": goal, "shown": shown, "held": held}


def test_without_a_token_only_public_plans_approved_values_and_no_held_back_metric(world):
    assert [p["slug"] for p in results("plans/")] == ["open-plan"]
    assert [m["code"] for m in results("metrics/")] == ["shown"]
    readings = results("readings/")
    assert [(r["metric"], r["period"], r["value"]) for r in readings] == [
        ("shown", "2022-23", 5), ("shown", "2023-24", 7)]
    assert [a["metric"] for a in results("aggregates/")] == ["shown"]
    assert [(a["metric"], a["period"], a["value"]) for a in results("analytics/")] == [
        ("shown", "2022-23", 5), ("shown", "2023-24", 7)]
    assert get("plans/closed-plan/").status_code == 404


def test_analytics_rows_carry_the_approved_values_counts_only(world, users):
    """A percent's numerator and denominator are published with its approved value; a
    correction waiting for approval has counts of its own, which stay unpublished."""
    rate = MetricFactory(pillar=world["pillar"], code="rate", unit="percent")
    ReadingFactory(metric=rate, period="2022-23", value=Decimal("40"), numerator=20,
                   denominator=50)
    ReadingFactory(metric=rate, period="2023-24", value=Decimal("50"), numerator=1,
                   denominator=2, state="submitted", approved_value=Decimal("40"))
    rebuild_all()
    _, raw = token_create(user=users["leadership"], name="BI")
    rows = results("analytics/", raw, metric="rate")
    assert [(r["period"], r["value"], r["numerator"], r["denominator"]) for r in rows] == [
        ("2022-23", 40, 20, 50), ("2023-24", 40, None, None)]
    # Without a token too: the second's n is not known (its counts are the correction's),
    # but a county-wide All-students figure is the whole county (metrics.privacy, rule 1).
    public = results("analytics/", metric="rate")
    assert [(r["value"], r["numerator"], r["suppressed"], r["publication"]) for r in public] == [
        (40, 20, False, "published"), (40, None, False, "published")]


def test_no_pending_returned_value_or_e_mail_anywhere(world):
    for path in ("plans/", "pillars/", "priority-areas/", "goals/", "metrics/", "readings/",
                 "aggregates/", "analytics/"):
        body = get(path).content.decode()
        assert "4242" not in body and "5353" not in body, path
        assert "@example.org" not in body and "pending" not in body, path


def test_a_staff_token_sees_every_plan_and_held_back_metric_still_approved_only(world, users):
    _, raw = token_create(user=users["leadership"], name="BI")
    assert {p["slug"] for p in results("plans/", raw)} == {"open-plan", "closed-plan"}
    assert {m["code"] for m in results("metrics/", raw)} == {"shown", "held", "private"}
    values = {(r["metric"], r["period"]) for r in results("readings/", raw)}
    assert ("shown", "2024-25") not in values and ("private", "2023-24") in values


def test_bearer_is_accepted_and_a_token_without_a_role_sees_the_public_view(world, users):
    _, raw = token_create(user=users["outsider"], name="mine")
    assert [p["slug"] for p in results("plans/", raw)] == ["open-plan"]
    _, staff = token_create(user=users["lead"], name="lead")
    assert len(get("plans/", staff, keyword="Bearer").json()["results"]) == 2


@pytest.mark.parametrize("header", ["Token nope", "Token", "Bearer a b", "Token \u00e9"])
def test_a_wrong_token_is_refused_with_401(world, header):
    response = Client().get(API + "plans/", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_structure_endpoints_and_their_filters(world):
    assert [p["slug"] for p in results("pillars/", plan="open-plan")] == ["learning"]
    assert results("pillars/", plan="closed-plan") == []
    area, = results("priority-areas/", pillar="learning")
    assert (area["plan"], area["code"]) == ("open-plan", "reading")
    goal, = results("goals/", plan="open-plan")
    assert (goal["priority_area"], goal["code"]) == ("reading", "read-by-3")
    assert [m["code"] for m in results("metrics/", pillar="learning")] == ["shown"]


def test_value_filters(world, users):
    district = DistrictFactory(code="inglewood")
    ReadingFactory(metric=world["shown"], period="2023-24", value=2, district=district)
    _, raw = token_create(user=users["leadership"], name="BI")
    assert [r["value"] for r in results("readings/", raw, metric="shown", period="2023-24",
                                        district="all")] == [7]
    assert [r["value"] for r in results("readings/", raw, district="inglewood")] == [2]
    assert len(results("analytics/", metric="shown", student_group="all")) == 3
    assert results("readings/", metric="held") == []
    assert len(results("aggregates/", plan="open-plan", period="2023-24")) == 1


@pytest.mark.parametrize("params", [
    {"period": "2023"}, {"period": "last year"}, {"plan": "not a slug"},
    {"district": "x\x00"}, {"metric": "a" * 101},
])
def test_a_bad_filter_value_is_a_400_naming_the_field_never_a_500(world, params):
    response = get("readings/", **params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_a_page_that_does_not_exist_is_a_404_and_a_bad_page_size_the_default(world):
    assert get("pillars/", page="0").status_code == 404
    assert get("pillars/", page="x").status_code == 404
    assert len(get("readings/", page_size="x").json()["results"]) == 2


def test_numbered_pages_and_the_largest_page(world):
    for n in range(4):
        PillarFactory(plan=world["public"])
    first = get("pillars/", page_size=2).json()
    assert (first["count"], len(first["results"])) == (5, 2) and first["next"]
    assert len(get("pillars/", page_size=2, page=3).json()["results"]) == 1
    assert get("pillars/", page_size=10_000).json()["count"] == 5


@pytest.mark.parametrize("path", ["plans/", "pillars/", "priority-areas/", "goals/",
                                  "metrics/", "readings/", "aggregates/", "analytics/"])
def test_query_count_does_not_grow_with_rows(world, path, django_assert_max_num_queries,
                                             users):
    for n in range(5):
        extra = MetricFactory(pillar=world["pillar"], code=f"more-{n}")
        ReadingFactory(metric=extra, period="2023-24", value=n)
        GoalFactory(priority_area=world["goal"].priority_area)
    rebuild_all()
    _, raw = token_create(user=users["leadership"], name="count")
    # The count and the page (readings and analytics: the page only, keyset pages count
    # nothing; aggregates: and the trend points the rule withholds).
    keyset = path in ("readings/", "analytics/")
    with django_assert_max_num_queries(1 if keyset else 3 if path == "aggregates/" else 2):
        results(path)
    # + the token, its last use, and the user's groups and permissions (metrics.access)
    with django_assert_max_num_queries(5 if keyset else 6):
        results(path, raw)


def test_lacoe_api_figures_equal_the_pages(lacoe_plan, users):
    """The API's aggregates are the pillar pages' figures: each pillar page's export (its
    table, every column) against the API's county-wide rows of that pillar, made public."""
    lacoe_plan.is_public = True
    lacoe_plan.save()
    client = Client()
    client.force_login(users["leadership"])
    compared = 0
    for pillar in lacoe_plan.pillars.all():
        export = client.get(pillar.get_absolute_url(), {"_export": "csv"})
        assert export.status_code == 200
        page = {row["Code"]: row["Latest"]
                for row in csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")))}
        rows = results("aggregates/", plan=lacoe_plan.slug, pillar=pillar.slug,
                       district="all", student_group="all", page_size=1000)
        api = {row["metric"]: plain_number(None if row["latest_value"] is None
                                           else Decimal(str(row["latest_value"])))
               for row in rows}
        assert api == page, pillar.slug
        compared += len(api)
    assert compared > 50


def test_an_administrator_marks_a_plan_public_and_holds_back_a_metric(world, users):
    client = Client()
    client.force_login(users["administrator"])
    plan_form = client.get(f"/admin/pillars/strategicplan/{world['public'].pk}/change/")
    assert 'name="is_public"' in plan_form.content.decode()
    metric_form = client.get(f"/admin/metrics/metric/{world['held'].pk}/change/")
    assert 'name="public_hidden"' in metric_form.content.decode()
    plan = world["public"]
    plan.is_public = False
    plan.save()
    # The flag's changes are in the plan's history (who and when, from the admin).
    assert [h.is_public for h in plan.history.all()[:2]] == [False, True]
    assert results("plans/") == [] and results("readings/") == []
