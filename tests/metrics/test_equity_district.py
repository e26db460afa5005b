"""The metric page's "By student group" view within one district (issue 16): that
district's groups beside its own All students, the district chosen with `?district=`
(id or code) from a labelled select, linked from the by-district table, the heat map
and the pillar page filtered to the same slice; the publication rule as county-wide;
hostile values; constant queries whatever the number of groups."""

import html as html_lib
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from metrics import aggregates, equity, privacy
from metrics.models import District, MetricSnapshot, Publication, StudentGroup
from metrics.views.equity import equity_context
from tests.factories import DistrictFactory, MetricFactory, PlanFactory, ReadingFactory

SECRET = "35.5"  # North's foster youth, suppressed: never on a public page
NO_SUCH = "This plan has no such district: the figures below are for all districts"


@pytest.fixture
def world(db):
    plan = PlanFactory(slug="eq", is_public=True)
    metric = MetricFactory(plan=plan, pillar__plan=plan, code="rate", name="Reading rate",
                           unit="percent")
    north = DistrictFactory(name="North", code="north")
    south = DistrictFactory(name="South", code="south")
    learners = StudentGroup.objects.create(code="el", name="English learners")
    foster = StudentGroup.objects.create(code="fy", name="Foster youth")
    for dimension in (north, south, learners, foster):
        dimension.plans.add(plan)
    county, everyone = District.objects.total(), StudentGroup.objects.total()
    figures = {  # (district, group): (2022-23, 2023-24)
        (county, everyone): ("50", "52"), (county, learners): ("40", "45"),
        (north, everyone): ("60", "61"), (north, learners): ("55", "58"),
        (north, foster): ("30", SECRET), (south, everyone): ("30", "33"),
        (south, learners): ("20", "25"),
    }
    for (district, group), values in figures.items():
        for period, value in zip(("2022-23", "2023-24"), values, strict=True):
            ReadingFactory(metric=metric, period=period, value=Decimal(value),
                           district=district, student_group=group)
    world = {"plan": plan, "metric": metric, "north": north, "south": south,
             "learners": learners, "foster": foster}
    rebuild(world)
    metric.refresh_from_db()
    return world


def rebuild(world):
    """The aggregates, then the publication worker's decisions as it records them on the
    snapshots: North's foster youth below the threshold, everything else published."""
    aggregates.rebuild()
    MetricSnapshot.objects.filter(metric=world["metric"]).update(
        latest_publication=Publication.PUBLISHED, previous_publication=Publication.PUBLISHED)
    MetricSnapshot.objects.filter(metric=world["metric"], district=world["north"],
                                  student_group=world["foster"]).update(
        latest_publication=Publication.PRIMARY)


def metric_url(query=""):
    return reverse("metrics:metric", args=["eq", "rate"]) + query


def page(client, query, params=None):
    cache.clear()
    response = client.get(metric_url(query), params)
    assert response.status_code == 200
    return response.content.decode()


def by_group_section(text):
    return text.split('id="by-group-heading"')[1].split("</section>")[0]


def test_a_districts_groups_stand_beside_its_own_all_students(world):
    result = equity.by_group(world["metric"], public_view=True, district=world["north"])
    assert result.district == world["north"]
    assert [row.group.name for row in result.rows] == [
        "All students", "English learners", "Foster youth"]
    total, learners, foster = result.rows
    assert total.is_total and total.latest.text == "61%"  # North's, not the county's 52%
    assert learners.latest.text == "58%" and learners.gap == "−3 pts"  # 58 - 61
    assert learners.gap_change == "+2 pts"  # -3 now, -5 before
    assert foster.latest.text == privacy.MARK and foster.latest.value is None
    assert foster.change == foster.gap == foster.gap_change == "—"
    assert result.notes == [privacy.footnote(privacy.Reason.PRIMARY, 11)]


def test_staff_see_the_districts_suppressed_group_labelled(world):
    foster = equity.by_group(world["metric"], public_view=False, district=world["north"]).rows[2]
    assert foster.latest.text == "35.5%" and foster.latest.label == privacy.STAFF_LABEL
    assert foster.gap == "−25.5 pts"  # 35.5 - 61


def test_a_hidden_all_students_hides_every_gap_of_the_district_in_public(world):
    MetricSnapshot.objects.filter(metric=world["metric"], district=world["south"],
                                  student_group__is_total=True).update(
        latest_publication=Publication.COMPLEMENTARY)
    total, learners = equity.by_group(world["metric"], public_view=True,
                                      district=world["south"]).rows
    assert total.latest.text == privacy.MARK
    assert learners.latest.text == "25%" and learners.gap == learners.gap_change == "—"


@pytest.mark.parametrize("named", ["id", "code", "cds_code"])
def test_the_public_page_shows_one_districts_groups(client, world, named):
    north = world["north"]
    District.objects.filter(pk=north.pk).update(cds_code="19646340000000")
    value = {"id": north.pk, "code": "north", "cds_code": "19646340000000"}[named]
    text = page(client, f"?view=groups&district={value}")
    section = by_group_section(text)
    assert "By student group: North</h3>" in text
    assert "Reading rate by student group in North" in section
    assert "61%" in section and "52%" not in section  # North's All students, not the county's
    assert SECRET not in text and "35,5" not in text and privacy.STAFF_LABEL not in text
    assert privacy.footnote(privacy.Reason.PRIMARY, 11) in section
    # The select says which district is shown, whichever way the address named it.
    assert f'<option value="{north.pk}" selected>North</option>' in section
    assert '<label for="equity-district">District</label>' in section
    assert "All districts (county-wide)</option>" in section


