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


# --- The county-wide figures (issue 16: one rule for every publishable export) --------
# A ratio has no students of its own (n unknown), so each district below the county is
# suppressed, and with one district only, the complementary rule hides the county too:
# it and the published district would give it back. (district value, county value) of
# 2023-24 for a plan-wide and a headline metric; the headline's 2022-23 county figure,
# alone in its table, is published. Every value of 2023-24, and the change, is a sentinel.
WIDE_COUNTY, WIDE_DISTRICT = "987.65", "543.21"
HEADLINE_COUNTY, HEADLINE_DISTRICT, PRIOR = "876.54", "432.19", "100"
COUNTY_SENTINELS = (WIDE_COUNTY, WIDE_DISTRICT, HEADLINE_COUNTY, HEADLINE_DISTRICT,
                    "776.54")  # the change 876.54 - 100
COMPLEMENTARY = footnote(Reason.COMPLEMENTARY, 11)
UNKNOWN = footnote(Reason.UNKNOWN_SIZE, 11)


@pytest.fixture
def county(db):
    plan = PlanFactory(name="County privacy plan", slug="county-privacy", is_public=True)
    pillar = PillarFactory(plan=plan, order=1, slug="p1", name="Pillar one")
    wide = MetricFactory(plan=plan, pillar=None, unit="ratio", code="wide",
                         name="Students per counselor")
    headline = MetricFactory(
        pillar=pillar, unit="ratio", code="mentor", name="Students per mentor",
        is_headline=True, headline_label="Students per mentor", headline_order=1,
        baseline_value=Decimal(PRIOR), baseline_period="2022-23",
        target_value=Decimal(900), target_period="2024-25")
    only = DistrictFactory(name="Only Unified")
    ReadingFactory(metric=headline, period="2022-23", value=Decimal(PRIOR))
    for metric, county_value, district_value in ((wide, WIDE_COUNTY, WIDE_DISTRICT),
                                                 (headline, HEADLINE_COUNTY,
                                                  HEADLINE_DISTRICT)):
        ReadingFactory(metric=metric, value=Decimal(county_value))
        ReadingFactory(metric=metric, district=only, value=Decimal(district_value))
    decide()
    return plan


def _county_reading(plan, code, period=YEAR):
    from metrics.models import Reading

    return Reading.objects.get(metric__plan=plan, metric__code=code, period=period,
                               district__is_total=True, student_group__is_total=True)


def _assert_no_county_value(text):
    for sentinel in COUNTY_SENTINELS:
        assert sentinel not in text, sentinel


def test_the_county_figures_are_complementary_suppressed_as_set_up(county):
    assert _county_reading(county, "wide").publication == Reason.COMPLEMENTARY
    assert _county_reading(county, "mentor").publication == Reason.COMPLEMENTARY
    assert _county_reading(county, "mentor", "2022-23").publication == "published"


def test_a_suppressed_county_figure_its_change_and_its_status_are_withheld(county):
    from metrics.status import WITHHELD
    from reports.report import judge_as_of

    report = build_report(county, YEAR)
    [glance] = report.glance
    assert (glance.text, glance.value, glance.notes) == ("*", None, [COMPLEMENTARY])
    assert report.glance_notes == [COMPLEMENTARY]
    [section] = report.sections
    [figure] = section.headlines
    assert (figure.text, figure.value, figure.size) == ("*", None, None)
    assert (figure.prior_text, figure.prior_value) == ("100:1", Decimal(PRIOR))
    assert figure.change_text == "" and figure.change_note == ""
    # Staff see the status judged on the real figure; the report withholds it.
    real = judge_as_of(figure.metric, [_county_reading(county, "mentor", "2022-23"),
                                       _county_reading(county, "mentor")])
    assert real.status != WITHHELD and real.reason
    assert figure.status == WITHHELD and figure.status_reason == ""
    assert figure.status_word == "Status not shown: the figure is suppressed"
    assert section.status_counts == {WITHHELD: 1}
    assert [(period, value) for period, value, _t in figure.history] == [
        ("2022-23", Decimal(PRIOR)), (YEAR, None)]
    assert section.key_trend is None  # one published point: no trend to draw
    assert section.notes == [COMPLEMENTARY]
    # No chart compares the years; the district chart marks its district.
    assert [c.chart_id.split("-")[1] for c in section.charts] == ["districts"]
    assert section.charts[0].table_rows == [("Only Unified", "*")]
    for chart in section.charts:
        _assert_no_county_value(chart.svg + chart.description + repr(chart.table_rows))


