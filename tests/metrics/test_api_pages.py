"""Keyset pages of the API's readings and analytics rows (metrics/api/pagination.py): a
walk over `next` links returns every row once, in key order, and back over `previous`;
rows inserted meanwhile neither repeat nor shift a row; a cursor is opaque and a forged
one a 404; a page costs one query whichever page it is."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from metrics.aggregates import rebuild_all
from metrics.api.pagination import READING_KEY
from metrics.models import Reading

from ..factories import DistrictFactory, MetricFactory, PillarFactory, PlanFactory, ReadingFactory

PATHS = ("/api/v1/readings/", "/api/v1/analytics/")
# Three periods that start the same day (a year, its first quarter, its first month):
# the key's later parts, and its id last, order them.
PERIODS = ("2022-23", "2023-24", "2023-24 Q1", "2023-07", "2024-25")


@pytest.fixture
def world(db):
    plan = PlanFactory(slug="open", is_public=True)
    pillar = PillarFactory(plan=plan)
    metrics = [MetricFactory(pillar=pillar, code=code)
               for code in ("z-made-first", "a-made-second")]
    districts = [None, DistrictFactory(code="east"), DistrictFactory(code="west")]
    for metric in metrics:
        for period in PERIODS:
            for district in districts:
                extra = {"district": district} if district else {}
                ReadingFactory(metric=metric, period=period, value=7, **extra)
    # Not approved: in no page.
    ReadingFactory(metric=metrics[0], period="2025-26", value=1, state="submitted")
    rebuild_all()
    return metrics


def in_key_order():
    return list(Reading.objects.filter(approved_value__isnull=False)
                .order_by(*READING_KEY).values_list("metric__code", "period",
                                                    "district__code"))


def row_key(row):
    return row["metric"], row["period"], row["district"]


def walk(url, link="next", **params):
    pages, client = [], Client()
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body
        pages.append(body)
        if not body[link]:
            return pages
        response = client.get(body[link])


@pytest.mark.parametrize("path", PATHS)
def test_a_walk_returns_every_row_once_in_key_order_and_back(world, path):
    pages = walk(path, page_size=4)
    rows = [row_key(row) for page in pages for row in page["results"]]
    assert rows == in_key_order() and len(rows) == 30
    assert [len(page["results"]) for page in pages] == [4] * 7 + [2]
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    # Back from the last page over `previous` links: the same pages, last to first.
    back = walk(pages[-1]["previous"], link="previous")
    assert [p["results"] for p in back] == [p["results"] for p in reversed(pages[:-1])]
    assert back[-1]["next"]  # the first page, reached backwards, still links forwards


def test_rows_inserted_during_a_walk_repeat_or_shift_nothing(world):
    client = Client()
    first = client.get(PATHS[0], {"page_size": 10}).json()
    seen = [row_key(row) for row in first["results"]]
    # One row sorting before the cursor (the first metric made, in key order first, at
    # an earlier period), one after (the second metric, a later period).
    earlier, later = world[0], world[1]
    ReadingFactory(metric=earlier, period="2021-22", value=1)
    ReadingFactory(metric=later, period="2026-27", value=1)
    response = client.get(first["next"])
    while True:
        body = response.json()
        seen += [row_key(row) for row in body["results"]]
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert len(seen) == len(set(seen)) == 31
    assert (later.code, "2026-27", "all") in seen
    missed = (earlier.code, "2021-22", "all")  # before where the walk was
    assert seen == [key for key in in_key_order() if key != missed]


def test_the_cursor_is_opaque_and_a_forged_one_is_a_404_never_a_500(world):
    body = Client().get(PATHS[0], {"page_size": 2}).json()
    cursor = parse_qs(urlsplit(body["next"]).query)["cursor"][0]
    assert str(world[0].pk) not in cursor  # no readable id in the address
    forged = [b"p=1|2023-07-01|1|1", b"p=x|2023-07-01|1|1|1", b"p=1|2023-13-01|1|1|1",
              f"p=1|2023-07-01|1|1|{2**63}".encode(), b"r=1&p=", b"\xff"]
    for value in [base64.b64encode(f).decode() for f in forged] + ["not base64!", "%%"]:
        for path in PATHS:
            response = Client().get(path, {"cursor": value})
            assert response.status_code == 404, (value, response.content)
            assert response.json() == {"detail": "Invalid cursor"}


def test_an_emptied_page_has_no_links(world):
    body = Client().get(PATHS[0], {"page_size": 29}).json()
    Reading.objects.filter(pk__in=Reading.objects.order_by(*READING_KEY)
                           .values("pk")[29:]).delete()
    last = Client().get(body["next"]).json()
    assert last == {"next": None, "previous": None, "results": []}


@pytest.mark.parametrize("path", PATHS)
def test_each_page_is_one_query_first_or_later(world, path, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(1):
        first = client.get(path, {"page_size": 3, "metric": "a-made-second"}).json()
    with django_assert_num_queries(1):
        second = client.get(first["next"]).json()
    assert [r["metric"] for r in first["results"] + second["results"]] == ["a-made-second"] * 6


def test_the_schema_describes_the_cursor_and_its_links(db):
    schema = Client().get("/api/v1/schema/").json()
    for path in PATHS:
        params = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"cursor", "page_size"} <= params and "page" not in params
    listed = schema["components"]["schemas"]["PaginatedReadingList"]["properties"]
    assert set(listed) == {"next", "previous", "results"}


@pytest.mark.parametrize("path", PATHS)
def test_filters_naming_one_metric_district_or_group_walk_only_their_rows(world, path):
    """(They are scalar subqueries, metrics/api/filters.py: the same rows as a join.)"""
    other = MetricFactory(pillar=PillarFactory(plan=PlanFactory(is_public=True)),
                          code="z-made-first")
    ReadingFactory(metric=other, period="2023-24", value=1)
    pages = walk(path, page_size=2, plan="open", metric="z-made-first", district="east",
                 student_group="all")
    rows = [row_key(row) for page in pages for row in page["results"]]
    assert rows == [("z-made-first", period, "east") for period in PERIODS]
    for params in ({"district": "nobody"}, {"student_group": "nobody"},
                   {"plan": "open", "metric": "nobody"},
                   {"plan": "nobody", "metric": "z-made-first"}):
        assert walk(path, **params)[0]["results"] == []
