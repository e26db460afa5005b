"""The exported files of the LACOE 2023-24 report: what a reader finds in them."""

import csv
import io
import re
import subprocess
import zlib

import pytest
from docx import Document

from metrics.models import Metric, Reading
from metrics.rowformat import HEADER
from reports import services
from reports.report import report_title

from .conftest import need_poppler, need_weasyprint, squash

YEAR = "2023-24"
# Spot checks written out from the seed (fixtures/lacoe/figures-2023-24.yaml).
SEED_CALLOUTS = [
    ("more than 6,000", "Educators Trained in Structured Literacy"),
    ("$2.5 million", "Grant to Support Multilingual Learners"),
    ("177,000", "Employees Covered by EASE Program"),
    ("more than 1,400", "Professionals Reached in New Mandated Reporter Training"),
    ("over 186,000", "Instagram Reach"),
    ("$250 million", "Secured for Underserved Locations"),
]


def expected_callouts(plan):
    """Every headline of the plan with its approved 2023-24 figure, as the report writes it."""
    found = []
    for metric in Metric.objects.filter(plan=plan, is_headline=True).select_related("pillar"):
        reading = Reading.objects.get(metric=metric, period=YEAR, district__is_total=True,
                                      student_group__is_total=True)
        found.append((metric.pillar, reading.display_approved_value, metric.headline_label))
    assert len(found) == 20
    return found


@pytest.fixture
def pdf_file(lacoe, tmp_path):
    need_weasyprint()
    path = tmp_path / "report.pdf"
    path.write_bytes(services.produce(lacoe, YEAR, "pdf"))
    return path


def _run(*args):
    need_poppler()
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def test_the_pdf_holds_every_commitment_and_headline_callout(lacoe, pdf_file):
    # -raw: the text in the order it is drawn (each callout's figure, then its label).
    text = squash(_run("pdftotext", "-raw", "-enc", "UTF-8", str(pdf_file), "-"))
    for pillar in lacoe.pillars.all():
        assert squash(pillar.commitment) in text, pillar
        assert f"Pillar {pillar.order}: {pillar.name}" in text
    for pillar, figure, label in expected_callouts(lacoe):
        assert f"{figure} {squash(label)}" in text, (pillar, figure, label)
    for figure, label in SEED_CALLOUTS:
        assert f"{figure} {label}" in text
    assert "nearly 2,000,000 Students served" in text  # at a glance
    assert "Synthetic data" not in text


def test_the_pdf_is_tagged_titled_in_english_with_bookmarks(lacoe, pdf_file):
    info = _run("pdfinfo", str(pdf_file))
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(rf"^Title:\s+{re.escape(report_title(lacoe, YEAR))}$", info, re.M)
    assert "Los Angeles County Office of Education Annual Report 2023-24" in info
    assert re.search(r"^Author:\s+Los Angeles County Office of Education$", info, re.M)
    assert "/Lang (en)" in _pdf_objects(pdf_file.read_bytes())
    outline = _run("pdftohtml", "-i", "-xml", "-stdout", str(pdf_file))
    bookmarks = re.findall(r"<item page=\"\d+\">([^<]+)</item>", outline)
    assert bookmarks[0] == "Annual Report 2023-24"
    for pillar in lacoe.pillars.all():
        assert f"Pillar {pillar.order}: {pillar.name}" in bookmarks
    assert "Headline figures" in bookmarks


def test_the_pdf_draws_charts_as_vectors_with_real_text(lacoe, pdf_file):
    text = _run("pdftotext", "-raw", "-enc", "UTF-8", str(pdf_file), "-")
    # The chart of pillar 4 compares 2022-23 with 2023-24; its labels are text, not pixels.
    assert "Facebook Reach" in text and "approximately 50,427" in text
    assert "/Subtype /Image" not in _pdf_objects(pdf_file.read_bytes())
    structure = _run("pdfinfo", "-struct", str(pdf_file))
    assert "Figure" in structure
    assert "/Alt (Communicate Effectively: figures in 2022-23 and 2023-24" in _pdf_objects(
        pdf_file.read_bytes())


