"""Queueing the rebuilds (metrics/aggregates/queue.py): coalescing, the broker path, and
a broker or cache that is down, which never fails a save."""

import logging
from unittest import mock

import pytest
from celery import current_app
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from metrics import aggregates
from metrics.aggregates import queue
from metrics.models import MetricSnapshot, PendingRebuild, Reading
from metrics.services import reading_record

from ..conftest import free_port, use_redis
from ..factories import MetricFactory


@pytest.fixture(autouse=True)
def _in_process_rebuilds(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default; some tests turn it off
    cache.delete(aggregates.QUEUED_KEY)


def _rebuild_task():
    return current_app.tasks[queue.REBUILD_PENDING]


def test_a_burst_of_saves_coalesces_into_one_rebuild(plan_data, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(queue, "rebuild", wraps=queue.rebuild) as spy,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        for month in range(1, 7):
            reading_record(metric=plan_data["count"], period=f"2024-0{month}", value=month)
        reading_record(metric=plan_data["rate"], period="2024-25", value="70")
    assert spy.call_count == 1
    # Readings ask for their slices only (the county-wide one here), not whole metrics.
    assert not spy.call_args.args[0]
    assert {m for m, _, _ in spy.call_args.kwargs["slices"]} == {
        plan_data["count"].pk, plan_data["rate"].pk}
    assert not PendingRebuild.objects.exists()


def test_with_a_broker_saves_mark_pending_and_queue_one_task(
    plan_data, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(_rebuild_task(), "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            reading_record(metric=plan_data["count"], period="2024-25", value=9)
            reading_record(metric=plan_data["rate"], period="2024-25", value=70)
        with django_capture_on_commit_callbacks(execute=True):
            reading_record(metric=plan_data["count"], period="2024-25", value=10, approve=True)
    assert queued.call_count == 1  # the second burst finds a task already queued
    assert set(PendingRebuild.objects.values_list("metric_id", flat=True)) == {
        plan_data["count"].pk, plan_data["rate"].pk}
    assert aggregates.rebuild_pending() == 2
    assert not PendingRebuild.objects.exists()
    snapshot = MetricSnapshot.objects.get(metric=plan_data["count"], is_county_wide=True)
    assert snapshot.latest_value == 10


def test_a_rolled_back_save_leaves_nothing_pending(plan_data, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
            reading_record(metric=plan_data["count"], period="2024-25", value=9)
            raise RuntimeError("the request failed after the save")
    assert not callbacks
    assert not PendingRebuild.objects.exists() and not Reading.objects.filter(value=9).exists()


def test_deleting_metrics_queues_one_full_rebuild(db, django_capture_on_commit_callbacks):
    metrics = MetricFactory.create_batch(3)
    with (
        mock.patch.object(current_app.tasks[queue.REBUILD_ALL], "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        for metric in metrics:
            metric.delete()
    assert queued.call_count == 1


def test_the_beat_drains_pending_rebuilds_every_minute(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == queue.REBUILD_PENDING)
    assert entry["schedule"] == 60.0
    assert queue.REBUILD_PENDING in current_app.tasks


# --- Redis down ------------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    """What REDIS_URL pointing at a port where nothing listens configures: Celery sends
    to that broker (not eagerly) and the cache is that Redis too."""
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1}
    with use_redis(settings, f"redis://127.0.0.1:{free_port()}/0") as url:
        yield url


@pytest.fixture
def broker_down(settings):
    """The broker unreachable while the cache still answers."""
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1}
    with use_redis(settings, f"redis://127.0.0.1:{free_port()}/0", broker_only=True) as url:
        yield url


def test_a_save_succeeds_when_redis_is_down(
    redis_down, plan_data, client, users, caplog, django_capture_on_commit_callbacks
):
    metric = plan_data["count"]
    client.force_login(users["administrator"])
    caplog.set_level(logging.WARNING, logger=queue.__name__)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("metrics:enter", args=[metric.plan.slug, metric.code]),
                               {"period": "2024-25", "value": "12", "version": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Reading.objects.get(metric=metric, period="2024-25").value == 12
    assert PendingRebuild.objects.filter(metric=metric).exists()  # the beat drains it
    assert "Could not queue metrics.tasks.rebuild_pending" in caplog.text
    page = client.get(metric.get_absolute_url()).content.decode()
    assert "its update is pending" in page


def test_a_failed_queueing_leaves_no_key_that_blocks_the_next(broker_down, plan_data,
                                                             django_capture_on_commit_callbacks):
    metric = plan_data["count"]
    with mock.patch.object(_rebuild_task(), "apply_async",
                           wraps=_rebuild_task().apply_async) as attempts:
        for value in (12, 13):
            with django_capture_on_commit_callbacks(execute=True):
                reading_record(metric=metric, period="2024-25", value=value)
    assert attempts.call_count == 2  # the first failure did not hold off the second
    assert cache.get(aggregates.QUEUED_KEY) is None
    assert aggregates.rebuild_pending() == 1  # what the beat runs once Redis is back
    snapshot = MetricSnapshot.objects.get(metric=metric, is_county_wide=True)
    assert (snapshot.pending_period, snapshot.pending_value) == ("2024-25", 13)


def test_slice_requests_coalesce_and_never_downgrade_a_whole_metric(plan_data):
    """A reading asks for its slice, a target for the whole metric: a later slice
    request keeps the metric whole, and one drain serves both kinds."""
    from metrics.models import District, PendingSlice, StudentGroup

    rate, count = plan_data["rate"], plan_data["count"]
    total = (District.objects.total().pk, StudentGroup.objects.total().pk)
    with transaction.atomic():
        aggregates.request_rebuild(rate.pk)
        aggregates.request_rebuild(slices=[(rate.pk, plan_data["district"].pk, total[1])])
        aggregates.request_rebuild(slices=[(count.pk, *total), (count.pk, *total)])
        assert dict(PendingRebuild.objects.values_list("metric_id", "whole")) == {
            rate.pk: True, count.pk: False}
        assert PendingSlice.objects.count() == 2
        with mock.patch.object(queue, "rebuild", wraps=queue.rebuild) as spy:
            assert aggregates.rebuild_pending() == 2
        assert spy.call_args.args[0] == [rate.pk]
        assert spy.call_args.kwargs["slices"] == [(count.pk, *total)]
        assert not PendingRebuild.objects.exists() and not PendingSlice.objects.exists()
