import shutil
import subprocess

import pytest

from reports.render import pdf

from ..conftest import require_service
from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory


@pytest.fixture(autouse=True)
def _reports_setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Exports run in this process (the embedded default), also when REDIS_URL is set.
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def lacoe(lacoe_plan):
    """The real LACOE plan and its 2023-24 figures (approved), aggregates built: the
    session's one load (tests/conftest.py)."""
    return lacoe_plan


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
