"""The annual report as a tagged PDF (PDF/UA-1) with WeasyPrint.

The PDF is the report page's own HTML laid out for print: real text, charts as
inline SVG (vector, with their text), the document's title and language set, and
headings as bookmarks. WeasyPrint needs Debian's pango and harfbuzz libraries; where
they are missing, `unavailable_reason()` says so in plain words.
"""

import functools
import hashlib
import logging
import re
import threading
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from metrics.redis_cache import cache_get, cache_set

from . import columns, lines

STYLESHEETS = ("css/app.css", "css/report.css")
PDF_VARIANT = "pdf/ua-1"

# WeasyPrint logs each step (from its import on) at INFO, and each screen-only rule of
# app.css it skips as a warning: keep the logs for what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("weasyprint").setLevel(logging.ERROR)


@functools.cache
def unavailable_reason():
    """None when PDFs can be made here, else why not, in plain words."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        return (
            "PDF export is unavailable on this server: the PDF library (WeasyPrint) or "
            f"the system libraries it needs (pango, harfbuzz) are not installed ({exc}). "
            "Word, Excel and CSV exports still work."
        )
    return None


@functools.cache
def _stylesheets():
    texts = []
    for name in STYLESHEETS:
        found = finders.find(name)
        texts.append(Path(found).read_text(encoding="utf-8") if found else "")
    return "\n".join(texts)


def css_string(text):
    """`text` as a CSS string literal, safe inside a <style> element."""
    return _quoted(" ".join(text.split()))


def _quoted(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
    return '"' + escaped + '"'


def page_counter(text):
    """A CSS `content` value of `text` with its `%(page)s` and `%(pages)s` as the page
    counters: "Page %(page)s of %(pages)s" gives "Page " counter(page) " of " counter(pages)."""
    out = []
    for part in re.split(r"(%\((?:page|pages)\)s)", text):
        if part in ("%(page)s", "%(pages)s"):
            out.append(f"counter({part[2:-2]})")
        elif part:
            out.append(_quoted(part))
    return " ".join(out)


def render_html(report):
    return render_to_string("reports/annual_report_pdf.html", {
        "report": report,
        "stylesheets": _stylesheets(),
        "running_title": css_string(_("%(plan)s · Annual Report %(year)s") % {
            "plan": report.plan.name, "year": report.school_year}),
        "page_of": page_counter(_("Page %(page)s of %(pages)s")),
        "synthetic_footer": css_string(
            _("Synthetic data: made up for a demo, not real figures")),
    })


# Whole PDFs kept (issue 14: a warm PDF within 1 s; laying one out takes 1.5-2 s of CPU),
# keyed on their print HTML, which holds everything the PDF shows (the figures, the
# highlights, the plan's words, the language, the pillars chosen, the stylesheets), and
# on the code that lays it out: a new approved value or edit gives new HTML, hence a new
# PDF at once, with nothing to invalidate. The HTML carries no time of its own making
# (the colophon dates the figures by their newest approval). In the Django cache (Redis
# in production, shared by the worker that makes exports and the web processes; locmem
# embedded): a key per distinct document (LACOE's 2023-24 report: 131 kB, 21 pages),
# none above CACHED_MAX_BYTES, each kept PDF_CACHE_SECONDS. Not in the export job's
# file: the management command and the bench produce no job, and a job's file expires
# and is deleted with its job.
PDF_CACHE_PREFIX = "reports:pdf:"
PDF_CACHE_SECONDS = 24 * 60 * 60
CACHED_MAX_BYTES = 20 * 1024 * 1024
_LAYOUT_CODE = ("pdf.py", "columns.py", "lines.py")


def render_pdf(report):
    html = render_html(report)
    key = pdf_cache_key(html)
    data = cache_get(key)
    if data is None:
        data = pdf_from_html(html)
        if len(data) <= CACHED_MAX_BYTES:
            cache_set(key, data, PDF_CACHE_SECONDS)
    return data


def pdf_cache_key(html):
    return PDF_CACHE_PREFIX + hashlib.sha256(_code_version() + html.encode()).hexdigest()


@functools.cache
def _code_version():
    """What lays the HTML out besides itself: WeasyPrint's version and our layout code."""
    import weasyprint

    here = Path(__file__).resolve().parent
    code = b"".join((here / name).read_bytes() for name in _LAYOUT_CODE)
    return hashlib.sha256(weasyprint.__version__.encode() + PDF_VARIANT.encode() + code).digest()


def pdf_from_html(html):
    """The PDF of the report page's print HTML (render_html)."""
    return laid_out(html).write_pdf(pdf_variant=PDF_VARIANT)


def laid_out(html):
    """WeasyPrint's document of the print HTML: its pages laid out, not yet drawn.

    Laid out with what this process has already worked out for the same text (the
    balanced height of a narrative, the lines of a paragraph: reports/render/columns.py
    and lines.py): the same PDF to the byte for about 40% less CPU (2.7 s to 1.5 s for
    LACOE's 2023-24 report, measured in one process on a loaded machine).
    """
    from weasyprint import HTML

    # Nothing is fetched: stylesheets and charts are inline, so no URL is ever opened.
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_no_fetch)
    with columns.balanced_once(), lines.shaped_once():
        return document.render(font_config=_font_config(), pdf_variant=PDF_VARIANT)


_fonts = threading.local()


def _font_config():
    """The fonts of this thread's PDFs, gathered once (WeasyPrint's FontConfiguration).

    A new one per PDF reloads fontconfig's fonts and a new Pango font map, whose caches
    of loaded fonts are lost with it (a small saving: about 0.05 s of the 2.1 s of CPU of
    LACOE's 2023-24 PDF, measured against a new one per PDF in one process). It holds the
    fonts of this server (and of @font-face rules, stored by their rule), never anything
    of a report; WeasyPrint keeps per-font data in it for documents rendered one after
    another in one process (Kozea/WeasyPrint#2144). One per thread, because Pango's font
    map is not safe to share between threads.
    """
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_fonts, "config", None) is None:
        _fonts.config = FontConfiguration()
    return _fonts.config


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"The report PDF loads no external resource (asked for {url[:80]}).")
