"""The PDF's per-process caches (balanced columns, broken lines) change nothing a reader
sees: a warm render is the uncached one to the byte, and a changed figure or narrative
is in the next PDF."""

import subprocess

import pytest

from metrics.models import Reading
from reports.render import columns, lines, pdf
from reports.report import build_report

from ..conftest import need_poppler, need_weasyprint, squash
from .conftest import YEAR


@pytest.fixture
def cold():
    """Every cache empty before and after the test (other tests' renders fill them)."""
    need_weasyprint()
    columns.clear()
    lines.clear()
    yield
    columns.clear()
    lines.clear()


def _uncached(html):
    """The PDF as WeasyPrint makes it on its own: no cache of ours is consulted."""
    from django.conf import settings
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=pdf._no_fetch
                ).write_pdf(pdf_variant="pdf/ua-1", font_config=pdf._font_config())


def _rendered(html):
    """pdf_from_html's PDF with how many lines and narratives came from the caches."""
    with columns.balanced_once() as balanced, lines.shaped_once() as shaped:
        data = pdf.pdf_from_html(html)
    return data, balanced.hits, shaped.hits


def _text(data, tmp_path):
    need_poppler()
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, check=True, text=True).stdout
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True,
                           text=True).stdout
    return squash(text), [line for line in pages.splitlines() if line.startswith("Pages:")]


def test_a_warm_pdf_is_the_uncached_pdf_to_the_byte(lacoe, cold, tmp_path):
    html = pdf.render_html(build_report(lacoe, YEAR))
    plain = _uncached(html)
    first, first_columns, _ = _rendered(html)
    warm, warm_columns, warm_lines = _rendered(html)
    assert first == plain and warm == plain
    assert _text(warm, tmp_path) == _text(plain, tmp_path)
    # The caches did serve the warm render: the narratives continued on a second page
    # were not balanced again, and lines came from the cache.
    assert warm_columns > first_columns and warm_columns >= 5
    assert warm_lines > 1000


def test_a_changed_figure_or_narrative_is_in_the_next_pdf(lacoe, cold, tmp_path):
    pdf.pdf_from_html(pdf.render_html(build_report(lacoe, YEAR)))  # fills the caches
    reading = Reading.objects.get(
        metric__plan=lacoe, metric__is_headline=True, metric__headline_label="Instagram Reach",
        period=YEAR, district__is_total=True, student_group__is_total=True)
    old = reading.display_approved_value
    Reading.objects.filter(pk=reading.pk).update(approved_value=123457, value=123457)
    highlight = lacoe.highlights.filter(school_year=YEAR).order_by("pillar__order").first()
    first_paragraph = highlight.body.split("\n\n")[0]
    changed = "Quetzalcoatl " + first_paragraph
    highlight.body = highlight.body.replace(first_paragraph, changed, 1)
    highlight.save()

    html = pdf.render_html(build_report(lacoe, YEAR))
    warm, _, _ = _rendered(html)
    text, _ = _text(warm, tmp_path)
    assert "123,457 Instagram Reach" in text
    assert f"{old} Instagram Reach" not in text
    assert squash(changed)[:80] in text
    assert warm == _uncached(html)


def test_only_our_renders_use_the_caches(lacoe, cold):
    # Outside pdf_from_html, WeasyPrint balances and breaks as it always does: nothing
    # is kept for another render.
    html = pdf.render_html(build_report(lacoe, YEAR))
    pdf.pdf_from_html(html)
    assert columns._heights and lines._lines
    columns.clear()
    lines.clear()
    _uncached(html)
    assert not columns._heights and not lines._lines
    assert columns.installed()