def test_a_county_figure_not_decided_yet_is_the_mark(county):
    from metrics.models import Reading

    Reading.objects.filter(pk=_county_reading(county, "mentor", "2022-23").pk).update(
        publication="undecided")
    [figure] = build_report(county, YEAR).sections[0].headlines
    assert figure.prior_text == "*" and figure.prior_value is None
    assert publication_footnote("undecided", 11) in figure.notes


def _docx_text(data):
    document = Document(io.BytesIO(data))
    return "\n".join([p.text for p in document.paragraphs] + [
        c.text for t in document.tables for row in t.rows for c in row.cells])


def _pptx_text(data):
    from pptx import Presentation

    deck = Presentation(io.BytesIO(data))
    return "\n".join(
        [shape.text_frame.text for slide in deck.slides for shape in slide.shapes
         if shape.has_text_frame]
        + [c.text for slide in deck.slides for shape in slide.shapes if shape.has_table
           for row in shape.table.rows for c in row.cells]
        + [slide.notes_slide.notes_text_frame.text for slide in deck.slides])


def _xlsx_text(data):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for sheet in book for row in sheet.values for v in row
                     if v is not None)


@pytest.mark.parametrize(("fmt", "read"), [
    ("docx", _docx_text), ("pptx", _pptx_text), ("lcap-docx", _docx_text),
    ("lcap-xlsx", _xlsx_text),
])
def test_no_office_file_holds_a_suppressed_county_value(county, fmt, read):
    data = services.produce(county, YEAR, fmt)
    text = squash(read(data))
    assert "*" in text and COMPLEMENTARY in text, fmt
    _assert_no_county_value(_zip_text(data))  # every part: text, alternative text, SVG


def test_the_word_and_deck_figures_write_the_mark(county):
    rows = [tuple(c.text for c in row.cells) for t in Document(io.BytesIO(
        services.produce(county, YEAR, "docx"))).tables for row in t.rows]
    assert any(cell == "*\nStudents per counselor" for row in rows for cell in row)
    deck = _pptx_text(services.produce(county, YEAR, "pptx"))
    assert "Status not shown: the figure is suppressed" in deck
    lcap = _docx_text(services.produce(county, YEAR, "lcap-docx"))
    assert "* (2023-24)" in lcap and "100:1 (2022-23)" in lcap


def test_the_pdf_holds_no_suppressed_county_value(county, tmp_path):
    need_weasyprint()
    path = tmp_path / "report.pdf"
    path.write_bytes(services.produce(county, YEAR, "pdf"))
    text = squash(pdf_text(path))
    assert squash(COMPLEMENTARY) in text and squash(UNKNOWN) in text
    assert "* Students per counselor" in text
    _assert_no_county_value(text)


def test_the_public_csv_of_each_metric_holds_no_suppressed_value(county, client):
    from django.urls import reverse

    for code in ("wide", "mentor"):
        response = client.get(reverse("metrics:public_csv", args=[county.slug, code]))
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        assert "*" in text
        _assert_no_county_value(text)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_staff_data_export_is_whole_and_marked_internal(county, fmt):
    from reports.render.spreadsheets import INTERNAL_TEXT

    data = services.produce(county, YEAR, fmt)
    text = data.decode("utf-8-sig") if fmt == "csv" else _xlsx_text(data)
    for sentinel in (WIDE_COUNTY, WIDE_DISTRICT, HEADLINE_COUNTY, HEADLINE_DISTRICT):
        assert sentinel in text, sentinel
    readings = 5
    assert text.count(INTERNAL_TEXT) == readings + (fmt == "xlsx")  # and the About sheet
    assert services.export_filename(county, YEAR, fmt, [], True) == (
        f"county-privacy-internal-data-{YEAR}.{fmt}")
