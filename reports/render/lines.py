"""Lines of the report's text broken once per process, not on every layout of them.

WeasyPrint breaks text into lines one line at a time (weasyprint/text/line_break.py,
`split_first_line`): each call builds a Pango layout of the rest of the paragraph,
has Pango shape it and reads the first line. The same paragraph is broken again each
time its block is laid out: twice per narrative column layout (a trial, then the
final one), again when a page is laid out anew (the contents' page numbers), and for
every render of the same report. Of LACOE's 2023-24 PDF that was about a quarter of
the CPU.

What a call returns depends only on its arguments: the text, the width it may take,
the spacing added to justify it, whether it starts a line, and the style properties
the function and Pango's layout read (below, `SHAPING`), with the fonts of this thread
(reports.render.pdf._font_config). So the answer is kept, keyed by all of them, and a
call with the same arguments gets a copy of it. The layout in the answer has already
let go of Pango's objects (WeasyPrint deactivates it; drawing builds them again from
its text), so a copy is a few numbers and a string: each box gets its own, and
drawing one never changes another's.

Only our PDFs use this (`shaped_once()` around a render); it replaces
`split_first_line` where WeasyPrint 70.0 (the pinned version) lays out inline text
and measures it for table widths, and nothing on another version.
"""

import contextvars
import copy
import threading

from .kept import Kept, render_scope

PATCHED_VERSION = "70.0"
# Every style property split_first_line, its Layout (setup, set_text, set_tabs) and
# first_line_metrics read, in weasyprint/text/line_break.py of 70.0.
SHAPING = (
    "white_space", "font_family", "font_style", "font_stretch", "font_weight",
    "font_size", "line_height", "font_variant_ligatures", "font_variant_position",
    "font_variant_caps", "font_variant_numeric", "font_variant_alternates",
    "font_variant_east_asian", "font_feature_settings", "font_variation_settings",
    "font_language_override", "font_kerning", "lang", "direction", "hyphens",
    "hyphenate_character", "hyphenate_limit_chars", "hyphenate_limit_zone",
    "overflow_wrap", "word_break", "word_spacing", "letter_spacing", "tab_size",
    "text_decoration_line",
)
# A 21-page report breaks about 2,500 different runs of text; room for a few reports.
MAX_ENTRIES = 20000

_render = contextvars.ContextVar("shaped_once_render", default=None)
_lock = threading.Lock()
_lines = Kept(MAX_ENTRIES)
_original = []


class _Render:
    def __init__(self):
        self.styles = {}  # id(style) -> (style, its SHAPING values); styles outlive it
        self.hits = self.misses = 0

    def shaping(self, style):
        """The part of the key that comes from `style`, None when not to be kept."""
        known = self.styles.get(id(style))
        if known is None:
            fonts = style.font_config
            # Fonts of an @font-face rule are added to the thread's fonts by the
            # document that has it, so a family could then mean other glyphs: where
            # one was ever added (a folder of them), nothing is kept. Ours have none.
            shaping = None if getattr(fonts, "_folder", None) is not None else (
                repr(tuple(style[name] for name in SHAPING)), id(fonts))
            known = self.styles[id(style)] = (style, shaping)
        return known[1]


def install():
    import weasyprint
    from weasyprint.layout import inline, preferred

    if weasyprint.__version__ != PATCHED_VERSION:
        return False
    with _lock:
        if not _original:
            _original.append(inline.split_first_line)
            inline.split_first_line = _split_first_line
            preferred.split_first_line = _split_first_line
    return True


def shaped_once():
    """Within this block, lines already broken once are not broken again."""
    return render_scope(_render, _Render, install)


def clear():
    _lines.clear()


def _split_first_line(text, style, context, max_width, justification_spacing,
                      is_line_start=True, minimum=False):
    render = _render.get()
    shaping = None if render is None else render.shaping(style)
    if shaping is None:
        return _original[0](text, style, context, max_width, justification_spacing,
                            is_line_start, minimum)
    key = (text, max_width, justification_spacing, is_line_start, minimum, *shaping)
    known = _lines.get(key)
    if known is None:
        render.misses += 1
        answer = _original[0](text, style, context, max_width, justification_spacing,
                              is_line_start, minimum)
        layout, *measures = answer
        # The caller gets the original and may change it (drawing does): keep a copy.
        _lines.put(key, (copy.copy(layout), *measures))
        return answer
    render.hits += 1
    layout, *measures = known
    return (copy.copy(layout), *measures)
