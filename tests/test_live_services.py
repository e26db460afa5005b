"""Tests on the real services: PostgreSQL, and Celery workers on Redis, through the
faults of a bad day (Redis restarted under a worker, a worker killed mid-rebuild).

They skip when the service is absent, and fail instead under REQUIRE_SERVICES=1 (CI).
Each worker is a subprocess on the test database, so these tests commit for real
(transactional tests: the LACOE plan is not there, each test makes what it needs).
The fault tests run their own redis-server on a free port, never the shared one, and
stop it and their workers when they end; each takes well under a minute.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection

from metrics import aggregates
from metrics.aggregates import queue
from metrics.models import MetricSnapshot, PendingRebuild, Reading
from metrics.services import reading_record
from metrics.tasks import worker_health

from .conftest import aggregate_rows, free_port, require_service, use_redis
from .factories import MetricFactory, ReadingFactory

ROOT = Path(__file__).resolve().parent.parent
WORKER = ["worker", "--loglevel=INFO", "--without-gossip", "--without-mingle",
          "--without-heartbeat", "--concurrency=1", "-Q", "celery"]
# A worker whose first rebuild stalls between the snapshots and the roll-ups (inside
# the rebuild's transaction), after writing the pid of the process running it to
# $SLOW_REBUILD_MARKER: a rebuild to kill. Later rebuilds run at full speed.
SLOW_WORKER = """
import importlib, os, pathlib, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacoe_kpi.settings")
django.setup()
rebuild = importlib.import_module("metrics.aggregates.rebuild")  # the module, not the function
rollups = rebuild._rebuild_rollups
def stalled_rollups(*args, **kwargs):
    marker = pathlib.Path(os.environ["SLOW_REBUILD_MARKER"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return rollups(*args, **kwargs)
rebuild._rebuild_rollups = stalled_rollups
from lacoe_kpi.celery import app
app.worker_main(sys.argv[1:])
"""


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
    try:
        return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


def _require_redis():
    # Also what makes the test database a file (or a server) a worker process can open.
    require_service(
        _redis_reachable(),
        "Redis is not configured or not reachable: set REDIS_URL=redis://... to run this test.",
    )


def _database_url_of_test_db():
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or 'localhost'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


class Worker:
    """A real Celery worker process on the test database, its output in `log`."""

    def __init__(self, log, *, redis_url=None, slow_marker=None, env=None, pool="solo"):
        self.log = log
        environ = {**os.environ, "DEBUG": "1", "DATABASE_URL": _database_url_of_test_db(),
                   **(env or {})}
        if redis_url:
            environ["REDIS_URL"] = redis_url
        if slow_marker:
            environ["SLOW_REBUILD_MARKER"] = str(slow_marker)
            command = [sys.executable, "-c", SLOW_WORKER, *WORKER, f"--pool={pool}"]
        else:
            command = [sys.executable, "-m", "celery", "-A", "lacoe_kpi", *WORKER,
                       f"--pool={pool}"]
        with log.open("w") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=out,
                                            stderr=subprocess.STDOUT)

    def output(self):
        return self.log.read_text(errors="replace")

    def alive(self):
        return self.process.poll() is None

    def wait_for(self, condition, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.alive(), f"the worker exited while waiting for {what}:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {what} in {timeout} s:\n{self.output()}"
            time.sleep(0.2)

    def wait_until_ready(self):
        self.wait_for(lambda: " ready." in self.output(), "worker ready")

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()

    def kill(self):
        self.process.kill()  # SIGKILL: no warm shutdown, no message handed back
        self.process.wait()


class RedisServer:
    """A private redis-server without persistence, which a test may stop and restart."""

    def __init__(self, log):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = log
        self.process = None

    def start(self):
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no"], stdout=out, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, self.log.read_text()
                time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        return redis.Redis(port=self.port, socket_connect_timeout=1)


@pytest.fixture
def workers(tmp_path):
    """Start workers with `workers.start(**kwargs)`; every one is stopped at the end."""
    started = []

    class Workers:
        def start(self, name="worker", **kwargs):
            worker = Worker(tmp_path / f"{name}.log", **kwargs)
            started.append(worker)
            return worker

    yield Workers()
    for worker in started:
        worker.stop()


@pytest.fixture
def private_redis(tmp_path, settings):
    """A redis-server of this test's own; this process's Celery and cache use it."""
    _require_redis()
    require_service(shutil.which("redis-server"), "redis-server is not installed.")
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    try:
        with use_redis(settings, server.url):
            yield server
    finally:
        server.stop()


@pytest.fixture
def live_worker(workers):
    _require_redis()
    return workers.start().process


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


def _pending(metric):
    return PendingRebuild.objects.filter(metric=metric).exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_a_redis_restart_and_the_dashboard_catches_up(
    private_redis, workers, client, users
):
    metric = MetricFactory(name="Educators trained")
    aggregates.rebuild()
    worker = workers.start(redis_url=private_redis.url)
    worker.wait_until_ready()
    # A task the worker holds, reserved but not run (its countdown has not passed).
    current_app.tasks[queue.REBUILD_PENDING].apply_async(countdown=60)
    worker.wait_for(lambda: private_redis.client().hlen("unacked") == 1, "reserved task")

    private_redis.stop()
    # Saves go on while Redis is down: stored, marked pending, nothing queued.
    reading_record(metric=metric, period="2023-24", value="6000", approve=True)
    assert _pending(metric)
    client.force_login(users["leadership"])
    assert "update pending" in client.get(metric.pillar.get_absolute_url()).content.decode()
    private_redis.start()

    worker.wait_for(lambda: worker.output().count("Connected to redis") >= 2, "reconnection")
    # What the beat sends every minute: the dashboard catches up without another save.
    current_app.tasks[queue.REBUILD_PENDING].apply_async()
    worker.wait_for(lambda: not _pending(metric), "drained pending rebuild")
    assert worker.alive() and "Unrecoverable error" not in worker.output()
    html = client.get(metric.pillar.get_absolute_url()).content.decode()
    assert "6,000" in html and "update pending" not in html
    assert MetricSnapshot.objects.get(metric=metric, is_county_wide=True).latest_value == 6000


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_killed_with_its_worker_completes_on_another(private_redis, workers, tmp_path):
    fast = {"CELERY_VISIBILITY_TIMEOUT": "10"}  # at most 30 s, so the test stays short
    metric = MetricFactory(name="Educators trained")
    aggregates.rebuild()
    marker = tmp_path / "rebuild-started"
    doomed = workers.start("doomed", redis_url=private_redis.url, slow_marker=marker, env=fast)
    doomed.wait_until_ready()

    reading_record(metric=metric, period="2023-24", value="6000", approve=True)  # queues it
    doomed.wait_for(lambda: marker.exists() and marker.read_text(), "rebuild started")
    task_id = re.search(r"rebuild_pending\[([0-9a-f-]+)\] received", doomed.output()).group(1)
    doomed.kill()
    assert _pending(metric)  # the killed rebuild's transaction left nothing behind

    successor = workers.start("successor", redis_url=private_redis.url, env=fast)
    successor.wait_for(lambda: not _pending(metric), "the rebuild redelivered", timeout=45)
    assert f"rebuild_pending[{task_id}] succeeded" in successor.output()  # the same message
    assert MetricSnapshot.objects.get(metric=metric, is_county_wide=True).latest_value == 6000
    rows = aggregate_rows()
    aggregates.rebuild()
    assert aggregate_rows() == rows


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_whose_pool_process_is_killed_runs_again(private_redis, workers, tmp_path):
    metric = MetricFactory(name="Educators trained")
    aggregates.rebuild()
    marker = tmp_path / "rebuild-started"
    worker = workers.start(redis_url=private_redis.url, slow_marker=marker, pool="prefork")
    worker.wait_until_ready()

    reading_record(metric=metric, period="2023-24", value="6000", approve=True)  # queues it
    worker.wait_for(lambda: marker.exists() and marker.read_text(), "rebuild started")
    child = int(marker.read_text())
    assert child != worker.process.pid  # the pool's process, not the worker's own
    os.kill(child, signal.SIGKILL)
    # Rejected back to the queue (reject_on_worker_lost), not marked failed: run again by
    # a new pool process at once, no visibility timeout to wait for.
    worker.wait_for(lambda: not _pending(metric), "the rebuild run again")
    assert "WorkerLostError" in worker.output()
    assert MetricSnapshot.objects.get(metric=metric, is_county_wide=True).latest_value == 6000
    rows = aggregate_rows()
    aggregates.rebuild()
    assert aggregate_rows() == rows
