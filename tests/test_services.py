"""Tests on the real services: PostgreSQL and a live Celery worker on Redis.

They skip when the service is absent, and fail instead under REQUIRE_SERVICES=1 (CI).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from metrics.models import Reading
from metrics.tasks import worker_health

from .conftest import require_service
from .factories import ReadingFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.django_db
def test_runs_on_postgresql_with_persistent_connections():
    require_service(
        connection.vendor == "postgresql",
        "PostgreSQL is not configured: set DATABASE_URL=postgres://... to run this test.",
    )
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    ReadingFactory()
    assert Reading.objects.count() == 1


def _redis_reachable():
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def live_worker(tmp_path):
    require_service(
        _redis_reachable(),
        "Redis is not configured or not reachable: set REDIS_URL=redis://... to run this test.",
    )
    env = {**os.environ, "DEBUG": "1"}
    # The worker must see the rows this test commits, so it uses the test database.
    env["DATABASE_URL"] = _database_url_of_test_db()
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "lacoe_kpi", "worker", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "-Q", "celery"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()


def _database_url_of_test_db():
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or 'localhost'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_on_redis_runs_a_task_against_our_database(live_worker):
    ReadingFactory()
    ReadingFactory(period="2022-23")
    deadline = time.monotonic() + 60
    answer = None
    while answer is None and time.monotonic() < deadline:
        assert live_worker.poll() is None, "the Celery worker exited"
        try:
            answer = worker_health.apply_async().get(timeout=10)
        except Exception:  # noqa: BLE001 - the worker may still be starting
            answer = None
    assert answer == {"metrics": 2, "readings": 2}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_saved_reading_reaches_the_dashboard_through_the_live_worker(live_worker, client, users):
    from django.core.cache import cache

    from metrics import aggregates
    from metrics.models import MetricSnapshot, PendingRebuild
    from metrics.services import reading_record

    from .factories import MetricFactory

    cache.delete(aggregates.QUEUED_KEY)
    metric = MetricFactory(name="Educators trained")
    aggregates.rebuild()
    client.force_login(users["leadership"])
    reading_record(
        metric=metric, period="2023-24", value="6000", qualifier="more_than", approve=True
    )
    assert PendingRebuild.objects.filter(metric=metric).exists()  # marked until the worker runs
    page = client.get(metric.get_absolute_url()).content.decode()
    if PendingRebuild.objects.filter(metric=metric).exists():  # the worker may be that fast
        assert "its update is pending" in page
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and PendingRebuild.objects.filter(metric=metric).exists():
        assert live_worker.poll() is None, "the Celery worker exited"
        time.sleep(0.3)
    html = client.get(metric.pillar.get_absolute_url()).content.decode()
    assert "more than 6,000" in html
    assert MetricSnapshot.objects.get(metric=metric, is_county_wide=True).latest_value == 6000
