"""The metric page's equity views (metrics/equity.py, metrics/views/equity.py): by
student group and by district with its heat map, public and staff writing of figures
the publication rule did not publish, sorting that reveals nothing, query counts."""

from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from metrics import aggregates, equity, privacy
from metrics.models import District, MetricSnapshot, Publication, StudentGroup
from metrics.views.equity import equity_context
from tests.factories import DistrictFactory, MetricFactory, PlanFactory, ReadingFactory

PUBLISHED = Publication.PUBLISHED
SECRET = "37.9"  # a suppressed district's figure: never on a public page


@pytest.fixture
def world(db):
    plan = PlanFactory(slug="eq")
    metric = MetricFactory(plan=plan, pillar__plan=plan, code="rate", name="Reading rate",
                           unit="percent")
    north = DistrictFactory(name="North", code="north")
    south = DistrictFactory(name="South", code="south")
    west = DistrictFactory(name="West", code="west")
    learners = StudentGroup.objects.create(code="el", name="English learners")
    for dimension in (north, south, west, learners):
        dimension.plans.add(plan)
    county, everyone = District.objects.total(), StudentGroup.objects.total()
    figures = {  # (district, group): (2022-23, 2023-24)
        (county, everyone): ("50", "52"), (county, learners): ("40", "45"),
        (north, everyone): ("60", "61"), (south, everyone): ("30", SECRET),
        (west, everyone): ("45", "44"), (north, learners): ("55", "58"),
        (south, learners): ("20", "25"),
    }
    for (district, group), values in figures.items():
        for period, value in zip(("2022-23", "2023-24"), values, strict=True):
            ReadingFactory(metric=metric, period=period, value=Decimal(value),
                           district=district, student_group=group)
    aggregates.rebuild()
    MetricSnapshot.objects.filter(metric=metric).update(
        latest_publication=PUBLISHED, previous_publication=PUBLISHED)
    MetricSnapshot.objects.filter(metric=metric, district=south).update(
        latest_publication=Publication.PRIMARY)
    MetricSnapshot.objects.filter(metric=metric, district=west).update(
        latest_publication=Publication.UNDECIDED)
    metric.refresh_from_db()
    return {"plan": plan, "metric": metric, "north": north, "south": south, "west": west,
            "learners": learners}


def context(world, query="", public_view=True):
    request = RequestFactory().get("/" + query)
    return equity_context(request, world["metric"], public_view=public_view)


def test_by_group_gives_each_group_beside_all_students_with_the_gap_and_its_change(world):
    rows = equity.by_group(world["metric"], public_view=True).rows
    assert [row.group.name for row in rows] == ["All students", "English learners"]
    total, learners = rows
    assert total.is_total and total.latest.text == "52%"
    assert learners.latest.text == "45%" and learners.change == "+5 pts"
    assert learners.gap == "−7 pts"  # 45 - 52
    assert learners.gap_change == "+3 pts"  # -7 now, -10 before


def test_a_hidden_figure_is_the_mark_with_its_footnote_and_no_value_on_a_public_page(world):
    MetricSnapshot.objects.filter(metric=world["metric"], student_group=world["learners"],
                                  district__is_total=True).update(
        latest_publication=Publication.COMPLEMENTARY)
    result = equity.by_group(world["metric"], public_view=True)
    learners = result.rows[1]
    assert learners.latest.text == privacy.MARK and learners.latest.value is None
    assert learners.change == learners.gap == learners.gap_change == "—"
    assert result.notes == [privacy.footnote(privacy.Reason.COMPLEMENTARY, 11)]


def test_staff_see_the_real_figure_marked_suppressed_in_public(world):
    MetricSnapshot.objects.filter(metric=world["metric"], student_group=world["learners"],
                                  district__is_total=True).update(
        latest_publication=Publication.PRIMARY)
    learners = equity.by_group(world["metric"], public_view=False).rows[1]
    assert learners.latest.text == "45%" and learners.latest.label == privacy.STAFF_LABEL
    assert learners.gap == "−7 pts"
    assert privacy.STAFF_LABEL in str(learners.latest.__html__())


def test_public_sorting_by_value_treats_a_hidden_figure_as_none(world):
    table = context(world, "?view=districts&by-district-sort=latest")["by_district"]
    names = [row.record.district.name for row in table.paginated_rows]
    # South's real 37.9 sorts first on the staff page; in public it is no figure, like
    # West's undecided one: the two sort together, by name (first on SQLite, last on
    # PostgreSQL, where NULLs sort last), whatever their values.
    assert names in (["South", "West", "North"], ["North", "South", "West"])
    names = [row.record.district.name for row in context(
        world, "?view=districts&by-district-sort=-latest")["by_district"].paginated_rows]
    assert names in (["North", "West", "South"], ["West", "South", "North"])
    staff = context(world, "?view=districts&by-district-sort=latest", public_view=False)
    assert [r.record.district.name for r in staff["by_district"].paginated_rows] == [
        "South", "West", "North"]


