"""The report's district figures pass the one suppression rule (issue 16): a district
of fewer students than the plan's threshold, and the one the complementary rule hides
with it, are "*" with the rule's footnote in the report data and in every file, and
their values are nowhere; districts of enough students are shown."""

import io
import zipfile
from decimal import Decimal

import pytest
from docx import Document

from metrics.privacy import Reason, footnote, publication_footnote
from metrics.privacy.decide import decide
from reports import services
from reports.report import build_report

from ..factories import DistrictFactory, MetricFactory, PillarFactory, PlanFactory, ReadingFactory
from .conftest import need_weasyprint, pdf_text, squash

YEAR = "2023-24"
# (district, numerator, denominator, value): the first two values are the sentinels.
DISTRICTS = [
    ("Tiny Unified", 7, 9, "77.78"),  # 9 students, fewer than 11: primary
    ("Small Unified", 30, 45, "66.67"),  # the smallest other: complementary
    ("Middle Unified", 180, 300, "60.00"),
    ("Large Unified", 250, 500, "50.00"),
]
SENTINELS = ("77.78", "77.8", "66.67", "66.7")
NOTES = [footnote(Reason.PRIMARY, 11), footnote(Reason.COMPLEMENTARY, 11)]


@pytest.fixture
def plan(db):
    plan = PlanFactory(name="Privacy plan", slug="privacy")
    pillar = PillarFactory(plan=plan, order=1, slug="p1", name="Pillar one")
    metric = MetricFactory(pillar=pillar, unit="percent", is_headline=True,
                           headline_label="Students reading at grade level", headline_order=1)
    ReadingFactory(metric=metric, value=Decimal("54.68"), numerator=467, denominator=854)
    for name, numerator, denominator, value in DISTRICTS:
        ReadingFactory(metric=metric, district=DistrictFactory(name=name), value=Decimal(value),
                       numerator=numerator, denominator=denominator)
    decide()  # what the worker does after the rebuild
    return plan


def _district_chart(plan):
    [section] = build_report(plan, YEAR).sections
    return next(c for c in section.charts if c.chart_id.startswith("chart-districts-"))


def _assert_clean(text):
    for sentinel in SENTINELS:
        assert sentinel not in text, sentinel


def test_the_chart_data_marks_suppressed_districts_and_never_holds_their_values(plan):
    chart = _district_chart(plan)
    assert chart.table_rows == [
        ("Middle Unified", "60%"), ("Large Unified", "50%"),
        ("Small Unified", "*"), ("Tiny Unified", "*"),
    ]
    assert chart.notes == NOTES
    drawn = [s[3] for s in chart.shapes if s[0] == "text"]
    assert "Middle Unified" in drawn and "Tiny Unified" not in drawn
    assert "Small Unified *" in chart.description and NOTES[0] in chart.description
    _assert_clean(chart.svg + chart.svg_described + chart.description + repr(chart.table_rows))


def test_districts_of_at_least_the_threshold_are_all_shown(plan):
    plan.suppression_threshold = 9
    plan.save()
    decide()
    chart = _district_chart(plan)
    assert ("Tiny Unified", "77.78%") in chart.table_rows
    assert "*" not in dict(chart.table_rows).values() and chart.notes == []


def _zip_text(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_the_word_file_writes_the_mark_and_footnotes_and_no_suppressed_value(plan):
    data = services.produce(plan, YEAR, "docx")
    document = Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    rows = [tuple(c.text for c in row.cells) for t in document.tables for row in t.rows]
    assert ("Tiny Unified", "*") in rows and ("Small Unified", "*") in rows
    assert ("Large Unified", "50%") in rows
    assert all(note in paragraphs for note in NOTES)
    _assert_clean(_zip_text(data))  # every part: text, alternative text, the SVG


def test_the_deck_holds_no_suppressed_value(plan):
    # The deck draws no district chart; no part of it may hold a hidden value either.
    _assert_clean(_zip_text(services.produce(plan, YEAR, "pptx")))


def test_the_pdf_writes_the_mark_and_footnotes_and_no_suppressed_value(plan, tmp_path):
    need_weasyprint()
    path = tmp_path / "report.pdf"
    path.write_bytes(services.produce(plan, YEAR, "pdf"))
    text = squash(pdf_text(path))
    assert "Tiny Unified *" in text and "Small Unified *" in text
    assert "Large Unified 50%" in text
    assert all(squash(note) in text for note in NOTES)
    _assert_clean(text)


def test_a_district_not_decided_yet_is_not_published(plan):
    """Fail closed: a figure approved since the worker's last pass is the mark."""
    from metrics.models import Reading

    Reading.objects.filter(district__name="Large Unified").update(publication="undecided")
    chart = _district_chart(plan)
    assert ("Large Unified", "*") in chart.table_rows
    assert publication_footnote("undecided", 11) in chart.notes
