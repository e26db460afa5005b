"""/healthz and `manage.py health`: each component's state, 503 when one is down,
cheap and side-effect free; and, on real Redis with a real worker, the heartbeat."""

import datetime
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics import health
from metrics.aggregates import rebuild
from metrics.models import AggregateState
from metrics.tasks import heartbeat

from .conftest import free_port, use_redis
from .test_live_services import _require_redis, workers  # noqa: F401 - its fixture

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                      "LOCATION": "health-tests"}}


@pytest.fixture
def embedded(settings, db):
    """The embedded default: no Redis, tasks in-process, aggregates just rebuilt."""
    settings.REDIS_URL = None
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CACHES = LOCMEM
    rebuild()
    return settings


@pytest.fixture
def with_worker(embedded):
    """Tasks go to a worker (as with REDIS_URL), whose heartbeats are in the cache."""
    embedded.CELERY_TASK_ALWAYS_EAGER = False
    health.record(health.WORKER_KEY)
    health.record(health.BEAT_KEY)
    return embedded


def get(client):
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def test_the_embedded_default_is_healthy(client, embedded, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response, body = get(client)
    assert response.status_code == 200
    assert body["status"] == "ok" and body["down"] == []
    states = {name: c["state"] for name, c in body["components"].items()}
    assert states == {"database": "ok", "redis": "not configured", "worker": "not configured",
                      "beat": "not configured", "rebuild": "ok"}
    assert body["components"]["rebuild"]["last_full_rebuild_at"]


def test_healthy_with_a_worker(client, with_worker, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response, body = get(client)
    assert response.status_code == 200, body
    assert body["components"]["worker"]["state"] == "ok"
    assert body["components"]["worker"]["age_seconds"] < 5
    assert body["components"]["beat"]["state"] == "ok"


def test_no_session_no_writes_no_sign_in_and_not_cached(client, with_worker):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries.captured_queries)
    assert not response.cookies, "no session or CSRF cookie"
    assert "Cookie" not in response.get("Vary", "")
    assert "no-cache" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_exempt_from_the_https_redirect(client, with_worker, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200  # plain HTTP, as a load balancer asks
    assert client.get("/accounts/login/").status_code == 301


def test_a_database_error_is_503_naming_the_database(client, with_worker):
    def fail(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(fail):
        response, body = get(client)
    assert response.status_code == 503
    assert body["status"] == "down" and body["down"] == ["database"]
    assert "connection refused" in body["components"]["database"]["detail"]
    assert body["components"]["rebuild"]["state"] == "unknown"


def test_redis_at_a_dead_port_is_503_naming_redis(client, embedded):
    embedded.REDIS_URL = f"redis://127.0.0.1:{free_port()}/3"
    started = time.monotonic()
    response, body = get(client)
    assert time.monotonic() - started < health.REDIS_TIMEOUT + 1
    assert response.status_code == 503
    assert body["down"] == ["redis"]
    assert "Connection" in body["components"]["redis"]["detail"]


def test_redis_down_with_a_worker_also_downs_the_heartbeats(client, with_worker):
    with_worker.REDIS_URL = f"redis://127.0.0.1:{free_port()}/3"
    response, body = get(client)
    assert response.status_code == 503
    assert body["down"] == ["beat", "redis", "worker"]
    assert "Redis is down" in body["components"]["worker"]["detail"]


def test_a_stale_worker_heartbeat_is_503_naming_the_worker(client, with_worker):
    health.record(health.WORKER_KEY, at=time.time() - 4 * 60)
    response, body = get(client)
    assert response.status_code == 503
    assert body["down"] == ["worker"]
    worker = body["components"]["worker"]
    assert worker["age_seconds"] >= 240 and "stale after 180 s" in worker["detail"]
    assert body["components"]["beat"]["state"] == "ok"  # beat still sends: the worker is out


def test_a_stale_beat_heartbeat_is_503_naming_beat(client, with_worker):
    health.record(health.BEAT_KEY, at=time.time() - 10 * 60)
    response, body = get(client)
    assert response.status_code == 503 and body["down"] == ["beat"]


def test_no_heartbeat_yet_is_down_when_a_worker_is_expected(client, with_worker):
    from django.core.cache import cache

    cache.clear()
    response, body = get(client)
    assert response.status_code == 503 and body["down"] == ["beat", "worker"]
    assert "no heartbeat from the worker yet" in body["components"]["worker"]["detail"]


def test_a_late_nightly_rebuild_is_a_warning_not_down(client, embedded):
    AggregateState.objects.filter(pk=1).update(
        last_full_rebuild_at=timezone.now() - datetime.timedelta(hours=27))
    response, body = get(client)
    assert response.status_code == 200
    assert body["status"] == "warning" and body["down"] == []
    rebuilt = body["components"]["rebuild"]
    assert rebuilt["state"] == "warning" and rebuilt["full_rebuild_age_hours"] >= 27
    assert "26 h" in rebuilt["detail"]


def test_never_rebuilt_is_a_warning(client, embedded):
    AggregateState.objects.all().delete()
    response, body = get(client)
    assert response.status_code == 200
    assert body["components"]["rebuild"]["state"] == "warning"


def test_the_heartbeat_task_records_the_worker_and_its_sending_records_beat(embedded):
    from django.core.cache import cache

    heartbeat.apply()  # runs it, as a worker does
    assert time.time() - cache.get(health.WORKER_KEY) < 5
    from metrics.tasks import _heartbeat_sent

    _heartbeat_sent(sender="metrics.tasks.rebuild_pending")
    assert cache.get(health.BEAT_KEY) is None  # only the heartbeat counts
    _heartbeat_sent(sender=health.HEARTBEAT_TASK)  # what Celery calls as beat publishes
    assert time.time() - cache.get(health.BEAT_KEY) < 5


def test_the_command_exits_1_when_its_component_is_down(with_worker, capsys):
    call_command("health", "beat")
    assert json.loads(capsys.readouterr().out)["components"].keys() == {"beat"}
    health.record(health.BEAT_KEY, at=time.time() - 600)
    with pytest.raises(CommandError, match="Down: beat") as raised:
        call_command("health", "beat")
    assert raised.value.returncode == 1
    call_command("health", "worker")  # the worker is still fine
    with pytest.raises(CommandError, match="Unknown component"):
        call_command("health", "nope")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_healthy_on_real_redis_with_a_live_worker(client, request, settings):
    _require_redis()
    live = request.getfixturevalue("workers")  # tests/test_live_services.py's
    rebuild()
    with use_redis(settings, settings.REDIS_URL):
        from django.core.cache import cache

        cache.delete_many([health.WORKER_KEY, health.BEAT_KEY])
        response, body = get(client)
        assert response.status_code == 503 and body["down"] == ["beat", "worker"]
        worker = live.start()
        worker.wait_until_ready()
        heartbeat.delay()  # as beat sends it: records beat here, the worker records itself
        deadline = time.monotonic() + 30
        while cache.get(health.WORKER_KEY) is None:
            assert worker.alive(), worker.output()
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.2)
        response, body = get(client)
        assert response.status_code == 200, body
        states = {name: c["state"] for name, c in body["components"].items()}
        assert states == {"database": "ok", "redis": "ok", "worker": "ok", "beat": "ok",
                          "rebuild": "ok"}
