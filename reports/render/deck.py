"""The board deck of the annual report as PowerPoint (python-pptx).

Slides: the title; a plan summary (each pillar's status at the year's end, how many of
its metrics have a target, and how fresh its figures are); one slide per pillar (its
headline figures as large numbers, a native chart of its metrics by status and one of
its key trend, and the date its data is of); an appendix table of every metric. Every
slide's title is in the layout's title placeholder (screen readers and the outline
read it), every chart is an editable PowerPoint chart with a text alternative (its
`descr`), and the speaker notes give each status's explanation. Numbers come from the
Report as it was assembled (reports/report.py): the chart values are the approved values.
"""

import io
import re
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls
from pptx.util import Inches, Pt

from metrics.status import display

from .. import publication
from ..report import pillar_number, pillar_title
from . import svg as charts
from .word import language

# The default template's layouts.
TITLE_LAYOUT, TITLE_ONLY_LAYOUT = 0, 5
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
BRAND = RGBColor(0x00, 0x2F, 0x56)
MUTED = RGBColor(0x4A, 0x55, 0x60)
WARN = RGBColor(0x4D, 0x2E, 0x00)
APPENDIX_ROWS = 12  # metric rows per appendix slide: readable at 11 pt
APPENDIX_HEAD = (gettext_lazy("Pillar"), gettext_lazy("Metric"), gettext_lazy("Figure"),
                 gettext_lazy("Period"), gettext_lazy("Status at year end"))


