import datetime
import os
import socket
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import current_app
from django.utils import timezone

from metrics import roles
from metrics.loading import load_directory
from metrics.models import MetricSnapshot, Rollup

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
LACOE_FIXTURES = ROOT / "fixtures" / "lacoe"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def require_service(available, reason):
    """Skip when a real service is absent, or fail when REQUIRE_SERVICES=1 (CI)."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def free_port():
    """A local TCP port nothing listens on (for a private Redis, or a dead one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def use_redis(settings, url, *, broker_only=False):
    """Point this process's Celery broker and results, and its cache unless
    `broker_only`, at the Redis at `url`, as REDIS_URL=`url` would."""

    def drop_pooled_connections():  # Celery makes one pool of them on first use
        current_app._pool = None
        current_app.amqp._producer_pool = None

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = url
    if not broker_only:
        settings.CACHES = {"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    drop_pooled_connections()
    try:
        yield url
    finally:
        drop_pooled_connections()


def aggregate_rows():
    """Every dashboard aggregate row, in a stable order: what an incremental and a full
    rebuild must agree on."""
    snapshots = list(MetricSnapshot.objects.order_by("metric_id", "district_id", "student_group_id")
                     .values_list("metric_id", "district_id", "student_group_id", "latest_period",
                                  "latest_value", "previous_value", "change", "status", "series"))
    rollups = list(Rollup.objects.order_by("level", "plan_id", "pillar_id", "priority_area_id",
                                           "goal_id")
                   .values_list("level", "counts", "status", "metrics_by_status"))
    return snapshots, rollups


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The real hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def lacoe_plan(db):
    plan, _ = load_directory(LACOE_FIXTURES)
    return plan


# Where the clock really is: LACOE's 2022-25 plan ended on 30 June 2025.
AFTER_THE_PLAN = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)


@pytest.fixture
def after_the_plan(monkeypatch):
    """Freeze the clock at 1 December 2026 (timezone.now, and so localtime/localdate)."""
    monkeypatch.setattr(timezone, "now", lambda: AFTER_THE_PLAN)
    return timezone.localdate()


ROLE_USERS = {
    "steward": roles.STEWARD,
    "lead": roles.PILLAR_LEAD,
    "leadership": roles.LEADERSHIP,
    "comms": roles.COMMUNICATIONS,
    "administrator": roles.ADMINISTRATOR,
}


@pytest.fixture
def users(db):
    """One user per role, plus `outsider`: signed in, no role."""
    made = {name: UserFactory(username=name, role=role) for name, role in ROLE_USERS.items()}
    made["administrator"].is_staff = True
    made["administrator"].save()
    made["outsider"] = UserFactory(username="outsider")
    return made
