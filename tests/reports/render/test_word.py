"""The Word file of LACOE's 2023-24 report: editable, styled, charts with alternative text."""

import io

import pytest
from docx import Document

from reports import services
from reports.report import report_title

from ..conftest import squash
from .conftest import SEED_CALLOUTS, YEAR, expected_callouts


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