def test_the_heat_map_is_district_by_group_with_words_and_marks(world):
    heat = context(world, "?view=districts")["heat_map"]
    assert [g.name for g in heat.groups] == ["All students", "English learners"]
    rows = {district.name: cells for district, cells in heat.rows}
    assert list(rows) == ["All districts (county-wide)", "North", "South", "West"]
    south = rows["South"][0]
    assert south.figure.text == privacy.MARK and south.band is None
    assert south.word == "not published"
    assert rows["North"][0].band == 5 and rows["North"][0].word == "Highest fifth"
    assert rows["West"][1].word == "no figure"
    assert equity.UNDECIDED_NOTE in heat.notes


@pytest.mark.parametrize("view", ["groups", "districts"])
def test_the_metric_page_shows_the_view_to_staff(client, users, world, view):
    client.force_login(users["leadership"])
    url = reverse("metrics:metric", args=["eq", "rate"]) + f"?view={view}"
    html = client.get(url).content.decode()
    heading = "By student group</h3>" if view == "groups" else "Heat map: districts by"
    assert heading in html
    if view == "districts":
        assert SECRET in html and privacy.STAFF_LABEL in html  # staff: the real value
        assert 'class="heat-cell heat-' in html and "Highest fifth" in html


def test_the_public_partials_never_hold_a_hidden_value(world):
    from django.template.loader import render_to_string
    ctx = {**context(world, "?view=districts"), "metric": world["metric"]}
    html = render_to_string("metrics/_equity.html", ctx,
                            request=RequestFactory().get("/?view=districts"))
    assert SECRET not in html and "37,9" not in html
    assert privacy.footnote(privacy.Reason.PRIMARY, 11) in html
    assert privacy.STAFF_LABEL not in html


def test_the_by_district_page_takes_its_own_sort_and_page_parameters(client, users, world):
    for n in range(30):
        district = DistrictFactory(name=f"Z district {n:02d}")
        district.plans.add(world["plan"])
        ReadingFactory(metric=world["metric"], period="2023-24", value=n, district=district)
    aggregates.rebuild()
    client.force_login(users["leadership"])
    url = reverse("metrics:metric", args=["eq", "rate"])
    html = client.get(url, {"view": "districts", "by-district-page": 2}).content.decode()
    assert "Page 2 of 2" in html and "Z district 29" in html
    assert "by-district-sort=district" in html or "by-district-sort=-district" in html


def test_the_metric_page_queries_do_not_grow_with_districts(
        client, users, world, django_assert_max_num_queries):
    client.force_login(users["leadership"])
    url = reverse("metrics:metric", args=["eq", "rate"]) + "?view=districts"
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(20):
        district = DistrictFactory()
        district.plans.add(world["plan"])
        ReadingFactory(metric=world["metric"], value=n, district=district)
        ReadingFactory(metric=world["metric"], value=n, district=district,
                       student_group=world["learners"])
    aggregates.rebuild()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# --- The pillar dashboard for one district or student group ---------------------------

def pillar_url(world):
    metric = world["metric"]
    return reverse("pillars:pillar", args=[metric.plan.slug, metric.pillar.slug])


def test_the_pillar_table_shows_one_districts_figures(client, users, world):
    client.force_login(users["leadership"])
    html = client.get(pillar_url(world), {"district": world["north"].pk}).content.decode()
    assert "Figures of North, All students." in html
    assert "61%" in html and "52%" not in html.split("all-metrics")[1]
    html = client.get(pillar_url(world), {"district": world["north"].pk,
                                          "student_group": world["learners"].pk}).content.decode()
    assert "Figures of North, English learners." in html and "58%" in html


def test_a_district_of_another_plan_shows_nothing_rather_than_its_figures(client, users, world):
    other = DistrictFactory(name="Elsewhere")
    ReadingFactory(metric=world["metric"], value=Decimal("12.5"), district=other)
    aggregates.rebuild()
    client.force_login(users["leadership"])
    html = client.get(pillar_url(world), {"district": other.pk}).content.decode()
    assert "12.5%" not in html and "Select a valid choice" in html


def test_the_pillar_page_queries_stay_constant_for_a_slice(
        client, users, world, django_assert_max_num_queries):
    client.force_login(users["leadership"])
    query = {"district": world["north"].pk, "student_group": world["learners"].pk}
    # 23, and 1 for the whole-page cache's key (pillars/page_cache.py).
    with django_assert_max_num_queries(24) as few:
        client.get(pillar_url(world), query)
    for n in range(15):
        metric = MetricFactory(plan=world["plan"], pillar=world["metric"].pillar)
        ReadingFactory(metric=metric, value=n, district=world["north"],
                       student_group=world["learners"])
    aggregates.rebuild()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(pillar_url(world), {**query, "q": "x"})


def test_a_gap_compares_figures_of_the_same_period_only(world):
    MetricSnapshot.objects.filter(metric=world["metric"], student_group=world["learners"],
                                  district__is_total=True).update(latest_period="2024-25")
    learners = equity.by_group(world["metric"], public_view=False).rows[1]
    assert learners.gap == learners.gap_change == "—"
