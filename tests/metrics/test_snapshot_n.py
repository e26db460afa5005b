"""The students behind each snapshot figure (MetricSnapshot.latest_n, previous_n), filled
by every rebuild path, and the Dashboard colour they let the metric page show (issue 16):
by student group, in the heat map and in the county-wide grid; never the number itself
on a public page."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from metrics import aggregates, equity
from metrics.models import DashboardScale, District, MetricSnapshot, Publication, StudentGroup
from metrics.views.equity import equity_context
from tests.factories import DistrictFactory, MetricFactory, PlanFactory, ReadingFactory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dashboard"


def _counts(metric, period, numerator, denominator, **where):
    return ReadingFactory(metric=metric, period=period, numerator=numerator,
                          denominator=denominator,
                          value=Decimal(100 * numerator) / denominator, **where)


def _n(metric, district=None, group=None):
    snapshot = MetricSnapshot.objects.get(
        metric=metric, district=district or District.objects.total(),
        student_group=group or StudentGroup.objects.total())
    return snapshot.latest_n, snapshot.previous_n


@pytest.fixture
def sizes(db):
    plan = PlanFactory(slug="sizes")
    percent = MetricFactory(plan=plan, pillar__plan=plan, unit="percent", code="p")
    count = MetricFactory(plan=plan, pillar=percent.pillar, unit="count", code="c")
    bare = MetricFactory(plan=plan, pillar=percent.pillar, unit="percent", code="b")
    north, south = DistrictFactory(name="North"), DistrictFactory(name="South")
    for district in (north, south):
        district.plans.add(plan)
        _counts(percent, "2023-24", 30, 120, district=district)
    _counts(percent, "2022-23", 10, 40, district=north)
    ReadingFactory(metric=count, period="2022-23", value=17)
    ReadingFactory(metric=count, period="2023-24", value=25)
    ReadingFactory(metric=bare, period="2023-24", value=40)
    return {"percent": percent, "count": count, "bare": bare, "north": north, "south": south}


def test_a_rebuild_records_the_students_behind_each_figure(sizes):
    aggregates.rebuild()
    assert _n(sizes["percent"], sizes["north"]) == (120, 40)  # the denominators
    # A computed county-wide percent counts its districts' students together (2022-23:
    # North's alone).
    assert _n(sizes["percent"]) == (240, 40)
    assert _n(sizes["count"]) == (25, 17)  # a count is its own n
    assert _n(sizes["bare"]) == (None, None)  # a percent without its counts


def test_an_incremental_rebuild_records_them_as_a_full_one(sizes):
    aggregates.rebuild()
    north = sizes["north"]
    reading = _counts(sizes["percent"], "2024-25", 5, 50, district=north)
    aggregates.rebuild(slices=[(reading.metric_id, north.pk, reading.student_group_id)])
    assert _n(sizes["percent"], north) == (50, 120)
    assert _n(sizes["percent"]) == (50, 240)  # 2024-25 computed from North's alone
    # A correction waiting for approval: the counts are the correction's, so the
    # approved value's n is not known (privacy.decide.students).
    reading.value, reading.numerator, reading.denominator = Decimal(20), 10, 50
    reading.state = "submitted"
    reading.save()
    aggregates.rebuild(slices=[(reading.metric_id, north.pk, reading.student_group_id)])
    assert _n(sizes["percent"], north) == (None, 120)
    incremental = list(MetricSnapshot.objects.order_by("pk").values_list(
        "metric_id", "district_id", "student_group_id", "latest_n", "previous_n"))
    aggregates.rebuild()
    assert sorted(MetricSnapshot.objects.values_list(
        "metric_id", "district_id", "student_group_id", "latest_n", "previous_n")) == sorted(
        incremental)


# --- The Dashboard colour on the metric page ---------------------------------------

@pytest.fixture
def absent(db):
    call_command("load_dashboard_scales", str(FIXTURES), verbosity=0)
    plan = PlanFactory(slug="ca")
    metric = MetricFactory(plan=plan, pillar__plan=plan, code="absent", unit="percent",
                           direction="lower", name="Chronic absenteeism",
                           dashboard_scale=DashboardScale.objects.get(code="chronic-absenteeism"))
    north = DistrictFactory(name="North", code="north")
    learners = StudentGroup.objects.create(code="el", name="English learners")
    for dimension in (north, learners):
        dimension.plans.add(plan)
    # All students: 12.4% then 10.9% of 1,000 (High, Declined: Yellow, enough students).
    # English learners: 20.0% then 15.0% of 20 (High, Declined Significantly: too few).
    for district in (District.objects.total(), north):
        _counts(metric, "2022-23", 124, 1000, district=district)
        _counts(metric, "2023-24", 109, 1000, district=district)
        _counts(metric, "2022-23", 4, 20, district=district, student_group=learners)
        _counts(metric, "2023-24", 3, 20, district=district, student_group=learners)
    aggregates.rebuild()
    MetricSnapshot.objects.filter(metric=metric).update(
        latest_publication=Publication.PUBLISHED, previous_publication=Publication.PUBLISHED)
    metric.refresh_from_db()
    return {"metric": metric, "north": north, "learners": learners}


def _context(absent, public_view, query="?view=districts"):
    request = RequestFactory().get("/" + query)
    return equity_context(request, absent["metric"], public_view=public_view)


@pytest.mark.parametrize("public_view", [True, False])
def test_by_group_gives_a_colour_from_enough_students_only(absent, public_view):
    rows = {row.group.name: row for row in equity.by_group(absent["metric"],
                                                           public_view=public_view).rows}
    assert rows["All students"].placement.colour == "Yellow"
    small = rows["English learners"].placement
    assert (small.status, small.change, small.colour) == (
        "High", "Declined Significantly", None)
    assert small.reason.startswith("Too few students")
    # The public never reads the number of students (with the value it gives the count).
    assert ("(20)" in small.reason) is not public_view


def test_the_heat_map_gives_the_dashboard_colour_where_a_slice_has_one(absent):
    heat = _context(absent, public_view=True)["heat_map"]
    rows = {district.name: cells for district, cells in heat.rows}
    assert [cell.colour for cell in rows["North"]] == ["Yellow", ""]


@pytest.mark.parametrize("public_view", [True, False])
def test_the_heat_map_says_why_a_slice_of_too_few_students_has_no_colour(absent, public_view):
    heat = _context(absent, public_view=public_view)["heat_map"]
    north = dict(heat.rows)[absent["north"]]
    assert [cell.no_colour for cell in north] == ["", (
        "Too few students (20): the Dashboard gives a colour only from 30." if not public_view
        else "Too few students: the Dashboard gives a colour only from 30.")]


def test_the_heat_map_page_writes_the_no_colour_reason(client, users, absent):
    client.force_login(users["leadership"])
    url = reverse("metrics:metric", args=["ca", "absent"])
    districts = client.get(url + "?view=districts").content.decode()
    assert ('<span class="heat-word">Too few students (20): the Dashboard gives a colour '
            "only from 30.</span>") in districts


def test_the_metric_page_shows_the_colour_and_the_no_colour_wording(client, users, absent):
    client.force_login(users["leadership"])
    url = reverse("metrics:metric", args=["ca", "absent"])
    groups = client.get(url + "?view=groups").content.decode()
    assert '<td class="dash-yellow">High, change Declined: Yellow' in groups
    assert ("High, change Declined Significantly: no colour. Too few students (20): the "
            "Dashboard gives a colour only from 30.") in groups
    districts = client.get(url + "?view=districts").content.decode()
    assert "Dashboard colour: Yellow" in districts
    # The county-wide grid takes the county's n too: a colour, not "no colour given".
    assert "placed here (no colour given)" not in groups


def test_the_county_grid_takes_the_county_n_and_hides_it_from_the_public(absent):
    from metrics.dashboard import metric_grid
    county = MetricSnapshot.objects.county_wide().get(metric=absent["metric"])
    assert metric_grid(absent["metric"], county)["placement"].colour == "Yellow"
    county.latest_n = 20
    staff = metric_grid(absent["metric"], county)["placement"]
    public = metric_grid(absent["metric"], county, public_view=True)["placement"]
    assert staff.colour is None and "Too few students (20)" in staff.reason
    assert public.colour is None and public.reason == (
        "Too few students: the Dashboard gives a colour only from 30.")
