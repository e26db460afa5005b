"""Ask for rebuilds: what every write calls, on commit, without ever failing the write.

A write calls `request_rebuild(metric_id, ...)` (or `request_rebuild(slices=[(metric,
district, group)])` for changed readings) inside its transaction. That marks the
metrics pending in the database (a `PendingRebuild` row, committed or rolled back with
the write; pages say "update pending" while it exists) and, once the transaction
commits, queues the task `metrics.tasks.rebuild_pending` by name, once per burst of
saves. Celery runs the task in-process when it is eager (no REDIS_URL) and on a worker
otherwise: one code path either way, no branch on the mode here.

A broker (or cache) that is down never fails the save: the error is logged, the rows
stay pending, and the beat runs `rebuild_pending` every minute to drain them.
"""

import logging
import threading
from contextlib import contextmanager

from celery import current_app
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from ..models import PendingRebuild, PendingSlice
from ..privacy.decide import decide
from .rebuild import rebuild

log = logging.getLogger(__name__)

# Tasks are looked up by name, so this module never imports metrics.tasks (which
# imports it).
REBUILD_PENDING = "metrics.tasks.rebuild_pending"
REBUILD_ALL = "metrics.tasks.rebuild_all"

# Set while a rebuild_pending task is queued, so a burst of saves queues one task. The
# timeout bounds how long a task that never ran can hold off new ones; the beat's
# run every minute drains the pending rows meanwhile.
QUEUED_KEY = "aggregates:rebuild-queued"
QUEUED_SECONDS = 300

# What an unreachable Redis raises, from the cache (redis-py) or the broker (kombu).
# Anything else is a bug and propagates.
UNREACHABLE = (OperationalError, RedisError, OSError)
# Fail fast when the broker is down: the rebuild is a database row and the beat
# drains it, so a save need not wait through the default retries.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                 "interval_max": 0.2}

_state = threading.local()


def request_rebuild(*metric_ids, slices=()):
    """Rebuild the aggregates of `metric_ids` (every slice: a target or placement
    changed) and of `slices`, triples (metric, district, student group) whose readings
    changed, once the current transaction commits.

    Saves within one transaction, and bursts of transactions, coalesce into one task.
    """
    ids = sorted(set(metric_ids))
    wanted = sorted(
        {(int(m), int(d), int(g)) for m, d, g in slices if int(m) not in set(ids)}
    )
    if not ids and not wanted:
        return
    now = timezone.now()
    if ids:
        PendingRebuild.objects.bulk_create(
            [PendingRebuild(metric_id=pk, requested_at=now, whole=True) for pk in ids],
            update_conflicts=True, unique_fields=["metric"],
            update_fields=["requested_at", "whole"],
        )
    if wanted:
        PendingSlice.objects.bulk_create(
            [PendingSlice(metric_id=m, district_id=d, student_group_id=g, requested_at=now)
             for m, d, g in wanted],
            update_conflicts=True, unique_fields=["metric", "district", "student_group"],
            update_fields=["requested_at"],
        )
        # The metric reads "update pending"; a whole request made before stays whole.
        PendingRebuild.objects.bulk_create(
            [PendingRebuild(metric_id=pk, requested_at=now, whole=False)
             for pk in sorted({m for m, _, _ in wanted})],
            update_conflicts=True, unique_fields=["metric"], update_fields=["requested_at"],
        )
    # Registered on every call: the first callback to run after a commit queues the
    # task, later ones find nothing to do. A rolled-back transaction leaves the flag
    # set for the next flush, which queues a task that finds no row: harmless.
    _state.pending = True
    transaction.on_commit(_flush)


def request_full_rebuild():
    """Rebuild every aggregate once the current transaction commits (after a delete,
    whose roll-ups are known only from the rows that are gone)."""
    _state.full = True
    transaction.on_commit(_flush_full)


def rebuild_pending():
    """Rebuild every metric marked pending: what the queued and the beat task run."""
    cache.delete(QUEUED_KEY)  # changes from now on queue a new task
    rows = list(PendingRebuild.objects.values_list("metric_id", "whole"))
    if not rows:
        return 0
    partial = {pk for pk, whole in rows if not whole}
    slices = list(
        PendingSlice.objects.filter(metric_id__in=partial)
        .order_by("metric_id", "district_id", "student_group_id")
        .values_list("metric_id", "district_id", "student_group_id")
    )
    with_slices = {m for m, _, _ in slices}
    # A partial request whose slices are gone (a cascade) rebuilds its metric whole.
    ids = sorted(pk for pk, whole in rows if whole or pk not in with_slices)
    # The publication rule decides in the rebuild's transaction: no page sees a rebuilt
    # value with the decision of the one before (metrics.privacy.decide); a metric asked
    # for by slices only, in the tables its saved readings belong to.
    with transaction.atomic():
        rebuild(ids, slices=slices)
        decide(ids, slices=slices)
    return len(rows)


def rebuild_all():
    """Rebuild every aggregate and decide the publication of every figure, in one
    transaction: the nightly task, `rebuild_aggregates` and the synthetic plans."""
    with transaction.atomic():
        touched = rebuild()
        decide()
    return touched


@contextmanager
def coalesced():
    """Within the block, the commits of many transactions (a grid whose rows are each
    saved on their own) queue one rebuild, at its end, instead of one each.

    With a worker the queued-task mark coalesces them already; eager (no Redis), each
    commit would run the task at once and rebuild again. Usable as a decorator; nested
    blocks flush at the outermost end, also when the block raises (what committed is
    rebuilt)."""
    _state.holding = getattr(_state, "holding", 0) + 1
    try:
        yield
    finally:
        _state.holding -= 1
        if not _state.holding:
            if connection.in_atomic_block:  # the block ran inside an outer transaction
                transaction.on_commit(_flush)
            else:
                _flush()


def _flush():
    if not getattr(_state, "pending", False) or getattr(_state, "holding", 0):
        return  # nothing asked for, or held until coalesced() ends
    _state.pending = False
    try:
        first = cache.add(QUEUED_KEY, 1, timeout=QUEUED_SECONDS)
    except UNREACHABLE:
        log.warning("Cache unreachable: queueing the rebuild without deduplication",
                    exc_info=True)
        first = True
    if not first:
        return  # a queued task has not started yet: it will see these rows
    try:
        queued = _send(REBUILD_PENDING, countdown=1)
    except BaseException:
        _forget_queued()  # a task that failed in-process (eager) queues nothing either
        raise
    if not queued:
        _forget_queued()  # or no save would queue a task until the key expires


def _flush_full():
    if not getattr(_state, "full", False):
        return
    _state.full = False
    _send(REBUILD_ALL)


def _send(task_name, **options):
    """Queue `task_name`; False, logged, when the broker is unreachable."""
    try:
        current_app.tasks[task_name].apply_async(
            retry=True, retry_policy=PUBLISH_RETRY, **options
        )
    except UNREACHABLE:
        # The save is committed and its rebuild is pending in the database: say why
        # the dashboards lag; the beat's rebuild_pending (or the nightly full rebuild)
        # catches up once the broker is back.
        log.exception("Could not queue %s: the broker is unreachable", task_name)
        return False
    return True


def _forget_queued():
    try:
        cache.delete(QUEUED_KEY)
    except UNREACHABLE:
        log.warning("Cache unreachable: could not clear %s", QUEUED_KEY, exc_info=True)
