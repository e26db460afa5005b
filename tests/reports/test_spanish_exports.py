"""The annual report's own words in Spanish (issue 18): the headings and sentences the PDF,
Word and PowerPoint write, the callouts' figures, the LCAP tables, the report pages; the
data files that the import reads back stay English. The English exports are what the
tests of tests/reports/render/ check, unchanged."""

import io
import subprocess

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from docx import Document
from openpyxl import load_workbook
from pptx import Presentation

from metrics.models import Metric
from pillars.models import Pillar
from reports import services
from reports.render import pdf

from .conftest import need_poppler, need_weasyprint, squash
from .render.conftest import YEAR

COOKIE = settings.LANGUAGE_COOKIE_NAME
PILLAR_1 = "Pilar 1: Mejorar los resultados de los estudiantes"
# LACOE's 2023-24 report: "By training more than 6,000 educators in structured literacy"
# (fixtures/lacoe/figures-2023-24.yaml), written the Spanish way by metrics/units.py.
MORE_THAN_6000 = "más de 6,000"
# Headings of the English report that a Spanish one must not carry.
ENGLISH_HEADINGS = ("Annual Report", "Headline figures", "Other figures", "at a glance",
                    "About the figures", "Introduction")


@pytest.fixture(autouse=True)
def english_afterwards():
    """A request in Spanish leaves Spanish active in this thread: give the next test English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _pdf_text(data):
    return squash(subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data,
                                 capture_output=True, check=True).stdout.decode())


def _docx_text(data):
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return document, "\n".join([p.text for p in document.paragraphs] + cells)


def _pptx_text(data):
    deck = Presentation(io.BytesIO(data))
    texts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
    return deck, "\n".join(texts)


def test_the_spanish_pdf_has_spanish_headings_figures_and_page_numbers(lacoe):
    need_weasyprint()
    need_poppler()
    text = _pdf_text(services.produce(lacoe, YEAR, "pdf", language="es"))
    assert f"Informe anual {YEAR}" in text
    assert PILLAR_1 in text
    assert MORE_THAN_6000 in text
    for heading in ("Contenido", "Introducción", "Aspectos destacados", "Gráficas",
                    "Acerca de las cifras", "de un vistazo"):
        assert heading in text, heading
    assert "Los estados son al 30 de junio de 2024" in text  # the colophon's day, in Spanish
    assert "Página 2 de" in text  # the running footer
    for english in ENGLISH_HEADINGS + ("Page 2 of", "more than 6,000"):
        assert english not in text, english


def test_the_english_pdf_keeps_its_english_words(lacoe):
    need_weasyprint()
    need_poppler()
    text = _pdf_text(services.produce(lacoe, YEAR, "pdf", language="en"))
    assert f"Annual Report {YEAR}" in text and "Page 2 of" in text
    assert "more than 6,000" in text and "Informe anual" not in text


def test_the_spanish_word_document_has_spanish_headings_and_callouts(lacoe):
    document, text = _docx_text(services.produce(lacoe, YEAR, "docx", language="es"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert PILLAR_1 in headings
    assert "Cifras principales" in headings and "Aspectos destacados" in headings
    assert any(h.endswith("de un vistazo") for h in headings)
    title = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert title == [f"Informe anual {YEAR}"]
    assert MORE_THAN_6000 in text
    assert "30 de junio de 2024" in text and "Elaborado el" in text
    assert document.core_properties.language == "es-US"
    assert document.core_properties.title.endswith(f"Informe anual {YEAR}")
    for english in ENGLISH_HEADINGS + ("more than 6,000", "Produced"):
        assert english not in text, english


def test_the_spanish_board_deck_has_spanish_slides_and_callouts(lacoe):
    deck, text = _pptx_text(services.produce(lacoe, YEAR, "pptx", language="es"))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[0].endswith(f"Informe anual {YEAR}")
    assert PILLAR_1 in titles
    assert titles[-1].startswith("Anexo: todos los indicadores")
    assert MORE_THAN_6000 in text
    assert "Estado al final del año" in text  # the summary table's heading
    assert deck.core_properties.language == "es-US"
    for english in ("Annual Report", "Appendix", "more than 6,000", "Status at year end"):
        assert english not in text + "\n".join(titles), english


def test_a_spanish_export_shows_each_pillars_spanish_name_in_every_format(lacoe):
    _document, word = _docx_text(services.produce(lacoe, YEAR, "docx", language="es"))
    _deck, slides = _pptx_text(services.produce(lacoe, YEAR, "pptx", language="es"))
    for pillar in Pillar.objects.filter(plan=lacoe):
        heading = f"Pilar {pillar.order}: {pillar.name_es}"
        assert heading in word and heading in slides, heading
        for metric in Metric.objects.filter(pillar=pillar, is_headline=True):
            assert metric.headline_label_es in word, metric.code


def test_the_spanish_lcap_tables_have_spanish_columns(lacoe):
    book = load_workbook(io.BytesIO(services.produce(lacoe, YEAR, "lcap-xlsx", language="es")))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "Línea de base" in cells and "Resultado del año 1" in cells
    assert "Baseline" not in cells
    assert any(c.startswith("Objetivo 1.") for c in cells)
    _document, word = _docx_text(services.produce(lacoe, YEAR, "lcap-docx", language="es"))
    assert "Medición e informe de resultados" in word and "Measuring" not in word


def test_the_data_files_stay_english_whatever_the_language(lacoe):
    """The import reads them back: the same bytes in Spanish as in English."""
    english = services.produce(lacoe, YEAR, "csv", language="en")
    assert services.produce(lacoe, YEAR, "csv", language="es") == english
    book = load_workbook(io.BytesIO(services.produce(lacoe, YEAR, "xlsx", language="es")))
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}
    assert about["Title"].endswith(f"Annual Report {YEAR}")
    assert "metric_code" in next(book["Readings"].iter_rows(values_only=True))


def test_the_page_counter_keeps_its_words_and_the_counters():
    assert pdf.page_counter("Page %(page)s of %(pages)s") == \
        '"Page " counter(page) " of " counter(pages)'
    # A translation cannot close the CSS string or the <style> element.
    assert pdf.page_counter('P "%(page)s</style>') == r'"P \"" counter(page) "\3C /style>"'


def test_the_report_page_and_export_form_in_spanish(client, users, lacoe):
    client.force_login(users["comms"])
    client.cookies[COOKIE] = "es"
    page = client.get(reverse("reports:report", args=[lacoe.slug, YEAR])).content.decode()
    assert '<html lang="es"' in page
    assert f"Informe anual {YEAR}" in page and PILLAR_1 in page
    assert MORE_THAN_6000 in page and "Mostrar estos pilares" in page
    assert "Annual Report" not in page and "Headline figures" not in page
    form = client.get(reverse("reports:export", args=[lacoe.slug, YEAR])).content.decode()
    assert "Exportar el informe anual" in form and "Documento de Word" in form
    index = client.get(reverse("reports:index")).content.decode()
    assert "Informes por plan y año" in index


def test_english_content_on_a_spanish_report_page_is_marked(client, users, small_plan):
    client.force_login(users["comms"])
    client.cookies[COOKIE] = "es"
    page = client.get(reverse("reports:report", args=[small_plan.slug, YEAR])).content.decode()
    pillar = small_plan.pillars.order_by("order").first()
    assert f'Pilar 1: <span lang="en">{pillar.name}</span>' in page


@pytest.mark.parametrize("pillar", ["", "-1", "9" * 400, "١", "<script>x</script>",
                                    "=HYPERLINK(1)"])
def test_a_spanish_report_page_survives_odd_pillar_choices(client, users, small_plan, pillar):
    client.force_login(users["comms"])
    client.cookies[COOKIE] = "es"
    response = client.get(reverse("reports:report", args=[small_plan.slug, YEAR]),
                          {"pillar": pillar})
    assert response.status_code == 200
    assert "<script>x" not in response.content.decode()
