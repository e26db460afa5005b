"""The annual report as an editable Word document (python-docx).

Headings use Word's heading styles (the navigation pane shows them), callouts are
tables of big figures with their labels, highlights keep their Markdown paragraphs,
lists, emphasis and links, and each chart is an SVG picture (with a PNG preview for
Word versions before 2016) with alternative text and a table of its figures.
"""

import io

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.text.run import Run

from .. import markdown

BRAND = RGBColor(0x00, 0x2F, 0x56)
MUTED = RGBColor(0x4A, 0x55, 0x60)
LINK = RGBColor(0x00, 0x46, 0x7F)
WARN = RGBColor(0x4D, 0x2E, 0x00)
LANGUAGES = {"en": "en-US", "es": "es-US"}  # the document's language, for spelling and speech
SVG_EXTENSION = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"
SVG_NAMESPACE = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"


def render_docx(report):
    doc = _document()
    _setup(doc, report)
    _cover(doc, report)
    if report.introduction:
        doc.add_heading(_("Introduction"), level=1)
        _markdown(doc, report.introduction)
    doc.add_heading(_("%(organisation)s at a glance") % {
        "organisation": report.plan.organisation}, level=1)
    if report.glance:
        _figure_table(doc, report.glance, columns=3, size=14)
    else:
        doc.add_paragraph(_("No plan-wide figure is approved for %(year)s.") % {
            "year": report.school_year})
    for note in report.glance_notes:
        doc.add_paragraph(note)
    for section in report.sections:
        _pillar(doc, report, section)
    closing = doc.add_paragraph(f"{report.colophon} {report.produced_text}")
    _style_runs(closing, size=9, colour=MUTED)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def language():
    """The document's language tag: the active language's (en-US when it has none)."""
    return LANGUAGES.get((get_language() or "en").split("-")[0], LANGUAGES["en"])


def _document():
    """A new document of python-docx's template whose style lookups are remembered.

    python-docx finds a style by name by walking every style of the template, then again
    to see whether it is the default one (about half the time of a report, 150 lookups
    of the same dozen names); the styles never change while a document is written, so
    each name is looked up once.
    """
    doc = Document()
    lookup, ids = doc.part.get_style_id, {}

    def get_style_id(style_or_name, style_type):
        if not isinstance(style_or_name, str):
            return lookup(style_or_name, style_type)
        key = (style_or_name, style_type)
        if key not in ids:
            ids[key] = lookup(style_or_name, style_type)
        return ids[key]

    doc.part.get_style_id = get_style_id
    return doc


def _setup(doc, report):
    props = doc.core_properties
    props.title = report.title
    props.subject = _("%(plan)s: annual report %(year)s") % {
        "plan": report.plan.name, "year": report.school_year}
    props.author = report.plan.organisation
    props.language = language()
    props.keywords = _("annual report; strategic plan") + (
        "; " + _("synthetic data") if report.is_synthetic else "")
    # The language of every style (spelling, screen readers), from the document defaults.
    rpr_default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), language())
    normal = doc.styles["Normal"].font
    normal.name = "Arial"
    normal.size = Pt(10.5)
    section = doc.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Inches(0.8))
    if report.is_synthetic:
        note = section.header.paragraphs[0]
        note.text = report.synthetic_note
        _style_runs(note, bold=True, colour=WARN, size=9)
    footer = section.footer.paragraphs[0]
    footer.text = report.title
    _style_runs(footer, size=8, colour=MUTED)


def _cover(doc, report):
    if report.is_synthetic:
        note = doc.add_paragraph(report.synthetic_note)
        _style_runs(note, bold=True, colour=WARN)
    eyebrow = doc.add_paragraph(report.plan.organisation.upper())
    _style_runs(eyebrow, bold=True, colour=MUTED, size=10)
    doc.add_paragraph(_("Annual Report %(year)s") % {"year": report.school_year}, style="Title")
    doc.add_paragraph(report.plan.name, style="Subtitle")
    for label, text in ((_("Mission"), report.plan.mission), (_("Vision"), report.plan.vision)):
        if text:
            paragraph = doc.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(text)
    if not report.all_pillars:
        doc.add_paragraph(report.edition_text)


