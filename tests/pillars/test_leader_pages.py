"""Issue 10 on the pages: the plan's life, the period of each figure, and an overview of
LACOE's data that says something true (clock frozen after the plan's end)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.aggregates import rebuild
from metrics.filters import MetricSnapshotFilter
from metrics.selectors import dashboard_rows
from metrics.services.plans import plan_close

pytestmark = pytest.mark.django_db


@pytest.fixture
def lacoe(lacoe_plan, after_the_plan):
    rebuild()
    return lacoe_plan


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_every_plan_page_says_the_plan_ended(lacoe, client, users):
    client.force_login(users["leadership"])
    pillar = lacoe.pillars.order_by("order").first()
    metric = lacoe.metrics.filter(readings__isnull=False).first()
    for url in ("/", lacoe.get_absolute_url(), pillar.get_absolute_url(),
                metric.get_absolute_url()):
        assert "This plan ended on 30 June 2025." in _get(client, url), url


def test_a_closed_plan_shows_final_statuses(lacoe, client, users):
    plan_close(plan=lacoe)
    rebuild()
    client.force_login(users["leadership"])
    html = _get(client, lacoe.pillars.order_by("order").first().get_absolute_url())
    assert "(final)" in html and "its figures and statuses are final" in html


def test_a_metric_with_one_period_reads_baseline_with_its_period(lacoe, client, users):
    client.force_login(users["leadership"])
    row = dashboard_rows().filter(metric__plan=lacoe, status="baseline").first()
    assert row is not None
    html = _get(client, row.metric.get_absolute_url())
    assert f"Baseline ({row.latest_period})" in html


def test_an_ended_plan_has_no_overdue_rows(lacoe):
    pillar = lacoe.pillars.order_by("order").first()
    rows = dashboard_rows().filter(metric__pillar=pillar)
    overdue = MetricSnapshotFilter({"stale": "overdue"}, queryset=rows, pillar=pillar).qs
    current = MetricSnapshotFilter({"stale": "current"}, queryset=rows, pillar=pillar).qs
    assert not overdue.exists()
    assert current.count() == rows.count()
    assert timezone.localdate().year == 2026


def test_home_shows_each_headline_with_its_period_and_says_what_it_shows(lacoe, client):
    html = _get(client, "/")
    assert "Figures from the LACOE 2023-24 Annual Report" not in html
    assert f"This page shows {lacoe.name}: approved figures, latest 2023-24" in html
    assert 'class="figure-period muted">2023-24<' in html


def test_the_overview_says_something_true(lacoe, client, users,
                                          django_assert_max_num_queries):
    client.force_login(users["administrator"])
    with django_assert_max_num_queries(30):
        html = _get(client, lacoe.get_absolute_url())
    assert "Not enough targets to judge (0 of 106 tracked metrics have a target)" in html
    assert "0 of 106 tracked metrics have a target with data" in html
    assert "improved" in html and "declined" in html and "baseline" in html
    assert "Last approved value" in html
    assert f"{reverse('metrics:targets_worklist')}?plan={lacoe.slug}" in html
    assert reverse("metrics:approvals") in html
    assert "Nothing is overdue: the plan has ended" in html
    assert "Overdue updates" not in html and "overdue update" not in html
    assert "?status=no_data#all-metrics" in html or "Every metric has data." in html


def test_breadcrumbs_show_names_and_navigation_is_the_same(lacoe, client, users):
    client.force_login(users["leadership"])
    pillar = lacoe.pillars.order_by("order").first()
    html = _get(client, pillar.get_absolute_url())
    assert f'<li aria-current="page">{pillar.name}</li>' in html
    for url in ("/", reverse("metrics:my_updates"), pillar.get_absolute_url()):
        response = client.get(url)
        if response.status_code == 200:
            assert ">Dashboard</a>" in response.content.decode(), url
    assert client.get(reverse("pillars:dashboard")).url == lacoe.get_absolute_url()


def test_the_pillar_table_has_a_default_column_set_and_never_sorts_values(lacoe, client,
                                                                         users):
    client.force_login(users["leadership"])
    url = lacoe.pillars.order_by("order").first().get_absolute_url()
    html = _get(client, url)
    assert ">Unit</a></th>" not in html and "All columns" in html
    assert "sort=latest_value" not in html and "sort=change" not in html
    assert "sort=progress" in html and "sort=status" in html
    assert ">Unit</a></th>" in _get(client, url + "?columns=all")
    assert ">Latest</th>" in _get(client, url + "?sort=-progress")


def test_a_one_reading_trend_labels_its_value_and_says_so(lacoe, client, users):
    client.force_login(users["leadership"])
    row = next(r for r in dashboard_rows().filter(metric__plan=lacoe)
               if r.series and len(r.series) == 1)
    html = _get(client, row.metric.get_absolute_url())
    assert "One reading so far" in html and "one reading so far" in html
    assert '"mode": "markers+text"' in html or '"mode":"markers+text"' in html


def test_the_overview_says_when_each_pillar_last_received_an_approved_value(lacoe, client,
                                                                            users):
    """Freshness: LACOE's figures were approved when the 2023-24 Annual Report was
    published (18 November 2024), not when the fixtures were loaded (today, 1 Dec 2026)."""
    client.force_login(users["leadership"])
    html = _get(client, lacoe.get_absolute_url())
    freshness = html[html.index("<dt>Last approved value</dt>"):]
    freshness = freshness[:freshness.index("</dd>")]
    for pillar in lacoe.pillars.all():
        assert f"<li>{pillar.name}: 18 Nov 2024</li>" in freshness, pillar.name
    assert "2026" not in freshness
