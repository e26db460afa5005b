"""The board deck of LACOE's 2023-24 report: a title on every slide, native charts with
text alternatives, speaker notes, and every number as the database holds it."""

import io

import pytest
from pptx import Presentation
from pptx.util import Pt

from metrics.models import Reading
from metrics.status import display
from reports import services
from reports.render import deck
from reports.report import build_report, judge_as_of, report_title

from ..conftest import squash
from .conftest import SEED_CALLOUTS, YEAR, expected_callouts


@pytest.fixture
def pptx(lacoe):
    return Presentation(io.BytesIO(services.produce(lacoe, YEAR, "pptx")))


def _texts(slide):
    found = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            found.append(squash(shape.text_frame.text))
        if shape.has_table:
            found += [squash(c.text) for row in shape.table.rows for c in row.cells]
    return found


def test_every_slide_has_its_title_in_the_title_placeholder(lacoe, pptx):
    titles = [slide.shapes.title.text for slide in pptx.slides]
    assert all(slide.shapes.title is not None for slide in pptx.slides)
    assert titles == deck.slide_titles(build_report(lacoe, YEAR))
    assert titles[0] == report_title(lacoe, YEAR)
    assert titles[2:7] == [f"Pillar {p.order}: {p.name}" for p in lacoe.pillars.all()]
    assert titles[-1].startswith("Appendix: every metric")
    assert pptx.core_properties.title == report_title(lacoe, YEAR)


def test_each_pillar_slide_shows_its_four_callouts_large(lacoe, pptx):
    slides = {s.shapes.title.text: s for s in pptx.slides}
    for pillar, figure, label in expected_callouts(lacoe):
        slide = slides[f"Pillar {pillar.order}: {pillar.name}"]
        big = [shape for shape in slide.shapes if shape.has_text_frame
               and shape.text_frame.text == figure]
        assert big, (figure, label)
        assert big[0].text_frame.paragraphs[0].runs[0].font.size >= Pt(20)
        assert any(t.startswith(squash(label)) for t in _texts(slide))
    joined = " ".join(t for s in pptx.slides for t in _texts(s))
    for figure, label in SEED_CALLOUTS:
        assert figure in joined and label in joined


def test_charts_are_native_with_text_alternatives_and_database_values(lacoe, pptx):
    frames = [shape for slide in pptx.slides for shape in slide.shapes if shape.has_chart]
    assert len(frames) >= 5  # a status chart on every pillar slide, trends where there are
    for frame in frames:
        descr = frame._element.nvGraphicFramePr.cNvPr.get("descr")
        assert descr and len(descr) > 20
    report = build_report(lacoe, YEAR)
    for section in report.sections:
        slide = next(s for s in pptx.slides if s.shapes.title.text.startswith(
            f"Pillar {section.pillar.order}:"))
        charts = [shape.chart for shape in slide.shapes if shape.has_chart]
        counts = dict(zip(charts[0].plots[0].categories, charts[0].series[0].values,
                          strict=True))
        tracked = sum(n for s, n in section.status_counts.items() if s != "context")
        assert sum(counts.values()) == tracked
        trend = section.key_trend
        if trend is not None:
            readings = Reading.objects.filter(
                metric=trend.metric, district__is_total=True, student_group__is_total=True,
                state="approved", period_end__lte=report.year_end,
            ).order_by("period_end")
            assert list(charts[1].series[0].values) == [float(r.approved_value)
                                                        for r in readings]


def test_the_appendix_lists_every_metric_with_its_database_figure(lacoe, pptx):
    rows = [
        [squash(c.text) for c in row.cells]
        for slide in pptx.slides if slide.shapes.title.text.startswith("Appendix")
        for shape in slide.shapes if shape.has_table for row in list(shape.table.rows)[1:]
    ]
    metrics = list(lacoe.metrics.all())
    assert len(rows) == len(metrics)
    figures = {row[1]: row[2] for row in rows}
    for reading in Reading.objects.filter(metric__plan=lacoe, period=YEAR,
                                          district__is_total=True, student_group__is_total=True
                                          ).select_related("metric"):
        metric = reading.metric
        assert figures[metric.headline_label or metric.name] == reading.display_approved_value


def test_speaker_notes_explain_each_status(lacoe, pptx):
    slide = next(s for s in pptx.slides if s.shapes.title.text.startswith("Pillar 1:"))
    notes = slide.notes_slide.notes_text_frame.text
    metric = lacoe.metrics.filter(pillar__order=1, is_headline=True).first()
    readings = list(Reading.objects.filter(
        metric=metric, district__is_total=True, student_group__is_total=True,
        state="approved").order_by("period_end"))
    judgement = judge_as_of(metric, readings)
    assert f"{display(judgement.status).word}. {judgement.reason}" in notes


def test_the_deck_is_a_job_with_progress_and_a_command(client, users, lacoe, tmp_path,
                                                     django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from django.urls import reverse

    from reports.models import ExportJob

    client.force_login(users["comms"])
    url = reverse("reports:export", args=[lacoe.slug, YEAR])
    assert "PowerPoint board deck" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"format": "pptx", "pillars": [p.slug for p in lacoe.pillars.all()]})
    job = ExportJob.objects.get(user=users["comms"], format="pptx")
    assert job.state == "done" and job.progress_done == job.progress_total == 6
    assert job.filename == f"{lacoe.slug}-board-deck-{YEAR}.pptx"
    response = client.get(reverse("reports:download", args=[job.pk]))
    assert response["Content-Type"] == services.CONTENT_TYPES["pptx"]
    out = tmp_path / "deck.pptx"
    call_command("export_annual_report", "--year", YEAR, "--format", "pptx", "--output",
                 str(out), "--plan", lacoe.slug)
    assert len(Presentation(str(out)).slides) == len(deck.slide_titles(build_report(lacoe, YEAR)))


def test_deck_tables_hold_each_cell_as_python_pptx_writes_it():
    # The rows are written as one piece of XML: the same cells as python-pptx's own
    # cell.text and font setters, for markup characters, empty cells and line breaks too.
    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[deck.TITLE_ONLY_LAYOUT])
    head = ("Metric", "Figure")
    rows = [("Fish & chips <served>", ""), ("Two\nlines", "tab\there")]
    table = deck._table(slide, head, rows, top=Pt(100), widths=(6, 6), size=11)
    reference = Presentation()
    other = reference.slides.add_slide(reference.slide_layouts[deck.TITLE_ONLY_LAYOUT])
    expected = other.shapes.add_table(3, 2, 0, 0, Pt(100), Pt(100)).table
    for r, row in enumerate([head, *rows]):
        for c, text in enumerate(row):
            cell = expected.cell(r, c)
            cell.text = text
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size, run.font.bold = Pt(11), r == 0
    for r in range(3):
        for c in range(2):
            assert table.cell(r, c)._tc.xml == expected.cell(r, c)._tc.xml, (r, c)
    assert table.cell(1, 0).text == "Fish & chips <served>"
    assert table.cell(1, 0).text_frame.paragraphs[0].runs[0].font.size == Pt(11)
    assert table.cell(0, 1).text_frame.paragraphs[0].runs[0].font.bold is True
