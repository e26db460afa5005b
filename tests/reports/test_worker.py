"""An export through a live Celery worker on Redis (skips without Redis, fails under
REQUIRE_SERVICES=1): the page reads real progress written by another process."""

import time

import pytest

from reports import services
from reports.models import ExportJob

from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory
from ..test_live_services import live_worker, workers  # noqa: F401 - the fixtures

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_media(monkeypatch, settings, tmp_path):
    # The worker and this test must agree on where files go (before the worker starts).
    media = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    settings.MEDIA_ROOT = media
    return media


def test_an_export_runs_on_the_live_worker(worker_media, live_worker, users, settings, client):  # noqa: F811
    settings.CELERY_TASK_ALWAYS_EAGER = False
    plan = PlanFactory(slug="worker-plan")
    for order in (1, 2):
        pillar = PillarFactory(plan=plan, order=order, slug=f"w{order}")
        metric = MetricFactory(pillar=pillar, name=f"Worker metric {order}")
        ReadingFactory(metric=metric, value=order * 10)
    job = services.export_job_create(user=users["comms"], plan=plan, school_year="2023-24",
                                     pillars=list(plan.pillars.all()), fmt="csv")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert live_worker.poll() is None, "the Celery worker exited"
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.3)
    assert job.state == "done", job.error
    assert job.progress_done == job.progress_total == 3
    client.force_login(users["comms"])
    response = client.get(f"/reports/exports/{job.pk}/download/")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Worker metric 1" in body and "Worker metric 2" in body
    assert ExportJob.objects.get().file.path.startswith(str(worker_media))