def test_staff_see_the_districts_real_figure_and_the_readings_of_that_district(
        client, users, world):
    client.force_login(users["leadership"])
    text = page(client, "?view=groups&district=north")
    assert SECRET in by_group_section(text) and privacy.STAFF_LABEL in text
    # The readings slice reads the same parameter: North chosen there too.
    assert re.search(r'<select name="district" id="id_district"[^>]*>.*?<option value="'
                     rf'{world["north"].pk}" selected>', text, re.S)


def test_without_a_district_the_view_is_the_county(client, world):
    section = by_group_section(page(client, "?view=groups"))
    assert "Reading rate by student group, all districts" in section
    assert "52%" in section and NO_SUCH not in section


@pytest.mark.parametrize("value", [
    "<script>alert(1)</script>", "9" * 30, "99999", "-1", "abc", "north\x00", "٣", " ",
    "north-", "x" * 5000, "1e3", "other", "19646340000001"])
def test_an_unknown_district_says_so_and_shows_the_county(client, world, value):
    other = DistrictFactory(name="Other plan's district", code="other")  # not this plan's
    ReadingFactory(metric=world["metric"], value=Decimal("12.5"), district=other)
    rebuild(world)
    text = page(client, "", {"view": "groups", "district": value})
    section = by_group_section(text)
    if value.strip():
        assert html_lib.escape(NO_SUCH) in section or NO_SUCH in section
    assert "Reading rate by student group, all districts" in section and "52%" in section
    assert "12.5%" not in text and "<script>alert(1)" not in text


def test_an_unknown_district_does_not_reach_a_nul_byte_to_the_database(world):
    request = RequestFactory().get("/", {"view": "groups", "district": "x\x00"})
    context = equity_context(request, world["metric"], public_view=True)
    assert context["by_group"].district is None
    assert context["district_form"].errors["district"] == [NO_SUCH + " (county-wide)."]


def test_the_district_view_in_spanish(client, world):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    try:
        text = page(client, "", {"view": "groups", "district": "north"})
        unknown = page(client, "", {"view": "groups", "district": "nowhere"})
    finally:
        translation.activate(settings.LANGUAGE_CODE)
    section = re.sub(r"<[^>]+>", "", by_group_section(text))  # names keep lang="en"
    assert "Reading rate por grupo de estudiantes en North: la cifra más reciente" in section
    assert "Mostrar los grupos de estudiantes" in section
    assert "Todos los distritos (todo el condado)" in section
    assert SECRET not in text and "35,5" not in text
    assert "Este plan no tiene ese distrito: las cifras de abajo son de todos" in unknown


def test_the_by_district_table_and_the_heat_map_link_each_district_to_its_groups(
        client, world):
    text = page(client, "?view=districts")
    north = equity.view_url(world["metric"], district_id=world["north"].pk)
    assert north == metric_url(f"?view=groups&district={world['north'].pk}#equity-heading")
    link = html_lib.escape(north)
    table, heat = text.split('id="heat-map-heading"')
    assert f'<a href="{link}">North</a>' in table
    assert f'<a href="{link}">North</a>' in heat
    county = html_lib.escape(equity.view_url(world["metric"]))
    assert f'<a href="{county}">All districts (county-wide)</a>' in heat


def test_the_pillar_page_for_one_slice_links_to_the_metric_pages_same_view(
        client, users, world):
    client.force_login(users["leadership"])
    metric = world["metric"]
    url = reverse("pillars:pillar", args=[metric.plan.slug, metric.pillar.slug])
    north, learners = world["north"].pk, world["learners"].pk
    cache.clear()
    text = client.get(url, {"district": north, "student_group": learners}).content.decode()
    link = equity.view_url(metric, district_id=north, group_id=learners)
    assert html_lib.escape(link) in text
    # Followed, it shows North's groups (58% among them) and North's English learners'
    # readings: the figure the pillar row showed.
    cache.clear()
    followed = client.get(link.split("#")[0]).content.decode()
    assert "By student group: North</h3>" in followed and "58%" in by_group_section(followed)
    assert re.search(rf'<option value="{learners}" selected>English learners', followed)
    cache.clear()
    county = client.get(url).content.decode()
    assert f'href="{metric.get_absolute_url()}"' in county  # no slice: the plain page


@pytest.mark.parametrize("who", ["public", "leadership"])
def test_the_district_view_costs_the_same_queries_whatever_the_number_of_groups(
        client, users, world, django_assert_max_num_queries, who):
    if who != "public":
        client.force_login(users[who])
    query = f"?view=groups&district={world['north'].pk}"
    cache.clear()
    with django_assert_max_num_queries(40) as few:  # 12 in public, 23 for staff
        client.get(metric_url(query))
    for n in range(12):
        group = StudentGroup.objects.create(code=f"g{n}", name=f"Group {n:02d}")
        group.plans.add(world["plan"])
        ReadingFactory(metric=world["metric"], value=n, district=world["north"],
                       student_group=group)
    rebuild(world)
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        text = client.get(metric_url(query)).content.decode()
    assert "Group 11" in by_group_section(text)


def test_the_district_view_reads_the_district_and_its_rows_in_two_queries(
        world, django_assert_num_queries):
    request = RequestFactory().get("/", {"view": "groups", "district": "north"})
    world["metric"].plan  # noqa: B018 (loaded with the metric, as the pages do)
    with django_assert_num_queries(2):  # the district named, then its snapshots
        rows = equity_context(request, world["metric"], public_view=True)["by_group"].rows
    assert len(rows) == 3
