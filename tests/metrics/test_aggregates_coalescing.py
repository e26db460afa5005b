"""Many readings saved by one request rebuild the aggregates once, in eager mode too
(issue 14): the grid's rows (each saved in its own transaction) and an import's
readings. These tests commit for real (transactional), as a request does, so each
transaction's on-commit hook runs when it commits, not all at once at the test's end."""

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from metrics import aggregates
from metrics.aggregates import queue
from metrics.models import ImportBatch, MetricSnapshot, PendingRebuild, Reading

from ..conftest import aggregate_rows
from ..factories import MetricFactory, PillarFactory, PlanFactory

pytestmark = pytest.mark.django_db(transaction=True)
HEADER = "metric_code,period,value,qualifier,district,student_group,note,source,approval_state"


@pytest.fixture(autouse=True)
def _eager(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: no Redis
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def metrics(users):
    """Four metrics of one plan that the steward owns, aggregates built."""
    pillar = PillarFactory(plan=PlanFactory(slug="plan"))
    made = [MetricFactory(plan=pillar.plan, pillar=pillar, code=f"m{i}") for i in range(4)]
    for metric in made:
        metric.owners.add(users["steward"])
    aggregates.rebuild()
    return made


@pytest.fixture
def rebuilds():
    """The calls of the rebuild the queued task runs."""
    with mock.patch.object(queue, "rebuild", wraps=queue.rebuild) as spy:
        yield spy.call_args_list


def _rebuilt(call):
    return {*(call.args[0] if call.args else ()), *(m for m, _, _ in call.kwargs["slices"])}


def _settled(metrics):
    """Nothing pending, every metric's county-wide row has its value, and the rows are
    those a full rebuild gives."""
    assert not PendingRebuild.objects.exists()
    pending = dict(MetricSnapshot.objects.filter(metric__in=metrics, is_county_wide=True)
                   .values_list("metric__code", "pending_value"))
    rows = aggregate_rows()
    aggregates.rebuild()
    assert aggregate_rows() == rows
    return pending


def test_a_grid_of_rows_saved_one_by_one_rebuilds_once(client, users, metrics, rebuilds):
    client.force_login(users["steward"])
    url = reverse("metrics:bulk_entry", args=["plan"]) + "?period=2024-25"
    data = {}
    for i, metric in enumerate(metrics):
        data |= {f"m{metric.pk}-value": str(10 + i), f"m{metric.pk}-version": 0}
    response = client.post(url, data)
    assert response.status_code == 302
    assert Reading.objects.count() == len(metrics)
    assert len(rebuilds) == 1, rebuilds  # not one per row
    assert _rebuilt(rebuilds[0]) == {m.pk for m in metrics}
    assert _settled(metrics) == {m.code: 10 + i for i, m in enumerate(metrics)}


def test_an_import_through_the_views_rebuilds_once(client, users, metrics, rebuilds):
    lines = [f"{m.code},{period},{i + 1},,,,,," for i, m in enumerate(metrics)
             for period in ("2022-23", "2023-24", "2024-25")]
    upload = SimpleUploadedFile("readings.csv", "\n".join([HEADER, *lines]).encode(),
                                content_type="text/csv")
    client.force_login(users["steward"])
    client.post(reverse("metrics:import_upload", args=["plan"]), {"file": upload})
    batch = ImportBatch.objects.get()
    assert batch.state == "previewed" and not rebuilds  # the preview writes nothing
    client.post(reverse("metrics:import_preview", args=["plan", batch.pk]))
    assert Reading.objects.count() == len(lines)
    assert len(rebuilds) == 1, rebuilds
    assert _rebuilt(rebuilds[0]) == {m.pk for m in metrics}
    assert _settled(metrics) == {m.code: i + 1 for i, m in enumerate(metrics)}


def test_coalesced_blocks_nest_and_flush_once_at_the_outermost_end(metrics, rebuilds):
    from metrics.services import reading_record

    with aggregates.coalesced():
        reading_record(metric=metrics[0], period="2024-25", value=1)
        with aggregates.coalesced():
            reading_record(metric=metrics[1], period="2024-25", value=2)
        assert not rebuilds  # the inner end does not flush
        reading_record(metric=metrics[2], period="2024-25", value=3)
    assert len(rebuilds) == 1
    assert _rebuilt(rebuilds[0]) == {m.pk for m in metrics[:3]}
    assert not PendingRebuild.objects.exists()