def _pdf_objects(data):
    """The PDF's objects as text, object streams inflated (WeasyPrint compresses them)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", match.end())
        try:
            parts.append(zlib.decompress(data[match.end():end]))
        except zlib.error:
            continue
    return b"\n".join(parts).decode("latin-1")


@pytest.fixture
def word(lacoe):
    return Document(io.BytesIO(services.produce(lacoe, YEAR, "docx")))


def _docx_text(document):
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts.append("\n".join(p.text for p in cell.paragraphs))
    return texts


def test_the_word_file_holds_every_commitment_and_headline_callout(lacoe, word):
    texts = _docx_text(word)
    joined = squash("\n".join(texts))
    for pillar in lacoe.pillars.all():
        assert pillar.commitment in [p.text for p in word.paragraphs], pillar
    cells = {squash(t) for t in texts}
    for _pillar, figure, label in expected_callouts(lacoe):
        # A callout is one cell: the big figure, then its label (then any change).
        assert any(c.startswith(f"{figure} {squash(label)}") for c in cells), (figure, label)
    for figure, label in SEED_CALLOUTS:
        assert f"{figure} {label}" in joined
    assert "nearly 2,000,000 Students served" in cells


def test_the_word_file_is_editable_with_styled_headings(lacoe, word):
    headings = {p.text: p.style.name for p in word.paragraphs if p.style.name.startswith("Head")}
    for pillar in lacoe.pillars.all():
        assert headings[f"Pillar {pillar.order}: {pillar.name}"] == "Heading 1"
    assert headings["Headline figures"] == "Heading 2"
    assert word.paragraphs[1].style.name == "Title"
    assert word.core_properties.title == report_title(lacoe, YEAR)
    assert word.core_properties.language == "en-US"
    assert not any("Synthetic" in p.text for p in word.sections[0].header.paragraphs)


def test_word_charts_are_svg_pictures_with_alternative_text(lacoe, word):
    parts = [p for p in word.part.package.iter_parts() if p.content_type == "image/svg+xml"]
    assert len(parts) == 2  # pillars 1 and 4 have a prior year to compare with
    svg = parts[0].blob.decode()
    assert svg.startswith("<svg") and "<text" in svg and "2022-23" in svg
    descriptions = word.element.body.xpath(".//wp:docPr/@descr")
    assert any("Facebook Reach: approximately 50,427 in 2022-23, 65,000 in 2023-24" in d
               for d in descriptions)


def test_the_csv_has_one_row_per_approved_reading_in_the_row_format(lacoe):
    data = services.produce(lacoe, YEAR, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for spreadsheet programs
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == HEADER
    assert len(rows) == Reading.objects.filter(metric__plan=lacoe).count()
    educators = next(r for r in rows if r["metric_code"] == "p1-educators-trained-structured-"
                                                        "literacy")
    assert educators["qualifier"] == "more than" and educators["value"] == "6000"
    assert educators["pillar"] == "Improve Student Outcomes"
    assert educators["approval_state"] == "approved"
    assert educators["status"] == "No target"
    assert educators["source"] and educators["district"] == "All districts (county-wide)"
    assert rows[0]["pillar"] == ""  # plan-wide figures first


def test_the_data_can_be_limited_to_some_pillars(lacoe):
    pillar = lacoe.pillars.get(order=4)
    rows = list(csv.DictReader(io.StringIO(
        services.produce(lacoe, YEAR, "csv", [pillar]).decode("utf-8-sig"))))
    assert {r["pillar"] for r in rows} == {"", "Communicate Effectively"}


def test_the_xlsx_has_the_readings_first_and_an_about_sheet(lacoe):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(services.produce(lacoe, YEAR, "xlsx")), read_only=True)
    assert book.sheetnames == ["Readings", "About"]
    rows = list(book["Readings"].values)
    assert list(rows[0]) == HEADER
    assert len(rows) - 1 == Reading.objects.filter(metric__plan=lacoe).count()
    values = {r[HEADER.index("metric_code")]: r[HEADER.index("value")] for r in rows[1:]
              if r[HEADER.index("period")] == YEAR}
    assert values["p1-multilingual-learners-grant"] == 2500000  # a number, not text
    assert book.properties.title == report_title(lacoe, YEAR)
    about = [r for r in book["About"].values]
    assert ("Title", report_title(lacoe, YEAR)) in about
