import pytest
from django.urls import reverse

from metrics.aggregates import rebuild
from metrics.services import reading_record

from ..factories import GoalFactory, MetricFactory, PillarFactory, ReadingFactory


def test_home_is_public_and_shows_pillars_with_headline_figures(client, plan_with_figures):
    plan, pillar, _ = plan_with_figures
    html = client.get(reverse("pillars:home")).content.decode()
    assert plan.mission in html and plan.vision in html
    assert pillar.name in html and pillar.commitment in html
    assert "more than 6,000" in html
    assert "Educators Trained in Structured Literacy" in html
    assert pillar.get_absolute_url() not in html  # signed out: no link to a page it cannot open


def test_home_without_a_plan_says_how_to_load_one(client, db):
    assert "load_plan fixtures/lacoe" in client.get("/").content.decode()


@pytest.mark.parametrize("name", ["pillar", "plan", "metric"])
def test_every_other_page_needs_sign_in(client, plan_with_figures, name):
    url = _url(name, plan_with_figures)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["pillar", "plan", "metric"])
def test_signed_in_without_a_role_is_refused(client, users, plan_with_figures, name):
    client.force_login(users["outsider"])
    assert client.get(_url(name, plan_with_figures)).status_code == 403


@pytest.mark.parametrize("role", ["steward", "lead", "leadership", "comms", "administrator"])
def test_every_staff_role_reads_the_pillar_page(client, users, plan_with_figures, role):
    _, pillar, headline = plan_with_figures
    client.force_login(users[role])
    html = client.get(pillar.get_absolute_url()).content.decode()
    assert pillar.commitment in html
    assert "Goal: Make measurable gains in literacy." in html
    assert "more than 6,000" in html
    assert "Untouched metric" in html and "No data" in html
    assert "No target" in html  # LACOE-like data: nothing judged without a target


@pytest.mark.parametrize("name", ["pillar", "plan", "metric", "home"])
def test_pages_refuse_writes(client, users, plan_with_figures, name):
    client.force_login(users["administrator"])
    assert client.post(_url(name, plan_with_figures)).status_code == 405


def test_unknown_pillar_and_metric_are_404(client, users, plan_with_figures):
    plan, _, _ = plan_with_figures
    client.force_login(users["leadership"])
    assert client.get(f"/plans/{plan.slug}/pillars/nope/").status_code == 404
    assert client.get(f"/plans/{plan.slug}/metrics/nope/").status_code == 404
    assert client.get("/plans/nope/").status_code == 404


def test_metric_page_shows_its_readings_with_sources(client, users, plan_with_figures):
    _, _, headline = plan_with_figures
    reading_record(
        metric=headline, period="2022-23", value="5000", source_text="<b>5,000</b> in 2022",
        approve=True,
    )
    rebuild()
    client.force_login(users["leadership"])
    html = client.get(headline.get_absolute_url()).content.decode()
    assert "more than 6,000" in html and "5,000" in html
    assert "&lt;b&gt;5,000&lt;/b&gt; in 2022" in html  # source text is escaped, never raw HTML
    assert html.index("2023-24") < html.index("2022-23")  # newest first


def test_pillar_page_query_count_does_not_grow_with_metrics_or_readings(
    client, users, plan_with_figures, django_assert_max_num_queries
):
    _, pillar, headline = plan_with_figures
    client.force_login(users["leadership"])
    # 18: with the plan's life (its end and grace, once) and the newest approved period;
    # 20 with the filter's district and student-group choices (one query each); 21 with
    # the whole-page cache's key (pillars/page_cache.py: the aggregates' version and the
    # plan's publication in one query), which a cached repeat costs instead of the page.
    with django_assert_max_num_queries(21) as baseline:
        client.get(pillar.get_absolute_url())
    for i in range(30):
        metric = MetricFactory(pillar=pillar)
        ReadingFactory(metric=metric, period="2022-23", value=i)
        ReadingFactory(metric=metric, period="2023-24", value=i + 1)
    rebuild()
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        client.get(pillar.get_absolute_url())


def test_home_and_metric_query_counts_are_constant(
    client, users, plan_with_figures, django_assert_max_num_queries
):
    plan, pillar, headline = plan_with_figures
    client.force_login(users["leadership"])
    # 11: with the newest approved period the footer names.
    with django_assert_max_num_queries(11) as home:
        client.get("/")
    with django_assert_max_num_queries(23) as detail:  # 20 + the page cache's key
        client.get(headline.get_absolute_url())
    for year in (2022, 2023, 2024):
        for month in range(1, 13):
            if 2022 * 12 + 6 <= year * 12 + month - 1 <= 2025 * 12 + 5:
                ReadingFactory(metric=headline, period=f"{year}-{month:02d}", value=month)
    for i in range(8):
        other = PillarFactory(plan=plan)
        MetricFactory(pillar=other, is_headline=True, headline_label=f"H{i}", headline_order=1)
    rebuild()
    with django_assert_max_num_queries(len(home.captured_queries)):
        client.get("/")
    with django_assert_max_num_queries(len(detail.captured_queries)):
        client.get(headline.get_absolute_url())


