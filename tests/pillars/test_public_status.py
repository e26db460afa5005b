"""A status judged on a figure the publication rule withholds is withheld from the public
with the figure (metrics.public.public_status): On track beside a hidden figure would
bound it against the target. Public pages, the home page's callouts, the counts by
status and the API without a staff token say "Status not shown"; staff see the status."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from metrics.aggregates import rebuild_all
from metrics.models import MetricSnapshot, Publication
from metrics.services.tokens import token_create
from metrics.status import JUDGED, Status

from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory

WITHHELD_BADGE = '<span class="status status-withheld">'
NOT_SHOWN = "Status not shown: the figure is suppressed"


def badge(status):
    return f'<span class="status status-{status}">'


@pytest.fixture
def world(db):
    """A public plan whose one pillar has one headline metric, well past its target, its
    latest figure suppressed (fewer students than the threshold)."""
    plan = PlanFactory(slug="open", is_public=True)
    pillar = PillarFactory(plan=plan, slug="learning")
    metric = MetricFactory(pillar=pillar, code="small", name="Small program", unit="count",
                           baseline_value=Decimal(10), baseline_period="2022-23",
                           target_value=Decimal(20), target_period="2024-25",
                           is_headline=True, headline_label="Small callout", headline_order=1)
    ReadingFactory(metric=metric, period="2022-23", value=10, publication="published")
    ReadingFactory(metric=metric, period="2023-24", value=25, publication="primary")
    rebuild_all()
    snapshots = MetricSnapshot.objects.filter(metric=metric)
    snapshots.update(latest_publication=Publication.PRIMARY)
    status = snapshots.get(district__is_total=True, student_group__is_total=True).status
    assert status in JUDGED  # judged on the hidden 25 against the target of 20
    cache.clear()
    return {"plan": plan, "pillar": pillar, "metric": metric, "status": status}


def public_html(url):
    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("page", ["overview", "pillar", "metric", "home"])
def test_a_suppressed_figure_s_status_is_not_on_any_public_page(world, page):
    url = {"overview": world["plan"].get_absolute_url(),
           "pillar": world["pillar"].get_absolute_url(),
           "metric": world["metric"].get_absolute_url(), "home": "/"}[page]
    html = public_html(url)
    word = str(Status(world["status"]).label)
    # Neither its badge nor its word (in a count, a chart or its data table); the metric
    # page's rule, "On track from 95% of the expected progress", is no status.
    shown = html.replace("On track from", "").lower()
    assert badge(world["status"]) not in html and word.lower() not in shown
    if page in ("pillar", "metric"):  # the metric's own row
        assert WITHHELD_BADGE in html
    if page != "home":  # the overview counts it so (the headline card has no status)
        assert NOT_SHOWN in html
        assert "Fewer than 11 students: not published" in html  # the same footnote
    else:
        assert "Small callout" in html


def test_the_counts_by_status_count_it_as_not_shown(world):
    html = public_html(world["pillar"].get_absolute_url())
    assert "1 status not shown (figure suppressed)" in html or NOT_SHOWN in html
    assert "1 on track" not in html and "1 off track" not in html


def test_staff_keep_the_real_status(world, users):
    client = Client()
    client.force_login(users["leadership"])
    html = client.get(world["metric"].get_absolute_url()).content.decode()
    assert badge(world["status"]) in html and WITHHELD_BADGE not in html


def test_the_api_gives_no_status_without_a_staff_token_and_the_status_with_one(world, users):
    def county(token=None):
        headers = {"Authorization": f"Token {token}"} if token else {}
        rows = Client().get("/api/v1/aggregates/", {"district": "all"},
                            headers=headers).json()["results"]
        return rows[0]

    row = county()
    assert (row["status"], row["status_reason"], row["suppressed"]) == ("", None, True)
    _, raw = token_create(user=users["leadership"], name="BI")
    assert county(raw)["status"] == world["status"]


def test_a_published_figure_keeps_its_status_in_public(world):
    MetricSnapshot.objects.filter(metric=world["metric"]).update(
        latest_publication=Publication.PUBLISHED)
    cache.clear()
    html = public_html(world["metric"].get_absolute_url())
    assert badge(world["status"]) in html and WITHHELD_BADGE not in html