def render_pptx(report):
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    props = deck.core_properties
    props.title = report.title
    props.subject = _("%(plan)s: board deck %(year)s") % {
        "plan": report.plan.name, "year": report.school_year}
    props.author = report.plan.organisation
    props.language = language()
    props.keywords = _("annual report; board deck") + (
        "; " + _("synthetic data") if report.is_synthetic else "")
    _title_slide(deck, report)
    _summary_slide(deck, report)
    for section in report.sections:
        _pillar_slide(deck, report, section)
    _appendix(deck, report)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def slide_titles(report):
    """The title of every slide, in order (the tests and the LibreOffice check count them)."""
    pages = -(-len(report.figures) // APPENDIX_ROWS) or 1
    return ([report.title, _summary_title(report)]
            + [_pillar_title(s) for s in report.sections]
            + [_appendix_title(n, pages) for n in range(1, pages + 1)])


def _summary_title(report):
    return _("%(plan)s: the plan at a glance") % {"plan": report.plan.name}


def _pillar_title(section):
    return pillar_title(section.pillar)


def _appendix_title(number, pages):
    if pages > 1:
        return _("Appendix: every metric (%(number)s of %(pages)s)") % {
            "number": number, "pages": pages}
    return _("Appendix: every metric")


def _slide(deck, report, title, layout=TITLE_ONLY_LAYOUT):
    slide = deck.slides.add_slide(deck.slide_layouts[layout])
    slide.shapes.title.text = title
    box = slide.shapes.title
    box.left, box.top, box.width, box.height = MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(1)
    for paragraph in box.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(30), True, BRAND
    footer = f"{report.title}" + (f". {report.synthetic_note}" if report.is_synthetic else "")
    _text(slide, footer, MARGIN, HEIGHT - Inches(0.5), WIDTH - 2 * MARGIN, Inches(0.35),
          size=10, colour=WARN if report.is_synthetic else MUTED)
    return slide


def _text(slide, text, left, top, width, height, *, size=14, bold=False, colour=None,
          align=PP_ALIGN.LEFT):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    lines = text if isinstance(text, list) else [text]
    for n, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold = Pt(size), bold
        if colour is not None:
            run.font.color.rgb = colour
    return box


def _fitting_size(text, width, largest=32, smallest=20):
    """Points at which `text` fits on one line of `width` (bold sans glyphs average about
    0.62 em, DejaVu Sans the widest of the fonts an office suite substitutes)."""
    return max(smallest, min(largest, int(width / Pt(1) / (0.62 * max(len(text), 1)))))


def _notes(slide, lines):
    slide.notes_slide.notes_text_frame.text = "\n".join(lines)


def _title_slide(deck, report):
    slide = _slide(deck, report, report.title, layout=TITLE_LAYOUT)
    slide.shapes.title.top = Inches(2)
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top = MARGIN, Inches(3.3)
    subtitle.width, subtitle.height = WIDTH - 2 * MARGIN, Inches(2.5)
    lines = [report.plan.name, _("Board presentation, school year %(year)s") % {
        "year": report.school_year}]
    if report.plan.mission:
        lines.append(_("Mission: %(text)s") % {"text": report.plan.mission})
    if report.plan.vision:
        lines.append(_("Vision: %(text)s") % {"text": report.plan.vision})
    subtitle.text_frame.text = "\n".join(lines)
    for paragraph in subtitle.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size, run.font.color.rgb = Pt(18), MUTED
    _notes(slide, [report.colophon])


def _summary_slide(deck, report):
    slide = _slide(deck, report, _summary_title(report))
    head = (_("Pillar"), _("Status at year end"), _("Metrics with a target"), _("Data as of"))
    rows = []
    notes = [_("Statuses as of %(day)s.") % {"day": report.year_end_text}]
    for section in report.sections:
        status, _share, reason = section.rollup
        tracked, judged = section.coverage
        rows.append((_pillar_title(section), display(status).word,
                     _("%(judged)s of %(tracked)s tracked") % {"judged": judged,
                                                                "tracked": tracked},
                     section.data_as_of or _("No data")))
        notes.append(f"{_pillar_title(section)}: {reason}")
    _table(slide, head, rows, top=Inches(1.5), widths=(5.6, 3, 2.3, 1.43), size=14)
    _notes(slide, notes + [report.colophon])


def _pillar_slide(deck, report, section):
    slide = _slide(deck, report, _pillar_title(section))
    headlines = section.headlines[:4]
    width = (WIDTH - 2 * MARGIN) / max(len(headlines), 1)
    for n, figure in enumerate(headlines):
        left = MARGIN + int(width * n)
        if figure.has_value:
            # Large, and smaller for a long figure so that it stays on one line.
            _text(slide, figure.text, left, Inches(1.35), width - Inches(0.15), Inches(0.8),
                  size=_fitting_size(figure.text, width - Inches(0.15)), bold=True,
                  colour=BRAND)
        else:
            _text(slide, _("No approved figure"), left, Inches(1.45), width - Inches(0.15),
                  Inches(0.6), size=16, colour=MUTED)
        label = [figure.label] + ([figure.period_note] if figure.period_note else [])
        _text(slide, label, left, Inches(2.2), width - Inches(0.15), Inches(0.8), size=13,
              colour=MUTED)
    if not headlines:
        _text(slide, _("This pillar has no headline figures."), MARGIN, Inches(1.4),
              WIDTH - 2 * MARGIN, Inches(0.6), size=16, colour=MUTED)
    half = (WIDTH - 2 * MARGIN - Inches(0.3)) // 2
    # The footnotes of the figures' marks ("*") under the charts, which make room for them.
    marks = publication.footnotes(headlines)
    top, height = Inches(3.2), Inches(3.4) - Inches(0.3) * len(marks)
    if marks:
        _text(slide, marks, MARGIN, top + height + Inches(0.05), WIDTH - 2 * MARGIN,
              Inches(0.3) * len(marks), size=10, colour=MUTED)
    status = status_chart(section)
    _bar_chart(slide, status, MARGIN, top, half, height)
    trend = trend_chart(section)
    if trend is None:
        _text(slide, _("No figure of this pillar has two approved periods yet: no trend to "
                       "show."), MARGIN + half + Inches(0.3), top + Inches(1), half, Inches(1),
              size=14, colour=MUTED)
    else:
        _line_chart(slide, trend, MARGIN + half + Inches(0.3), top, half, height)
    as_of = section.data_as_of
    words = {"as_of": as_of, "day": report.year_end_text}
    as_of_text = (_("Data as of %(as_of)s; statuses as of %(day)s.") % words if as_of
                  else _("Data as of no approved figure yet; statuses as of %(day)s.") % words)
    _text(slide, as_of_text, MARGIN, HEIGHT - Inches(0.8),
          WIDTH - 2 * MARGIN, Inches(0.3), size=11, colour=MUTED)
    notes = [section.pillar.commitment, ""]
    for figure in section.figures:
        value = figure.text if figure.has_value else _("no approved figure")
        notes.append(f"{figure.label} ({value}): {figure.status_word}. {figure.status_reason}")
    _notes(slide, notes + publication.footnotes(section.figures))


def status_chart(section):
    counts = {s: section.status_counts.get(s, 0) for s in charts.CHARTED}
    return charts.status_chart(
        counts, chart_id=f"deck-status-{section.pillar.order}",
        title=_("Pillar %(number)s metrics by status") % {"number": section.pillar.order},
    )


def trend_chart(section):
    """The key trend of `section` as a chart (None when no figure has two periods)."""
    figure = section.key_trend
    if figure is None:
        return None
    points = "; ".join(f"{period}: {text}" for period, _value, text in figure.history)
    chart = charts.Chart(
        f"deck-trend-{section.pillar.order}", _("%(label)s over time") % {"label": figure.label},
        _("%(label)s, approved values: %(points)s.") % {"label": figure.label, "points": points},
        0, 0, table_head=(_("Period"), figure.label),
        table_rows=[(period, text) for period, _value, text in figure.history],
    )
    # A point not published is a gap in the line (its row in the table is "*").
    chart.values = [(period, None if value is None else float(value))
                    for period, value, _text in figure.history]
    return chart


def _describe(frame, chart):
    element = frame._element.nvGraphicFramePr.cNvPr
    element.set("title", chart.title)
    element.set("descr", f"{chart.title}. {chart.description}")


def _chart_title(plot, title):
    plot.has_title = True
    frame = plot.chart_title.text_frame
    frame.text = title
    frame.paragraphs[0].runs[0].font.size = Pt(16)


def _bar_chart(slide, chart, left, top, width, height):
    data = CategoryChartData()
    data.categories = [str(row[0]) for row in chart.table_rows]  # lazy words as text
    data.add_series(str(_("Metrics")), [int(row[1]) for row in chart.table_rows])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, left, top, width, height, data)
    _describe(frame, chart)
    plot = frame.chart
    _chart_title(plot, chart.title)
    plot.has_legend = False
    plot.plots[0].has_data_labels = True
    plot.plots[0].data_labels.number_format = "0"
    plot.plots[0].data_labels.number_format_is_linked = False
    plot.category_axis.reverse_order = True
    colours = {display(s).word: display(s).colour for s in charts.CHARTED}
    series = plot.series[0]
    for n, row in enumerate(chart.table_rows):
        point = series.points[n]
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = RGBColor.from_string(colours[row[0]].lstrip("#"))
    return frame