def _pillar(doc, report, section):
    pillar = section.pillar
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_heading(section.title, level=1)
    doc.add_paragraph(pillar.commitment, style="Intense Quote")
    doc.add_heading(_("Headline figures"), level=2)
    if section.headlines:
        _figure_table(doc, section.headlines, columns=2, size=20, changes=True)
    else:
        doc.add_paragraph(_("This pillar has no headline figures."))
    if section.highlight:
        doc.add_heading(_("Highlights"), level=2)
        _markdown(doc, section.highlight)
    if section.charts:
        doc.add_heading(_("Charts"), level=2)
        for chart in section.charts:
            _chart(doc, chart)
    if section.others:
        doc.add_heading(_("Other figures"), level=2)
        _data_table(doc, *section.others_table)
    for note in section.notes:
        doc.add_paragraph(note)


def _figure_table(doc, figures, *, columns, size, changes=False):
    rows = -(-len(figures) // columns)
    table = doc.add_table(rows=rows, cols=columns)
    table.style = "Table Grid"
    _describe(table, _("Figures: each cell holds a figure and what it counts."))
    for index, figure in enumerate(figures):
        cell = table.cell(index // columns, index % columns)
        value = cell.paragraphs[0]
        if figure.has_value:  # "No approved figure" is never set in headline type
            value.add_run(figure.text)
            _style_runs(value, bold=True, size=size, colour=BRAND)
        else:
            value.add_run(_("No approved figure"))
            _style_runs(value, colour=MUTED)
        cell.add_paragraph(figure.label)
        if figure.period_note:
            _style_runs(cell.add_paragraph(figure.period_note), size=9, colour=MUTED)
        if changes and figure.change_text:
            note = cell.add_paragraph(figure.change_note)
            _style_runs(note, size=9, colour=MUTED)
    doc.add_paragraph()


def _data_table(doc, head, rows, caption=None):
    if caption:
        doc.add_paragraph(caption, style="Caption")
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Light List Accent 1"
    header = table.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, head, strict=True):
        cell.text = str(text)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text)
    if caption:
        _describe(table, caption)
    doc.add_paragraph()


def _chart(doc, chart):
    picture = doc.add_paragraph()
    run = picture.add_run()
    shape = run.add_picture(io.BytesIO(chart.png), width=Inches(6.2))
    svg_part = Part(
        PackURI(f"/word/media/{chart.chart_id}.svg"), "image/svg+xml", chart.svg.encode(),
        doc.part.package,
    )
    svg_rid = doc.part.relate_to(svg_part, RT.IMAGE)
    inline = shape._inline
    doc_pr = inline.docPr
    doc_pr.set("title", chart.title)
    doc_pr.set("descr", f"{chart.title}. {chart.description}")
    blip = inline.graphic.graphicData.pic.blipFill.blip
    ext_list = OxmlElement("a:extLst")
    ext = OxmlElement("a:ext")
    ext.set("uri", SVG_EXTENSION)
    svg_blip = ext.makeelement(f"{{{SVG_NAMESPACE}}}svgBlip", nsmap={"asvg": SVG_NAMESPACE})
    svg_blip.set(qn("r:embed"), svg_rid)
    ext.append(svg_blip)
    ext_list.append(ext)
    blip.append(ext_list)
    doc.add_paragraph(chart.title, style="Caption")
    if chart.table_rows:
        _data_table(doc, chart.table_head, [
            tuple(cell or "—" for cell in row) for row in chart.table_rows
        ])
    for note in chart.notes:
        doc.add_paragraph(note)


def _describe(table, text):
    """Alternative text of a table (Word: Table Properties > Alt Text)."""
    tbl_pr = table._tbl.tblPr
    description = OxmlElement("w:tblDescription")
    description.set(qn("w:val"), text)
    tbl_pr.append(description)


def _repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def _style_runs(paragraph, *, bold=None, size=None, colour=None):
    for run in paragraph.runs:
        if bold is not None:
            run.bold = bold
        if size is not None:
            run.font.size = Pt(size)
        if colour is not None:
            run.font.color.rgb = colour


