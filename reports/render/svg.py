"""Charts of the annual report as SVG drawn by our own code: vector, with real text.

A chart is laid out once as a few primitives (rectangles and text) and written as
SVG for the page, the PDF and Word; Word also gets a PNG preview of the bars for
versions that cannot show SVG. Every chart has a title and a description (its text
alternative) and the same numbers are in a table beside it.
"""

import struct
import textwrap
import zlib
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from metrics.status import STATUS_ORDER, WITHHELD, display

WIDTH = 640
FONT = "Liberation Sans, Arial, Helvetica, DejaVu Sans, sans-serif"
FONT_SIZE = 13
CHAR_WIDTH = 7.8  # a generous average advance at FONT_SIZE (DejaVu Sans is the widest), px
ROW = 24
BAR = 16
# The statuses a status chart counts: a status withheld with its figure is one too.
CHARTED = (*STATUS_ORDER, WITHHELD)
# Ink of the charts, none of them a status colour (those come from metrics.status).
INK = "#1b1f24"
MUTED = "#4a5560"
CURRENT = "#00467f"
PRIOR = "#66717c"


@dataclass
class Bar:
    label: str
    value: float
    text: str
    colour: str = CURRENT


@dataclass
class Group:
    """Bars drawn on one scale, under an optional title."""

    title: str
    bars: list


@dataclass
class Chart:
    chart_id: str
    title: str
    description: str
    width: int
    height: int
    shapes: list = field(default_factory=list)  # ("rect", x, y, w, h, colour) / ("text", ...)
    table_head: tuple = ()
    table_rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # footnotes of the table ("*" suppressed)

    @property
    def svg(self):
        return to_svg(self)

    @property
    def svg_described(self):
        """The SVG whose title carries the description too: a PDF's alternative text."""
        return to_svg(self, described=True)

    @property
    def png(self):
        return to_png(self)


def _text_width(text):
    return len(text) * CHAR_WIDTH


def bar_chart(groups, *, chart_id, title, description, table_head=(), table_rows=(),
              notes=()):
    """Horizontal bars in groups; each group has its own scale (its largest bar)."""
    label_w = min(220, max((_text_width(b.label) for g in groups for b in g.bars), default=0) + 8)
    value_w = max((_text_width(b.text) for g in groups for b in g.bars), default=0) + 10
    bar_x = label_w
    bar_room = max(80, WIDTH - label_w - value_w)
    chars_per_line = int(WIDTH / CHAR_WIDTH)
    shapes, y = [], 4
    for group in groups:
        if group.title:
            for line in textwrap.wrap(group.title, chars_per_line) or [""]:
                y += ROW - 6
                shapes.append(("text", 0, y, line, INK, "start", True))
            y += 6
        top = max((abs(b.value) for b in group.bars), default=0) or 1
        for bar in group.bars:
            width = bar_room * abs(bar.value) / top
            shapes.append(("text", label_w - 8, y + BAR - 3, _fit(bar.label, label_w - 8),
                           MUTED, "end", False))
            shapes.append(("rect", bar_x, y + 1, max(width, 1), BAR, bar.colour))
            shapes.append(("text", bar_x + width + 6, y + BAR - 3, bar.text, INK, "start",
                           False))
            y += ROW
        y += 8
    return Chart(chart_id, title, description, WIDTH, int(y + 4), shapes,
                 tuple(table_head), list(table_rows), list(notes))


def status_chart(counts, *, chart_id, title):
    """How many metrics are in each status: one stacked bar, with a legend in words.
    A status withheld with its figure (reports/publication.py) is counted as not shown."""
    total = sum(counts.get(s, 0) for s in CHARTED)
    shapes, x = [], 0.0
    for status in CHARTED:
        count = counts.get(status, 0)
        if count:
            width = WIDTH * count / total
            shapes.append(("rect", x, 4, width, 24, display(status).colour))
            x += width
    legend_x, y = 0.0, 52
    for status in CHARTED:
        count = counts.get(status, 0)
        if not count:
            continue
        label = f"{display(status).word}: {count}"
        room = 18 + _text_width(label) + 16
        if legend_x + room > WIDTH:
            legend_x, y = 0.0, y + ROW
        shapes.append(("rect", legend_x, y - 11, 12, 12, display(status).colour))
        shapes.append(("text", legend_x + 18, y, label, INK, "start", False))
        legend_x += room
    words = ", ".join(
        f"{display(s).word.lower()} {counts[s]}" for s in CHARTED if counts.get(s)
    )
    description = ngettext("%(total)s metric by status: %(words)s.",
                           "%(total)s metrics by status: %(words)s.", total) % {
        "total": total, "words": words}
    return Chart(
        chart_id, title, description, WIDTH, int(y + 10), shapes, (_("Status"), _("Metrics")),
        [(display(s).word, str(counts[s])) for s in CHARTED if counts.get(s)],
    )


def _fit(text, width):
    room = int(width / CHAR_WIDTH)
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"


def to_svg(chart, described=False):
    title_id, desc_id = f"{chart.chart_id}-title", f"{chart.chart_id}-desc"
    title = f"{chart.title}. {chart.description}" if described else chart.title
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'viewBox="0 0 {chart.width} {chart.height}" width="{chart.width}" '
        f'height="{chart.height}" aria-labelledby="{title_id} {desc_id}" '
        f'font-family={quoteattr(FONT)} font-size="{FONT_SIZE}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(chart.description)}</desc>',
    ]
    for shape in chart.shapes:
        if shape[0] == "rect":
            _, x, y, w, h, colour = shape
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                       f'fill="{colour}"/>')
        else:
            _, x, y, text, colour, anchor, bold = shape
            weight = ' font-weight="bold"' if bold else ""
            out.append(f'<text x="{x:.1f}" y="{y:.1f}" fill="{colour}" '
                       f'text-anchor="{anchor}"{weight}>{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def to_png(chart, scale=2):
    """A PNG of the chart's bars (no text): Word's preview where SVG is not shown."""
    width, height = chart.width * scale, chart.height * scale
    rows = [bytearray(b"\xff" * (width * 3)) for _ in range(height)]
    for shape in chart.shapes:
        if shape[0] != "rect":
            continue
        _, x, y, w, h, colour = shape
        rgb = bytes.fromhex(colour.lstrip("#"))
        x0, x1 = int(x * scale), min(width, int((x + w) * scale) or 1)
        y0, y1 = int(y * scale), min(height, int((y + h) * scale))
        for row in rows[y0:y1]:
            row[x0 * 3:x1 * 3] = rgb * (x1 - x0)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
