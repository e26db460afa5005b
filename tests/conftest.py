import contextlib
import datetime
import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import current_app
from django.db import transaction
from django.utils import timezone

from metrics import roles
from metrics.aggregates import rebuild_all
from metrics.loading import load_directory
from metrics.models import MetricSnapshot, Rollup
from pillars.models import StrategicPlan

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
            "BACKEND": "metrics.redis_cache.RedisCache", "LOCATION": url}}
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
def _fresh_cache():
    # With REDIS_URL the cache is Redis and outlives each test's rolled-back database: a
    # "rebuild queued" mark left by a test whose task no worker took would make the
    # next tests' saves wait for it (metrics/aggregates/queue.py). Each test starts clean.
    from django.core.cache import cache, caches
    from django.core.cache.backends.locmem import LocMemCache

    from metrics import user_cache
    from metrics.aggregates.queue import QUEUED_KEY
    from pillars.views import PAGE_CACHE_PREFIX
    from reports.render.pdf import PDF_CACHE_PREFIX

    with contextlib.suppress(Exception):  # a test that has Redis down on purpose
        cache.delete(QUEUED_KEY)
    # Cached pages (pillars.views.cached_part) are keyed on the aggregates' state, which a
    # rolled-back test can leave the same with other rows (SQLite reuses ids, a frozen
    # clock repeats the rebuild time): the in-process cache is emptied; in Redis, shared,
    # only the pages' keys go, the kept PDFs, and the users' generation (metrics/user_cache.py).
    if isinstance(caches["default"], LocMemCache):
        cache.clear()
    else:
        with contextlib.suppress(Exception):
            client = caches["default"]._cache.get_client(write=True)
            keys = [key for prefix in (PAGE_CACHE_PREFIX, PDF_CACHE_PREFIX)
                    for key in client.scan_iter(match=cache.make_key(f"{prefix}*"))]
            keys.append(cache.make_key(user_cache.GENERATION_KEY))  # every user's entry
            if keys:
                client.delete(*keys)
    yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The real hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- LACOE's plan, loaded once per test session for the tests that read it ----------
#
# Most tests that use LACOE's real plan only read it (and what they write is rolled back
# with their own transaction). They are moved to the front of the run and share one load:
# an outer transaction opened at the first of them, each test in a savepoint inside it,
# rolled back after the last one, so every other test starts from an empty database as
# before. Transactional tests (live server, live worker) cannot run inside a
# transaction: they are not moved, and `lacoe_plan` loads the plan for them anew (it is
# committed, and their database flush removes it again afterwards).
LACOE_FIXTURE_NAMES = frozenset({"lacoe_plan", "lacoe"})
TRANSACTIONAL_FIXTURES = frozenset({"transactional_db", "live_server"})


def reads_lacoe(item):
    names = set(getattr(item, "fixturenames", ()))
    if not names & LACOE_FIXTURE_NAMES or names & TRANSACTIONAL_FIXTURES:
        return False
    marker = item.get_closest_marker("django_db")
    kwargs = marker.kwargs if marker else {}
    return not any(kwargs.get(name) for name in
                   ("transaction", "reset_sequences", "serialized_rollback"))


def pytest_collection_modifyitems(config, items):
    readers = [item for item in items if reads_lacoe(item)]
    if readers:
        items[:] = readers + [item for item in items if not reads_lacoe(item)]


class _SharedLacoe:
    outer = None
    plan_pk = None
    blocker = None
    loads = 0

    def open(self):
        with self.blocker.unblock():
            self.outer = transaction.atomic()
            self.outer.__enter__()
            plan, _ = load_directory(LACOE_FIXTURES)
            rebuild_all()  # the aggregates and the publication decisions
        self.plan_pk = plan.pk
        self.loads += 1

    def close(self):
        if self.outer is None:
            return
        with self.blocker.unblock():
            transaction.set_rollback(True)
            self.outer.__exit__(None, None, None)
        self.outer = None


SHARED_LACOE = _SharedLacoe()


@pytest.fixture(scope="session")
def _lacoe_shared(request, django_db_setup, django_db_blocker):
    # Set up before any function-scoped fixture of the first reader (so before its `db`
    # transaction); opened only when that first requester is one of the readers.
    SHARED_LACOE.blocker = django_db_blocker
    if reads_lacoe(request._pyfuncitem):
        SHARED_LACOE.open()
    yield SHARED_LACOE
    SHARED_LACOE.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if SHARED_LACOE.outer is not None and (nextitem is None or not reads_lacoe(nextitem)):
        SHARED_LACOE.close()