# --- Markdown highlights as Word paragraphs -------------------------------------------

def _markdown(doc, text):
    lists, pending_style, quote = [], None, 0
    for token in markdown.tokens(text):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("List Bullet" if kind == "bullet_list_open" else "List Number")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind == "heading_open":
            pending_style = "Heading 3"
        elif kind == "paragraph_open":
            if pending_style is None:
                pending_style = lists[-1] if lists else ("Quote" if quote else "Normal")
        elif kind == "inline":
            paragraph = doc.add_paragraph(style=pending_style or "Normal")
            _inline(doc, paragraph, token.children or [])
            pending_style = None
        elif kind in ("fence", "code_block"):
            paragraph = doc.add_paragraph()
            run = paragraph.add_run(token.content.rstrip("\n"))
            run.font.name = "Courier New"


def _inline(doc, paragraph, children):
    bold = italic = False
    link = None
    for child in children:
        kind = child.type
        if kind == "strong_open":
            bold = True
        elif kind == "strong_close":
            bold = False
        elif kind == "em_open":
            italic = True
        elif kind == "em_close":
            italic = False
        elif kind == "link_open":
            link = _hyperlink(doc, paragraph, child.attrs.get("href", ""))
        elif kind == "link_close":
            link = None
        elif kind in ("text", "code_inline", "image", "softbreak", "hardbreak"):
            text = {"softbreak": " ", "hardbreak": ""}.get(kind, child.content)
            if kind == "image":
                text = "".join(c.content for c in child.children or [])
            run = _link_run(link, text) if link is not None else paragraph.add_run(text)
            run.bold, run.italic = bold or None, italic or None
            if kind == "code_inline":
                run.font.name = "Courier New"
            if kind == "hardbreak":
                run.add_break()


def _hyperlink(doc, paragraph, url):
    rid = doc.part.relate_to(url, RT.HYPERLINK, is_external=True)
    element = OxmlElement("w:hyperlink")
    element.set(qn("r:id"), rid)
    paragraph._p.append(element)
    return element


def _link_run(element, text):
    r = OxmlElement("w:r")
    element.append(r)
    run = Run(r, None)
    run.text = text
    run.font.underline = True
    run.font.color.rgb = LINK
    return run


# --- The LCAP "Measuring and Reporting Results" tables (reports/lcap.py) ---------------

def render_lcap_docx(results):
    """One table per goal in the LCAP template's columns, on landscape Letter pages."""
    doc = _document()
    props = doc.core_properties
    props.title, props.author, props.language = results.title, results.plan.organisation, \
        language()
    props.subject = _("%(plan)s: LCAP Measuring and Reporting Results") % {
        "plan": results.plan.name}
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Inches(11), Inches(8.5)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Inches(0.6))
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(9)
    if results.plan.is_synthetic:
        _style_runs(section.header.paragraphs[0], bold=True, colour=WARN)
        section.header.paragraphs[0].text = _("Synthetic data: made up for a demo.")
    footer = section.footer.paragraphs[0]
    footer.text = results.title
    _style_runs(footer, size=8, colour=MUTED)
    doc.add_paragraph(results.title, style="Title")
    year1, year2, year3 = (list(results.years) + ["", "", ""])[:3]
    doc.add_paragraph(_(
        "%(plan)s, approved values up to %(year)s. Year 1 is %(year1)s, Year 2 is %(year2)s, "
        "Year 3 is %(year3)s. Each outcome states its data year.") % {
        "plan": results.plan.name, "year": results.school_year, "year1": year1,
        "year2": year2, "year3": year3})
    if not results.tables:
        doc.add_paragraph(_("No goal of this plan has a metric to report."))
    for table in results.tables:
        doc.add_heading(table.title, level=2)
        caption = _("Measuring and Reporting Results, %(table)s") % {"table": table.title}
        _data_table(doc, results.columns, table.rows, caption=caption)
    for note in results.notes:
        doc.add_paragraph(note)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
