import shutil
import subprocess

import pytest
from django.db import transaction

from metrics.aggregates import rebuild
from metrics.loading import load_directory
from pillars.models import StrategicPlan
from reports.render import pdf

from ..conftest import LACOE_FIXTURES, require_service
from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory


@pytest.fixture(autouse=True)
def _reports_setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Exports run in this process (the embedded default), also when REDIS_URL is set.
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(scope="module")
def _lacoe_loaded(django_db_setup, django_db_blocker):
    """LACOE's plan and figures loaded once per test module, inside a transaction that
    is rolled back when the module ends (each test runs in a savepoint within it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        plan, _ = load_directory(LACOE_FIXTURES)
        rebuild()
    try:
        yield plan.pk
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def lacoe(_lacoe_loaded, db):
    """The real LACOE plan and its 2023-24 figures (approved), aggregates built."""
    return StrategicPlan.objects.get(pk=_lacoe_loaded)


@pytest.fixture
def small_plan(db):
    """Three pillars, each with one headline metric and one approved 2023-24 reading."""
    plan = PlanFactory(name="Small plan", slug="small")
    for order in (1, 2, 3):
        pillar = PillarFactory(plan=plan, order=order, slug=f"p{order}",
                               name=f"Pillar name {order}")
        metric = MetricFactory(pillar=pillar, is_headline=True, headline_label=f"Callout {order}",
                               headline_order=1)
        ReadingFactory(metric=metric, value=1000 * order)
    return plan


def need_weasyprint():
    reason = pdf.unavailable_reason()
    require_service(reason is None, reason or "")


def need_poppler():
    require_service(
        shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None,
        "poppler-utils (pdftotext, pdfinfo) is not installed: apt-get install poppler-utils",
    )


def pdf_text(path):
    need_poppler()
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
        text=True,
    ).stdout


def squash(text):
    """Whitespace runs (line ends of a wrapped paragraph) as one space."""
    return " ".join(text.split())
