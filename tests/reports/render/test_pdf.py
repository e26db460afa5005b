"""The PDF of LACOE's 2023-24 report: what a reader finds, tagged and with vector charts."""

import re
import subprocess
import zlib

import pytest
from django.utils import formats, timezone

from metrics.models import Metric, Reading
from metrics.privacy.decide import decide
from metrics.services import reading_record
from reports import services
from reports.render import pdf
from reports.report import report_title

from ..conftest import need_poppler, need_weasyprint, squash
from .conftest import SEED_CALLOUTS, YEAR, expected_callouts


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


def _pages(pdf_file):
    """The lines of each page's body: the running header and page number (in the
    margins of the Letter page, 612 x 792 pt) are cropped off."""
    text = _run("pdftotext", "-enc", "UTF-8", "-x", "0", "-y", "56", "-W", "612", "-H", "680",
                str(pdf_file), "-")
    return [[line for line in page.splitlines() if line.strip()]
            for page in text.split("\f")[:-1]]


def test_the_pdf_reads_like_a_published_report_page_by_page(lacoe, pdf_file):
    pages = _pages(pdf_file)
    cover = squash(" ".join(pages[0]))
    assert "Annual Report 2023-24" in cover and lacoe.mission in cover
    assert lacoe.vision in cover
    assert "Contents" in pages[1][0]
    callouts = expected_callouts(lacoe)
    # The narrative's two columns in the order they are drawn (column by column): the
    # cropped page text above reads across both columns, line by line.
    drawn = squash(_run("pdftotext", "-raw", "-enc", "UTF-8", str(pdf_file), "-"))
    for pillar in lacoe.pillars.all():
        heading = f"Pillar {pillar.order}: {pillar.name}"
        # The pillar starts a page: its heading is the page's first line (after the header).
        starts = [n for n, page in enumerate(pages) if page and squash(
            " ".join(page[:2])).startswith(heading)]
        assert len(starts) == 1, heading
        page = squash(" ".join(pages[starts[0]]))
        for owner, figure, label in callouts:
            if owner == pillar:
                assert figure in page and squash(label) in page, (heading, figure, label)
        # The narrative (the 2023-24 highlights loaded from the published report) is there.
        body = lacoe.highlights.get(pillar=pillar, school_year=YEAR).body
        first = squash(body.split("\n\n")[0])[:60]
        assert first in drawn, heading
    # No page but the cover and the last is nearly empty (one tile or two table rows).
    for number, page in enumerate(pages[1:-1], start=2):
        assert len(page) >= 10, (number, page)
    assert "No approved figure" not in squash(" ".join(pages[0]))


def test_the_pdf_tables_run_oldest_to_newest_without_empty_columns(lacoe, pdf_file):
    text = _run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf_file), "-")
    heads = [line.split() for line in text.splitlines() if line.strip().startswith("Figure ")]
    assert heads
    for head in heads:
        years = [word for word in head if re.fullmatch(r"\d{4}-\d{2}", word)]
        assert years == sorted(years)
    assert "— —" not in squash(text)


def test_pdfs_of_one_thread_share_their_fonts_and_threads_do_not():
    # A warm PDF reuses the fonts gathered for the first one (fontconfig, Pango's font
    # map); another thread gets its own, since Pango's font map is not thread-safe.
    need_weasyprint()
    import threading

    from reports.render import pdf

    first = pdf._font_config()
    assert pdf._font_config() is first
    other = []
    thread = threading.Thread(target=lambda: other.append(pdf._font_config()))
    thread.start()
    thread.join()
    assert other[0] is not first


def test_the_same_figures_give_the_kept_pdf_and_a_new_approved_value_a_new_one(
    lacoe, monkeypatch, tmp_path
):
    # The PDF is kept under its print HTML (reports/render/pdf.py): the same figures are
    # not laid out again; another language, or a new approved value, is a new document.
    need_weasyprint()
    made, lay_out = [], pdf.pdf_from_html
    monkeypatch.setattr(pdf, "pdf_from_html", lambda html: made.append(html) or lay_out(html))
    first = services.produce(lacoe, YEAR, "pdf")
    assert services.produce(lacoe, YEAR, "pdf") == first and len(made) == 1
    services.produce(lacoe, YEAR, "pdf", language="es")
    assert len(made) == 2
    reach = Metric.objects.get(plan=lacoe, code="p4-facebook-reach")  # 65,000 in 2023-24
    reading_record(metric=reach, period=YEAR, value="61234", approve=True)
    decide([reach.pk])  # what the worker does after the rebuild: until then it is "*"
    path = tmp_path / "new.pdf"
    path.write_bytes(services.produce(lacoe, YEAR, "pdf"))
    assert len(made) == 3
    text = _run("pdftotext", "-raw", "-enc", "UTF-8", str(path), "-")
    assert "61,234" in text
    # Dated by its newest approval, never by when it was made (which would change it).
    approved = Reading.objects.get(metric=reach, period=YEAR, district__is_total=True,
                                   student_group__is_total=True).approved_at
    when = formats.date_format(timezone.localtime(approved), "j F Y, H:i")
    assert f"Figures as of their newest approval: {when}." in squash(text)
    assert "Produced" not in text
