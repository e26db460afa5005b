"""The annual-report page: what a reader sees, from approved figures only."""

import pytest
from django.urls import reverse

from metrics.aggregates import rebuild
from metrics.models import Metric, Reading
from metrics.services import reading_record

from ..factories import GoalFactory, MetricFactory, ReadingFactory, UserFactory
from .conftest import squash
from .factories import HighlightFactory


def _report_url(plan, year="2023-24"):
    return reverse("reports:report", args=[plan.slug, year])


def test_the_lacoe_report_shows_the_plan_as_published(client, users, lacoe):
    client.force_login(users["comms"])
    html = squash(client.get(_report_url(lacoe)).content.decode())
    assert "Annual Report 2023-24" in html
    assert lacoe.mission in html and lacoe.vision in html
    # At a glance: the plan-wide figures.
    assert "nearly 2,000,000" in html and "Students served" in html
    assert "4,084" in html and "$627 million" in html
    for pillar in lacoe.pillars.all():
        assert f"Pillar {pillar.order}: {pillar.name}" in html
        assert pillar.commitment.replace("’", "&#x27;") in html or pillar.commitment in html
    assert "more than 6,000" in html and "Educators Trained in Structured Literacy" in html
    assert "$2.5 million" in html and "Grant to Support Multilingual Learners" in html
    # A year-over-year change where a prior approved value exists.
    assert "+2,285" in html and "8,318" in html
    assert "+14,573 from approximately 50,427 in 2022-23" in html
    assert "<svg" in html and 'role="img"' in html  # a chart, with its data table
    assert "Data table" in html


def test_only_approved_values_are_reported(client, users, db):
    goal = GoalFactory()
    pillar = goal.priority_area.pillar
    metric = MetricFactory(pillar=pillar, name="Students tutored", is_headline=True,
                           headline_label="Students Tutored", headline_order=1)
    reading_record(metric=metric, period="2023-24", value="500", approve=True)
    reading_record(metric=metric, period="2023-24", value="999999")  # waits for approval
    draft = MetricFactory(pillar=pillar, name="Draft only metric")
    ReadingFactory(metric=draft, value=77777, state="submitted")
    rebuild()
    client.force_login(users["leadership"])
    html = client.get(_report_url(pillar.plan)).content.decode()
    assert "500" in html and "Students Tutored" in html
    assert "999,999" not in html and "77,777" not in html
    assert "Draft only metric" not in html


def test_a_headline_without_an_approved_figure_says_so(client, users, db):
    metric = MetricFactory(is_headline=True, headline_label="Libraries Opened",
                           headline_order=1)
    client.force_login(users["comms"])
    html = client.get(_report_url(metric.plan)).content.decode()
    assert "No approved figure" in html and "Libraries Opened" in html


def test_pillars_can_be_chosen(client, users, lacoe):
    client.force_login(users["comms"])
    response = client.get(_report_url(lacoe), {"pillar": ["communicate-effectively"]})
    html = squash(response.content.decode())
    assert '<h2 id="pillar-4">Pillar 4: Communicate Effectively</h2>' in html
    assert 'id="pillar-1"' not in html
    assert "This edition covers Pillar 4 of the plan." in html
    assert "nearly 2,000,000" in html  # at a glance stays
    assert "?pillar=communicate-effectively" in html  # the export keeps the choice
    assert 'checked' in html


def test_highlights_appear_rendered_and_safe(client, users, lacoe):
    pillar = lacoe.pillars.get(order=2)
    HighlightFactory(pillar=pillar, body="EASE grew **fast**.\n\n<script>alert(1)</script>")
    HighlightFactory(pillar=None, plan=lacoe, body="A year of *growth*.")
    client.force_login(users["leadership"])
    html = client.get(_report_url(lacoe)).content.decode()
    assert "EASE grew <strong>fast</strong>." in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "A year of <em>growth</em>." in html
    assert "Edit the highlights" not in html  # leadership reads, does not write


def test_communications_get_links_to_write_highlights(client, users, lacoe):
    client.force_login(users["comms"])
    html = client.get(_report_url(lacoe)).content.decode()
    assert reverse("reports:highlight_pillar", args=[lacoe.slug, "2023-24",
                                                     "improve-student-outcomes"]) in html
    assert "Write the introduction" in html


def test_the_report_page_query_count_is_constant(client, users, lacoe,
                                                 django_assert_max_num_queries):
    client.force_login(users["comms"])
    url = _report_url(lacoe)
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert "more than 6,000" in response.content.decode()
    # Ten more metrics with readings and highlights cost no extra query.
    pillar = lacoe.pillars.get(order=1)
    for n in range(10):
        metric = Metric.objects.create(plan=lacoe, pillar=pillar, code=f"extra-{n}",
                                       name=f"Extra {n}")
        ReadingFactory(metric=metric, value=n + 1)
        ReadingFactory(metric=metric, value=n, period="2022-23")
    HighlightFactory(pillar=pillar)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert "Extra 9" in response.content.decode()


def test_index_opens_the_chosen_report_or_says_what_is_wrong(client, users, lacoe):
    client.force_login(users["comms"])
    page = client.get(reverse("reports:index")).content.decode()
    assert 'value="2023-24" selected' in page  # the newest year with approved figures
    for year in lacoe.school_years:  # and a link to each year's report
        assert f'href="{_report_url(lacoe, year)}"' in page
    response = client.get(reverse("reports:index"), {"plan": lacoe.slug, "year": "2023-24"})
    assert response.status_code == 302 and response.url == _report_url(lacoe)
    page = client.get(reverse("reports:index"), {"plan": lacoe.slug, "year": "2030-31"})
    html = page.content.decode()
    assert page.status_code == 200 and "errorlist" in html
    assert "Select a valid choice" in html or "runs from" in html


def test_the_readings_of_other_years_stay_out(client, users, db):
    metric = MetricFactory(name="Books read")
    ReadingFactory(metric=metric, period="2024-25", value=123456)
    client.force_login(users["comms"])
    html = client.get(_report_url(metric.plan)).content.decode()
    assert "123,456" not in html
    assert Reading.objects.filter(metric=metric).count() == 1


@pytest.mark.parametrize("role", ["comms", "administrator"])
def test_a_user_with_several_roles_still_gets_one_page(client, role, users, lacoe):
    user = UserFactory(username=f"multi-{role}")
    user.groups.set(users[role].groups.all() | users["steward"].groups.all())
    client.force_login(user)
    assert client.get(_report_url(lacoe)).status_code == 200