def pytest_terminal_summary(terminalreporter):
    if SHARED_LACOE.loads:
        terminalreporter.write_line(
            f"LACOE plan: loaded {SHARED_LACOE.loads} time(s) for the tests that read it")
    fuzz_summary(terminalreporter)


@pytest.fixture
def lacoe_plan(_lacoe_shared, db):
    """LACOE's real 2022-25 plan with its 2023-24 figures (approved), aggregates built."""
    if _lacoe_shared.outer is not None:
        return StrategicPlan.objects.get(pk=_lacoe_shared.plan_pk)
    plan, _ = load_directory(LACOE_FIXTURES)
    rebuild_all()
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


# --- Property-based tests (tests/test_fuzz_*.py): the case budget of each leg ---------
# CI's PostgreSQL leg (REQUIRE_SERVICES=1) runs the whole budget, at least FUZZ_MIN_CASES
# generated cases in all (issue 12); the embedded (SQLite) leg a few per test, to stay
# fast. Each example counts itself (`fuzz_case`).
from hypothesis import HealthCheck, Phase  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
# The budgets of the property tests add up to a little over 10,000 cases (the margin: a
# property may end an example or two short of its budget). An example costs about 35 ms
# of CPU on this 2-core machine (one real request or two, and the database's share), so
# the whole budget is a few minutes of CI. A developer's PostgreSQL run without
# REQUIRE_SERVICES runs a tenth of it (FUZZ_SCALE=1 runs all).
FUZZ_SCALE = float(os.environ.get("FUZZ_SCALE", "1" if REQUIRE_SERVICES else "0.1"))
FUZZ_MIN_CASES = 10_000 if REQUIRE_SERVICES else int(10_000 * FUZZ_SCALE * 0.9)
FUZZ = {"cases": 0, "tests": 0, "finished": 0}
hypothesis_settings.register_profile(
    "ci", max_examples=20, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
hypothesis_settings.load_profile("ci")


FUZZ_SHARES = []  # (module, share of the full PostgreSQL budget) of each property


def fuzz_budget(postgres_examples):
    """The examples of one property: its share of the PostgreSQL total, or 20 on SQLite."""
    # The module is kept so the budget test can count the hostile-input properties alone
    # (other properties, such as the rebuild's, use the same budget helper).
    FUZZ_SHARES.append((sys._getframe(1).f_globals.get("__name__", ""), postgres_examples))
    return max(1, int(postgres_examples * FUZZ_SCALE)) if ON_POSTGRES else 20


def pytest_collection_finish(session):
    # The property tests that count their cases (`fuzz_case`); others, such as the
    # suppression proof, have budgets of their own and are not part of this one.
    FUZZ["tests"] = sum(getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
                        and "fuzz_case" in getattr(item, "fixturenames", ())
                        for item in session.items)
    # The budget is checked when the run holds the hostile-input files (a whole-suite run,
    # as in CI), not when a developer runs one property test alone.
    FUZZ["gate"] = any("/test_fuzz_" in item.nodeid or item.nodeid.startswith("test_fuzz_")
                       for item in session.items)


@pytest.fixture
def fuzz_case():
    """Call once per generated example; counts the cases of the session."""

    def count():
        FUZZ["cases"] += 1

    yield count
    FUZZ["finished"] += 1


def fuzz_summary(terminalreporter):  # called from pytest_terminal_summary above
    if FUZZ["tests"]:
        needed = f", at least {FUZZ_MIN_CASES} needed" if fuzz_gated() else ""
        terminalreporter.write_line(
            f"hypothesis: {FUZZ['cases']} generated cases in {FUZZ['finished']} of "
            f"{FUZZ['tests']} property tests ({'PostgreSQL' if ON_POSTGRES else 'SQLite'}"
            f"{needed})")


def fuzz_gated():
    """The budget binds on PostgreSQL when every property test of the run finished."""
    return bool(ON_POSTGRES and FUZZ.get("gate") and FUZZ["finished"] == FUZZ["tests"])


def pytest_sessionfinish(session, exitstatus):
    # Every property test ran on PostgreSQL: together they must reach the budget.
    if fuzz_gated() and FUZZ["cases"] < FUZZ_MIN_CASES and exitstatus == 0:
        print(f"\nhypothesis: only {FUZZ['cases']} cases, fewer than {FUZZ_MIN_CASES}")
        session.exitstatus = 1
