"""PostgreSQL only: 50 writers save the same reading, which does not exist yet, at once.

SQLite serialises writes, so there the race is simulated (tests/metrics/test_entry.py,
"lost first save"); here it is real: 50 threads, each with its own connection, start
together behind a barrier. One save wins; the 49 others get a conflict that shows the
winner's value, never an IntegrityError or a server error. These tests commit for real
(transactional), so they make their own plan and users; they need about 51 of the
server's connections.
"""

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from metrics.models import Reading
from metrics.services import EditConflict, reading_record

from ..conftest import require_service
from ..factories import MetricFactory

WRITERS = 50

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql(settings):
    require_service(
        connection.vendor == "postgresql",
        "PostgreSQL is not configured: set DATABASE_URL=postgres://... to run this test.",
    )
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def metric(users):
    metric = MetricFactory(code="rate", name="Newsletter open rate", unit="percent")
    metric.owners.add(users["steward"])
    return metric


def _all_at_once(work, count=WRITERS):
    """Run work(i) in `count` threads released together; their outcomes, counted."""
    ready = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        try:
            connection.ensure_connection()  # connected before the start, not during it
            ready.wait(timeout=60)
            outcomes[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - an error is an outcome to count
            outcomes[i] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_fifty_first_saves_through_the_service_one_wins_49_conflict(users, metric):
    def save(i):
        try:
            reading_record(metric=metric, period="2023-24", value=str(40 + i),
                           user=users["steward"], expected_version=0)
        except EditConflict as conflict:
            return "conflict" if conflict.current is not None else "conflict without a row"
        return "saved"

    outcomes = _all_at_once(save)
    assert outcomes == {"saved": 1, "conflict": WRITERS - 1}, outcomes
    assert Reading.objects.filter(metric=metric).count() == 1


def test_fifty_first_saves_through_the_form_one_wins_49_see_its_value(users, metric):
    url = reverse("metrics:enter", args=[metric.plan.slug, metric.code])
    clients = []
    for _ in range(WRITERS):
        client = Client(raise_request_exception=False)
        client.force_login(users["steward"])
        clients.append(client)

    def post(i):
        response = clients[i].post(url, {"period": "2023-24", "value": str(40 + i),
                                          "qualifier": "", "note": "", "version": 0})
        if response.status_code == 302:
            return "saved"
        if response.status_code == 200 and "saved this reading" in response.content.decode():
            return "conflict"
        return f"HTTP {response.status_code}"

    outcomes = _all_at_once(post)
    assert outcomes == {"saved": 1, "conflict": WRITERS - 1}, outcomes
    saved = Reading.objects.get(metric=metric)
    assert 40 <= saved.value < 40 + WRITERS
