"""The public view (issue 17): a signed-out visitor of a public plan reads its overview,
pillar and metric pages and a CSV per metric at the staff URLs; approved figures only,
each through the publication rule; nothing staff-only; held-back metrics nowhere."""

import csv
import io

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.aggregates import rebuild, rebuild_all
from metrics.models import MetricSnapshot, Publication
from metrics.privacy import MARK
from metrics.public import UNDECIDED_FOOTNOTE

from ..factories import (
    DistrictFactory,
    GoalFactory,
    MetricFactory,
    ReadingFactory,
    UserFactory,
)

OWNER_EMAIL = "owner-sentinel@example.org"
PENDING = "777123"
NOTE = "NOTE-SENTINEL"
SUPPRESSED = "424242"
SUPPRESSED_DISTRICT = "919191"
HELD_BACK = "Held-back sentinel metric"
EVIDENCE = "evidence-sentinel"

# What no public page or file may hold: the owner, a pending value, a note, evidence,
# history, entry and approval links, a suppressed figure (written either way).
STAFF_ONLY = [OWNER_EMAIL, "Owner Sentinel", PENDING, "777,123", NOTE, EVIDENCE, "/evidence/",
              "/enter/", "/target/", "/approvals/", "/worklists/", "History", "Pending approval",
              SUPPRESSED, "424,242", SUPPRESSED_DISTRICT, "919,191", HELD_BACK, "31337"]


def published(metric, **kwargs):
    return ReadingFactory(metric=metric, publication=Publication.PUBLISHED, **kwargs)


def decide_snapshots(metric, latest, previous=Publication.PUBLISHED):
    """What the publication worker (engineer `publish`) writes onto a metric's snapshots
    after a rebuild."""
    MetricSnapshot.objects.filter(metric=metric).update(
        latest_publication=latest, previous_publication=previous)


@pytest.fixture
def public_plan(db):
    goal = GoalFactory(statement="Make measurable gains in literacy.")
    pillar = goal.priority_area.pillar
    plan = pillar.plan
    plan.is_public = True
    plan.save()
    place = {"pillar": pillar, "priority_area": goal.priority_area, "goal": goal}
    shown = MetricFactory(**place, name="Educators trained", is_headline=True,
                          headline_label="Educators Trained", headline_order=1)
    owner = UserFactory(username="sentinel", email=OWNER_EMAIL, first_name="Owner",
                        last_name="Sentinel")
    shown.owners.add(owner)
    published(shown, period="2022-23", value=5000)
    latest = published(shown, period="2023-24", value=6000, note=NOTE)
    latest.evidence_file.save(f"{EVIDENCE}.pdf", ContentFile(b"%PDF-1.4"), save=True)
    ReadingFactory(metric=shown, period="2024-25", value=int(PENDING), state="submitted")
    published(shown, period="2023-24", value=55, district=DistrictFactory(name="Open district"))
    ReadingFactory(metric=shown, period="2023-24", value=int(SUPPRESSED_DISTRICT),
                   district=DistrictFactory(name="Small district"),
                   publication=Publication.PRIMARY)
    small = MetricFactory(**place, name="Small program", is_headline=True,
                          headline_label="Small program", headline_order=2)
    ReadingFactory(metric=small, period="2023-24", value=int(SUPPRESSED),
                   publication=Publication.PRIMARY)
    held = MetricFactory(**place, name=HELD_BACK, public_hidden=True)
    published(held, period="2023-24", value=31337)
    rebuild()
    decide_snapshots(shown, Publication.PUBLISHED)
    decide_snapshots(small, Publication.PRIMARY)
    decide_snapshots(held, Publication.PUBLISHED)
    return {"plan": plan, "pillar": pillar, "shown": shown, "small": small, "held": held}


def _csv_url(metric):
    return reverse("metrics:public_csv", args=[metric.plan.slug, metric.code])


def _pages(world):
    return {
        "overview": world["plan"].get_absolute_url(),
        "pillar": world["pillar"].get_absolute_url(),
        "metric": world["shown"].get_absolute_url(),
        "small metric": world["small"].get_absolute_url(),
    }


def _assert_nothing_staff_only(text):
    assert [s for s in STAFF_ONLY if s in text] == []


@pytest.mark.parametrize("page", ["overview", "pillar", "metric", "small metric"])
def test_every_public_page_answers_signed_out_without_anything_staff_only(
        client, public_plan, page):
    response = client.get(_pages(public_plan)[page])
    assert response.status_code == 200
    html = response.content.decode()
    _assert_nothing_staff_only(html)
    assert "Small program" in html or page == "metric"
    if page != "metric":  # the suppressed figure is the mark and its footnote
        assert "not published: see the notes on figures" in html
        assert "Fewer than 11 students: not published" in html


def test_the_public_overview_shows_published_figures_statuses_and_counts_of_public_metrics(
        client, public_plan):
    html = client.get(public_plan["plan"].get_absolute_url()).content.decode()
    assert "Educators Trained" in html and "6,000" in html
    assert "status-" in html and 'aria-hidden="true"' in html  # status: word and icon
    assert "2 metrics" in html  # the held-back one is not counted
    assert "Data table" in html and "js-chart" in html
    assert "Worklists" not in html and "Needs attention" not in html


def test_the_public_metric_page_shows_the_change_trend_and_csv_link(client, public_plan):
    metric = public_plan["shown"]
    html = client.get(metric.get_absolute_url()).content.decode()
    assert "6,000" in html and "5,000" in html and "since 2022-23" in html
    assert 'id="trend"' in html and "Figures" in html
    assert _csv_url(metric) in html
    assert "Owners" not in html and "Readings" not in html


