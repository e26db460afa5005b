"""A synthetic demo plan says "Synthetic data" on every page and in every exported file."""

import csv
import io

import pytest
from django.urls import reverse
from docx import Document

from reports import services
from reports.render.spreadsheets import SYNTHETIC_COLUMN, SYNTHETIC_TEXT

from ..factories import MetricFactory, PillarFactory, PlanFactory, ReadingFactory
from .conftest import need_weasyprint, pdf_text
from .factories import ExportJobFactory, HighlightFactory

MARK = "Synthetic data"


@pytest.fixture
def demo(db):
    # The flag alone decides: the name does not say "synthetic".
    plan = PlanFactory(name="Demo plan", slug="demo", organisation="Demo County",
                       is_synthetic=True)
    for order in (1, 2):
        pillar = PillarFactory(plan=plan, order=order, slug=f"demo-{order}")
        metric = MetricFactory(pillar=pillar, is_headline=True, headline_label="Made-up callout",
                               headline_order=1)
        ReadingFactory(metric=metric, value=500 * order)
        HighlightFactory(pillar=pillar, body="Invented text. " * 200)
    return plan


def test_every_page_of_a_synthetic_plan_says_so(client, users, demo):
    client.force_login(users["administrator"])
    year = [demo.slug, "2023-24"]
    pillar = demo.pillars.first()
    job = ExportJobFactory(user=users["administrator"], plan=demo)
    urls = [
        reverse("reports:report", args=year),
        reverse("reports:export", args=year),
        reverse("reports:highlights", args=year),
        reverse("reports:highlight_intro", args=year),
        reverse("reports:highlight_pillar", args=[*year, pillar.slug]),
        reverse("reports:job", args=[job.pk]),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert 'class="synthetic-banner' in html and MARK in html, url
    report = client.get(urls[0]).content.decode()
    assert f"<title>{MARK}: Annual Report 2023-24" in report
    assert 'class="synthetic-mark"' in report
    index = client.get(reverse("reports:index")).content.decode()
    assert "Demo plan (synthetic data)" in index


def test_every_pdf_page_says_synthetic_data(demo, tmp_path):
    need_weasyprint()
    path = tmp_path / "demo.pdf"
    path.write_bytes(services.produce(demo, "2023-24", "pdf"))
    pages = [page for page in pdf_text(path).split("\f") if page.strip()]
    assert len(pages) >= 3
    for number, page in enumerate(pages, 1):
        assert MARK in page, f"page {number} does not say it"


def test_the_word_file_says_so_in_its_header_and_first_line(demo):
    document = Document(io.BytesIO(services.produce(demo, "2023-24", "docx")))
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert header.startswith(MARK)
    assert document.paragraphs[0].text.startswith(MARK)
    assert "synthetic data" in document.core_properties.keywords


def test_csv_and_xlsx_say_so_on_every_row(demo):
    from openpyxl import load_workbook

    rows = list(csv.DictReader(io.StringIO(
        services.produce(demo, "2023-24", "csv").decode("utf-8-sig"))))
    assert rows and all(row[SYNTHETIC_COLUMN] == SYNTHETIC_TEXT for row in rows)
    book = load_workbook(io.BytesIO(services.produce(demo, "2023-24", "xlsx")), read_only=True)
    sheet = list(book["Readings"].values)
    column = list(sheet[0]).index(SYNTHETIC_COLUMN)
    assert all(row[column] == SYNTHETIC_TEXT for row in sheet[1:])
    about = list(book["About"].values)
    assert about[0][0] == MARK


def test_file_names_of_synthetic_exports_say_so(demo):
    pillars = list(demo.pillars.all())
    assert services.export_filename(demo, "2023-24", "pdf", pillars, True) == \
        "synthetic-data-demo-annual-report-2023-24.pdf"