def _line_chart(slide, chart, left, top, width, height):
    data = CategoryChartData()
    data.categories = [str(period) for period, _value in chart.values]
    data.add_series(str(chart.table_head[1]), [value for _period, value in chart.values])
    frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, left, top, width, height, data)
    _describe(frame, chart)
    plot = frame.chart
    _chart_title(plot, chart.title)
    plot.has_legend = True
    plot.legend.position = XL_LEGEND_POSITION.BOTTOM
    plot.legend.include_in_layout = False
    plot.plots[0].has_data_labels = True
    return frame


def _table(slide, head, rows, *, top, widths, size=12):
    shape = slide.shapes.add_table(len(rows) + 1, len(head), MARGIN, top,
                                   WIDTH - 2 * MARGIN, Inches(0.4) * (len(rows) + 1))
    table = shape.table
    for column, inches in zip(table.columns, widths, strict=True):
        column.width = Inches(inches)
    # The rows are written as one piece of XML, parsed once: python-pptx's cell.text and
    # font setters walk the XML for every cell and run (nearly 40% of a deck's time).
    # The XML is what those setters write; text with control characters (which they
    # escape) is still left to them.
    tbl, odd = table._tbl, []
    rows_xml = []
    for r, (tr, row) in enumerate(zip(tbl.tr_lst, [head, *rows], strict=True)):
        cells = []
        for c, text in enumerate(row):
            text = str(text)
            if _PLAIN.fullmatch(text):
                cells.append(_CELL.format(size=Pt(size).centipoints, bold=int(r == 0),
                                          text=escape(text)) if text else _EMPTY_CELL)
            else:
                cells.append(_EMPTY_CELL)
                odd.append((r, c, text))
        rows_xml.append(f'<a:tr h="{tr.h}">{"".join(cells)}</a:tr>')
    parsed = parse_xml(f"<a:tbl {nsdecls('a')}>{''.join(rows_xml)}</a:tbl>")
    for old, new in zip(list(tbl.tr_lst), list(parsed), strict=True):
        tbl.replace(old, new)
    for r, c, text in odd:
        cell = table.cell(r, c)
        cell.text = text
        for paragraph in cell.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(size)
                run.font.bold = r == 0
    return table


_PLAIN = re.compile(r"[^\x00-\x1f]*")
_CELL = ('<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr sz="{size}" b="{bold}"/>'
         '<a:t>{text}</a:t></a:r></a:p></a:txBody><a:tcPr/></a:tc>')
_EMPTY_CELL = "<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p/></a:txBody><a:tcPr/></a:tc>"


def _appendix_rows(report):
    """(pillar, figure) of every metric: plan-wide first, then pillar by pillar."""
    return ([(_("Plan-wide"), f) for f in report.plan_wide]
            + [(pillar_number(s.pillar), f) for s in report.sections for f in s.figures])


def _appendix(deck, report):
    rows = _appendix_rows(report)
    pages = -(-len(rows) // APPENDIX_ROWS) or 1
    for number in range(1, pages + 1):
        chunk = rows[(number - 1) * APPENDIX_ROWS: number * APPENDIX_ROWS]
        slide = _slide(deck, report, _appendix_title(number, pages))
        _table(slide, APPENDIX_HEAD, [
            (where, f.label, f.text if f.has_value else _("No approved figure"), f.period or "—",
             f.status_word)
            for where, f in chunk
        ], top=Inches(1.3), widths=(1.3, 6.4, 2.1, 1.1, 1.43), size=11)
        marks = publication.footnotes(f for _w, f in chunk)
        if marks:  # under the table's 13 rows, above the footer
            _text(slide, marks, MARGIN, Inches(6.55), WIDTH - 2 * MARGIN, Inches(0.4), size=9,
                  colour=MUTED)
        _notes(slide, [f"{f.label}: {f.status_word}. {f.status_reason}" for _w, f in chunk]
               + marks)