def _url(name, plan_with_figures):
    plan, pillar, metric = plan_with_figures
    return {
        "pillar": pillar.get_absolute_url(),
        "plan": plan.get_absolute_url(),
        "metric": metric.get_absolute_url(),
        "home": "/",
    }[name]


def test_pillar_table_filters_sorts_and_exports_csv(client, users, plan_with_figures):
    _, pillar, headline = plan_with_figures
    client.force_login(users["leadership"])
    url = pillar.get_absolute_url()
    response = client.get(url, {"q": "educators"})
    assert "Educators trained" in response.content.decode()
    table = response.context["table"]
    assert [row.record.metric.name for row in table.rows] == ["Educators trained"]
    nodata = client.get(url, {"status": "no_data"}).context["table"]
    assert [row.record.metric.name for row in nodata.rows] == ["Untouched metric"]
    ordered = client.get(url, {"sort": "-name"}).context["table"]
    assert [r.record.metric.name for r in ordered.rows] == ["Untouched metric", "Educators trained"]
    bad = client.get(url, {"status": "bogus", "unit": "<script>alert(7)</script>", "q": "x" * 500})
    assert bad.status_code == 200 and "<script>alert(7)" not in bad.content.decode()
    export = client.get(url, {"_export": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("Metric,Code,Priority area,Status,Latest")
    assert any(line.startswith("Educators trained,") and ",6000," in line for line in lines)


def test_synthetic_plan_is_marked_on_pages_and_every_exported_row(
    client, users, plan_with_figures
):
    plan, pillar, _ = plan_with_figures
    plan.is_synthetic = True
    plan.save()
    client.force_login(users["leadership"])
    for url in (plan.get_absolute_url(), pillar.get_absolute_url()):
        assert "Synthetic data" in client.get(url).content.decode()
    export = client.get(pillar.get_absolute_url(), {"_export": "csv"})
    assert "SYNTHETIC" in export["Content-Disposition"]
    rows = export.content.decode().splitlines()[1:]
    assert rows and all("SYNTHETIC DATA" in row for row in rows)


def test_overview_shows_rollups_attention_and_freshness(client, users, plan_with_figures):
    plan, pillar, _ = plan_with_figures
    client.force_login(users["leadership"])
    html = client.get(plan.get_absolute_url()).content.decode()
    assert "Figures computed" in html
    assert "No data yet" in html and "Untouched metric" in html  # needs attention
    # The roll-up's reason: 1 of 2 metrics has data, none a target.
    assert "Not enough targets to judge (0 of 2 tracked metrics have a target)" in html
    assert 'src="/static/vendor/plotly-basic-4.1.1.min.js"' in html
    assert "cdn" not in html.lower()


def test_metric_page_lists_one_slice_of_readings_paginated(client, users, plan_with_figures):
    from metrics.models import District

    _, _, headline = plan_with_figures
    district = District.objects.create(code="d9", name="Inglewood Unified")
    district.plans.add(headline.plan)
    for year in range(2022, 2025):
        for month in range(1, 13):
            if 2022 * 12 + 6 <= year * 12 + month - 1 <= 2025 * 12 + 5:
                ReadingFactory(metric=headline, period=f"{year}-{month:02d}", value=month,
                               district=district)
    client.force_login(users["leadership"])
    county = client.get(headline.get_absolute_url()).context["readings"]
    assert [row.record.period for row in county.paginated_rows] == ["2023-24"]
    page = client.get(headline.get_absolute_url(), {"district": district.pk})
    readings = page.context["readings"]
    assert readings.paginator.count == 30 and len(readings.page.object_list) <= 50
    assert "Inglewood Unified" in page.content.decode()
    junk = client.get(headline.get_absolute_url(), {"district": "junk", "page": "x"})
    assert junk.status_code == 200
    assert "Select a valid choice" in junk.content.decode()  # said next to the field


def test_home_links_the_synthetic_demo_plan_for_staff_only(client, users, plan_with_figures):
    from ..factories import PlanFactory

    demo = PlanFactory(name="Demo plan (synthetic data)", slug="demo", is_synthetic=True)
    assert demo.get_absolute_url() not in client.get("/").content.decode()
    client.force_login(users["leadership"])
    html = client.get("/").content.decode()
    assert demo.get_absolute_url() in html and "synthetic data" in html
    assert "Synthetic data: this demo plan" in client.get(demo.get_absolute_url()).content.decode()


# --- Every input parses or is refused politely; bounded pages (issue 12) -----------


PILLAR_QUERIES = [
    {"priority_area": "abc"}, {"goal": "1.5"}, {"owner": "99999999999999999999"},
    {"owner": "٣"}, {"status": "<script>alert(7)</script>"}, {"level": "bogus"},
    {"stale": "-1"}, {"unit": ""}, {"q": "\x00"}, {"page": "abc"}, {"page": "-1"},
    {"page": "0"}, {"page": "99999999999999999999"}, {"page": "٣"},
    {"per_page": "100000"}, {"per_page": "-5"}, {"sort": "<script>alert(7)</script>"},
    {"sort": "metric__plan__slug"}, {"sort": "-"}, {"_export": "exe"},
]
METRIC_QUERIES = [
    {"district": "abc"}, {"district": "1.5"}, {"district": "99999999999999999999"},
    {"district": "٣"}, {"student_group": "abc"}, {"page": "abc"}, {"page": "-1"},
    {"page": "99999999999999999999"}, {"per_page": "100000"},
]


@pytest.mark.parametrize(
    ("name", "query"),
    [("pillar", q) for q in PILLAR_QUERIES] + [("metric", q) for q in METRIC_QUERIES],
)
def test_pages_answer_any_query_without_a_server_error(
    client, users, plan_with_figures, name, query
):
    client.force_login(users["leadership"])
    client.raise_request_exception = False
    response = client.get(_url(name, plan_with_figures), query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "more than 6,000" in html and "<script>alert(7)" not in html
    context = response.context
    table = context["table"] if name == "pillar" else context["readings"]
    assert len(table.page.object_list) <= 50
    form = context["filter"].form if name == "pillar" else context["slice_form"]
    if form.is_bound and not form.is_valid():  # a refused filter says so by its field
        assert 'class="errorlist"' in html


def _pillar_of(plan, slug, count):
    """A pillar of `count` metrics spread over 3 priority areas of 3 goals each (and a
    few on the areas and the pillar themselves); a third with a target and two readings."""
    from ..factories import PriorityAreaFactory

    pillar = PillarFactory(plan=plan, slug=slug, name=f"Pillar {slug}")
    goals = []
    for a in range(3):
        area = PriorityAreaFactory(pillar=pillar, code=f"{slug}-a{a}", name=f"Area {a}")
        goals += [GoalFactory(priority_area=area, code=f"{slug}-a{a}g{g}",
                              statement=f"Goal {a}.{g}") for g in range(3)]
    for i in range(count):
        goal = goals[i % len(goals)] if i % 10 else None
        area = goal.priority_area if goal else (
            pillar.priority_areas.first() if i % 20 else None)
        metric = MetricFactory(
            plan=plan, pillar=pillar, priority_area=area, goal=goal,
            code=f"{slug}-m{i:04d}", name=f"Metric {i:04d}", unit="percent",
            **({"target_value": 90, "target_period": "2024-25", "baseline_value": 20,
                "baseline_period": "2021-22"} if i % 3 == 0 else {}),
        )
        if i % 3 == 0:
            ReadingFactory(metric=metric, period="2022-23", value=30 + i % 40)
            ReadingFactory(metric=metric, period="2023-24", value=35 + i % 50)
    return pillar


def test_a_300_metric_pillar_page_is_no_bigger_than_a_30_metric_one(
    client, users, plan_with_figures
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan, _, _ = plan_with_figures
    small, big = _pillar_of(plan, "small", 30), _pillar_of(plan, "big", 300)
    rebuild()
    client.force_login(users["leadership"])
    pages = {}
    for pillar in (small, big):
        client.get(pillar.get_absolute_url())  # warm caches (sessions, permissions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(pillar.get_absolute_url())
        pages[pillar.slug] = (response, len(response.content), len(queries.captured_queries))
    (small_page, small_size, small_queries), (big_page, big_size, big_queries) = (
        pages["small"], pages["big"])
    assert big_queries == small_queries
    assert big_size <= 1.2 * small_size, (small_size, big_size)
    html = big_page.content.decode()
    # The outline is collapsed by goal: counts in each summary, a link to the goal's rows.
    collapsed = "This pillar has too many metrics to list here"
    assert collapsed in html and collapsed not in small_page.content.decode()
    assert html.count('<details class="metric-group">') == 11  # 9 goals, an area, the pillar
    goal = big.priority_areas.first().goals.first()
    assert "30 metrics: " in html and f"?goal={goal.pk}#all-metrics" in html
    # The table shows 50 rows a page, and pages through the 300.
    first_page = client.get(big.get_absolute_url(), {"page": 1})  # not cached yet: a context
    assert len(first_page.context["table"].page.object_list) == 50
    assert "Page 1 of 6" in html and "Metrics 1–50 of 300 shown." in html
    export = client.get(big.get_absolute_url(), {"_export": "csv"})
    assert len(export.content.decode().splitlines()) == 1 + 300  # the export: every row
    # The small pillar still lists its metrics under their goals, open.
    small_html = small_page.content.decode()
    assert small_html.count('<details class="metric-group" open>') == 11
    assert small_html.count("Metric 0") >= 2 * 30 - 10  # outline and table
    # Following a goal's link lists that goal's metrics.
    linked = client.get(big.get_absolute_url(), {"goal": goal.pk}).context["table"]
    assert linked.paginator.count == 30
    assert {row.record.metric.goal_id for row in linked.page.object_list} == {goal.pk}
