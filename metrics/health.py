"""What /healthz and `manage.py health` report: each component of the deployment and
its state, read cheaply and without writing anything.

- database: one `SELECT 1`.
- redis: a PING with a 2 s timeout when REDIS_URL is set; "not configured" otherwise.
- worker: the age of the heartbeat a worker writes into the cache each time it runs
  `metrics.tasks.heartbeat` (beat sends it every minute); down once older than
  HEALTH_HEARTBEAT_STALE_SECONDS.
- beat: the age of the last time that heartbeat was sent (recorded by the sender).
- rebuild: when the aggregates were last rebuilt, at all and fully (one query); a
  nightly full rebuild older than HEALTH_FULL_REBUILD_WARN_HOURS is a warning.

Worker and beat are expected only when tasks go to a broker: with the embedded default
(no REDIS_URL, tasks run in-process) there is none, and they read "not configured".
"down" anywhere makes the whole "down" (HTTP 503); "warning" alone does not.
"""

import time
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import Error as DatabaseError
from django.db import connection

from .models import AggregateState

OK, WARNING, DOWN, NOT_CONFIGURED = "ok", "warning", "down", "not configured"
HEARTBEAT_TASK = "metrics.tasks.heartbeat"
WORKER_KEY = "health:worker-heartbeat"
BEAT_KEY = "health:beat-heartbeat"
# Kept well beyond the stale age, so a missing key means "never", not "expired".
KEEP_SECONDS = 7 * 24 * 3600
REDIS_TIMEOUT = 2


def record(key, at=None):
    """Write a heartbeat (seconds since the epoch) into the cache."""
    cache.set(key, time.time() if at is None else at, timeout=KEEP_SECONDS)


def _iso(epoch):
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"state": DOWN, "detail": f"{type(exc).__name__}: {exc}".strip()}
    return {"state": OK}


def check_redis():
    if not settings.REDIS_URL:
        return {"state": NOT_CONFIGURED}
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT,
                                  socket_timeout=REDIS_TIMEOUT)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return {"state": DOWN, "detail": f"{type(exc).__name__}: {exc}"}
    finally:
        client.close()
    return {"state": OK}


def _heartbeats(redis_state):
    """{key: epoch or None} of both heartbeats, or an error message."""
    if redis_state == DOWN:
        return "Redis is down, so no heartbeat can be read"
    try:
        return cache.get_many([WORKER_KEY, BEAT_KEY])
    except (redis.RedisError, OSError) as exc:
        return f"the cache cannot be read: {type(exc).__name__}: {exc}"


def check_heartbeat(key, who, heartbeats):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"state": NOT_CONFIGURED, "detail": "tasks run in-process (no REDIS_URL)"}
    if isinstance(heartbeats, str):
        return {"state": DOWN, "detail": heartbeats}
    stale = settings.HEALTH_HEARTBEAT_STALE_SECONDS
    at = heartbeats.get(key)
    if at is None:
        return {"state": DOWN, "detail": f"no heartbeat from the {who} yet"}
    age = max(0, round(time.time() - at))
    result = {"state": OK, "at": _iso(at), "age_seconds": age}
    if age > stale:
        result.update(state=DOWN, detail=f"no heartbeat from the {who} for {age} s "
                                         f"(stale after {stale} s)")
    return result


def check_rebuild(database_state):
    if database_state == DOWN:
        return {"state": "unknown", "detail": "the database is down"}
    try:
        state = (AggregateState.objects.filter(pk=1)
                 .values("last_rebuild_at", "last_full_rebuild_at").first()) or {}
    except DatabaseError as exc:
        return {"state": DOWN, "detail": f"{type(exc).__name__}: {exc}"}
    last, full = state.get("last_rebuild_at"), state.get("last_full_rebuild_at")
    result = {"state": OK, "last_rebuild_at": last and last.isoformat(timespec="seconds"),
              "last_full_rebuild_at": full and full.isoformat(timespec="seconds")}
    warn_hours = settings.HEALTH_FULL_REBUILD_WARN_HOURS
    if full is None:
        result.update(state=WARNING, detail="the aggregates were never fully rebuilt")
        return result
    hours = (time.time() - full.timestamp()) / 3600
    result["full_rebuild_age_hours"] = round(hours, 1)
    if hours > warn_hours:
        result.update(state=WARNING, detail=f"the last full rebuild is {hours:.0f} h old "
                                            f"(the nightly one is due every 24 h; warning "
                                            f"after {warn_hours} h)")
    return result


def components():
    """{name: {"state": ..., ...}} of every component; a constant two database queries."""
    database = check_database()
    redis_result = check_redis()
    needs_heartbeats = not settings.CELERY_TASK_ALWAYS_EAGER
    heartbeats = _heartbeats(redis_result["state"]) if needs_heartbeats else {}
    return {
        "database": database,
        "redis": redis_result,
        "worker": check_heartbeat(WORKER_KEY, "worker", heartbeats),
        "beat": check_heartbeat(BEAT_KEY, "beat", heartbeats),
        "rebuild": check_rebuild(database["state"]),
    }


def overall(results):
    states = {result["state"] for result in results.values()}
    return DOWN if DOWN in states else WARNING if WARNING in states else OK


def report():
    """The JSON body of /healthz: the overall status, what is down, and every component."""
    results = components()
    return {
        "status": overall(results),
        "down": sorted(name for name, result in results.items() if result["state"] == DOWN),
        "components": results,
    }