def test_a_change_is_public_only_when_both_figures_are_published(client, public_plan):
    metric = public_plan["shown"]
    decide_snapshots(metric, Publication.PUBLISHED, previous=Publication.UNDECIDED)
    cache.clear()
    html = client.get(metric.get_absolute_url()).content.decode()
    assert "6,000" in html and "since 2022-23" not in html


def test_an_undecided_figure_is_not_published(client, public_plan):
    metric = public_plan["shown"]
    decide_snapshots(metric, Publication.UNDECIDED)
    cache.clear()
    html = client.get(public_plan["plan"].get_absolute_url()).content.decode()
    assert "6,000" not in html and UNDECIDED_FOOTNOTE in html


def test_the_public_csv_holds_published_figures_and_marks_the_others(client, public_plan):
    response = client.get(_csv_url(public_plan["shown"]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    text = response.content.decode("utf-8-sig")
    _assert_nothing_staff_only(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["period"], r["district"], r["value"]) for r in rows} >= {
        ("2023-24", "Open district", "55"), ("2023-24", "Small district", MARK)}
    assert [r["footnote"] for r in rows if r["value"] == MARK] == [
        f"{MARK} Fewer than 11 students: not published, to protect student privacy."]
    assert list(rows[0]) == ["period", "value", "qualifier", "district", "student_group",
                             "footnote"]


def test_the_public_csv_is_formula_safe(client, public_plan):
    DistrictFactory(name="=HYPERLINK(\"http://x\")")
    district = DistrictFactory(name="@SUM(A1)")
    published(public_plan["shown"], period="2021-22", value=1, district=district)
    text = client.get(_csv_url(public_plan["shown"])).content.decode("utf-8-sig")
    assert ",'@SUM(A1)," in text


@pytest.mark.parametrize("page", ["1", "0", "-1", "x", "９", "", "9" * 400, "<script>", "=1+1"])
def test_public_pages_and_csv_survive_any_page_parameter(client, public_plan, page):
    for url in (public_plan["pillar"].get_absolute_url(), _csv_url(public_plan["shown"])):
        response = client.get(url, {"page": page})
        assert response.status_code == 200
        assert b"<script>" not in response.content


def test_a_held_back_metric_is_404_in_public(client, public_plan):
    held = public_plan["held"]
    assert client.get(held.get_absolute_url()).status_code == 404
    assert client.get(_csv_url(held)).status_code == 404


def test_a_plan_that_is_not_public_sends_the_visitor_to_sign_in(client, public_plan):
    plan = public_plan["plan"]
    plan.is_public = False
    plan.save()
    login = reverse("login")
    for url in [*_pages(public_plan).values(), _csv_url(public_plan["shown"])]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(login), url
    missing = client.get(f"/plans/{plan.slug}/metrics/no-such-metric/")
    assert missing.status_code == 302  # no more said of what exists than before


def test_signed_in_without_a_role_is_still_refused_and_staff_see_theirs(client, users,
                                                                         public_plan):
    client.force_login(users["outsider"])
    assert client.get(public_plan["plan"].get_absolute_url()).status_code == 403
    client.force_login(users["leadership"])
    html = client.get(public_plan["shown"].get_absolute_url()).content.decode()
    assert "History" in html and "Owner Sentinel" in html and HELD_BACK not in html
    assert HELD_BACK in client.get(public_plan["pillar"].get_absolute_url()).content.decode()


def test_the_home_page_links_signed_out_visitors_to_the_public_plan(client, public_plan):
    html = client.get(reverse("pillars:home")).content.decode()
    assert public_plan["plan"].get_absolute_url() in html
    assert public_plan["pillar"].get_absolute_url() in html


def test_public_pages_refuse_writes(client, public_plan):
    for url in _pages(public_plan).values():
        assert client.post(url).status_code == 405


def _queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("page", ["overview", "pillar", "metric", "csv"])
def test_public_query_counts_do_not_grow_with_metrics_or_readings(
        client, public_plan, page, django_assert_max_num_queries):
    urls = {**_pages(public_plan), "csv": _csv_url(public_plan["shown"])}
    before = _queries(client, urls[page])
    for n in range(8):
        metric = MetricFactory(pillar=public_plan["pillar"], is_headline=True,
                               headline_label=f"Extra {n}", headline_order=10 + n)
        published(metric, period="2023-24", value=n)
        published(public_plan["shown"], period="2023-24", value=n,
                  district=DistrictFactory())
    rebuild()
    assert _queries(client, urls[page]) == before
    # 14, and the whole-page cache's key (pillars/page_cache.py: one query) on the pages
    # it serves.
    with django_assert_max_num_queries(15):
        cache.clear()
        client.get(urls[page])


def test_the_home_page_shows_headlines_through_the_publication_rule(client, public_plan):
    # The home page is the published report for everyone: a held-back metric is not on it
    # and a figure the rule withholds is "*" with its footnote, signed in or not.
    shown = public_plan["shown"]
    shown.is_headline, shown.headline_label, shown.headline_order = True, "Shown callout", 1
    shown.save()
    rebuild_all()
    page = client.get("/").content.decode()
    assert "Shown callout" in page
    MetricSnapshot.objects.filter(metric=shown).update(latest_publication="primary")
    cache.clear()
    page = client.get("/").content.decode()
    assert "Shown callout" in page and "Fewer than" in page
    shown.public_hidden = True
    shown.save()
    cache.clear()
    assert "Shown callout" not in client.get("/").content.decode()
