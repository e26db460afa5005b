"""The report's two-column narratives balanced once per process, not on every render.

WeasyPrint 70 balances a multi-column box (`columns: 2`, `column-fill: balance`) by
trial: it lays the text out in one tall column, then again and again at growing
heights, from half the content's height until the last column is no longer the
tallest (weasyprint/layout/column.py, "with a stupid algorithm like this it can last
minutes"). The height it stops at is all that search decides: the columns are then
laid out once more at that height, and that last layout is what the PDF draws.
Balancing LACOE's 2023-24 narratives was 0.7 s of the 2.1 s of a warm PDF (issue 14).

So the first time a narrative is laid out, we note the bottom space WeasyPrint gave
its final layout (the balanced height, as the room left under it); the next time the
same narrative is laid out in the same place, WeasyPrint is asked for columns of
exactly that height with `column-fill: auto`, which fills them without a search. Its
last layout then gets the same arguments as the balanced one, so the PDF is the same
to the byte (tests/reports/render/test_pdf_cache.py compares them).

"The same narrative in the same place" is a digest of everything the search reads:
the markup (text, tags, attributes), the computed style of the narrative box, the
cascaded declarations of every element in it (what the stylesheets gave each),
the root's font size (for rem), and where it starts, how wide it is and how much
room the page leaves. A changed word, style or position is another key: the search
runs again. The layout at the remembered height is checked against the one it
replaces (everything fits, the same height): anything else, and the search runs.

Only our PDFs use this (`balanced_once()` around a render); any other WeasyPrint
render in the process balances as WeasyPrint does. It replaces two functions of
WeasyPrint 70.0 (the pinned version) and patches nothing on another version.
"""

import contextvars
import hashlib
import threading
from xml.etree import ElementTree

from .kept import Kept, render_scope

PATCHED_VERSION = "70.0"
# Each entry is a digest and two floats: a few hundred cover every narrative of every
# report year and plan a process renders, with room for their re-layouts.
MAX_ENTRIES = 1024

_render = contextvars.ContextVar("balanced_once_render", default=None)
_lock = threading.Lock()
_heights = Kept(MAX_ENTRIES)  # digest -> (bottom space of the final layout, box height)
_originals = {}


class _Render:
    """What one PDF render shares between the narratives it lays out."""

    def __init__(self):
        self.markup = {}  # id(element) -> its serialisation (elements live as long as it)
        self.recording = None  # the column box whose final layout is being noted
        self.noted = None
        self.hits = self.misses = 0


def install():
    """Put the balancing that remembers in WeasyPrint's place (once; on 70.0 only)."""
    import weasyprint
    from weasyprint.layout import block

    if weasyprint.__version__ != PATCHED_VERSION:
        return False
    with _lock:
        if not _originals:
            _originals["columns_layout"] = block.columns_layout
            _originals["block_box_layout"] = block.block_box_layout
            block.columns_layout = _columns_layout
            block.block_box_layout = _block_box_layout
    return True


def installed():
    return bool(_originals)


def balanced_once():
    """Within this block, narratives already balanced once are not balanced again."""
    return render_scope(_render, _Render, install)


def clear():
    """Forget every balanced height (tests compare a render with and without them)."""
    _heights.clear()


def _block_box_layout(context, box, bottom_space, skip_stack, containing_block,
                      page_is_empty, absolute_boxes, fixed_boxes, adjoining_margins,
                      *args, **kwargs):
    render = _render.get()
    # The final layout of the columns is the only call columns_layout makes with
    # adjoining_margins None; its bottom space is the balanced height's.
    if (render is not None and render.recording is not None and render.noted is None
            and adjoining_margins is None and box.is_column
            and box.element is render.recording.element):
        render.noted = bottom_space
    return _originals["block_box_layout"](
        context, box, bottom_space, skip_stack, containing_block, page_is_empty,
        absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)


def _columns_layout(context, box, bottom_space, skip_stack, containing_block,
                    page_is_empty, absolute_boxes, fixed_boxes, adjoining_margins,
                    *args):
    original = _originals["columns_layout"]
    render = _render.get()
    if render is None or not _rememberable(context, box):
        return original(context, box, bottom_space, skip_stack, containing_block,
                        page_is_empty, absolute_boxes, fixed_boxes, adjoining_margins,
                        *args)
    key = _key(render, context, box, bottom_space, skip_stack, containing_block,
               page_is_empty, adjoining_margins)
    known = _heights.get(key)
    if known is not None:
        final_bottom, height = known
        filled = box.copy()
        filled.style = box.style.copy()
        filled.style["column_fill"] = "auto"
        result = original(context, filled, final_bottom, skip_stack, containing_block,
                          page_is_empty, absolute_boxes, fixed_boxes, adjoining_margins, *args)
        if result[0] is not None and result[1] is None and result[0].height == height:
            result[0].style = box.style
            render.hits += 1
            return result
        # Not what the search gave last time: undo this layout and search again.
        if result[0] is not None:
            from weasyprint.layout.block import remove_placeholders

            remove_placeholders(context, [result[0]], absolute_boxes, fixed_boxes)
    render.misses += 1
    outer = render.recording, render.noted
    render.recording, render.noted = box, None
    try:
        result = original(context, box, bottom_space, skip_stack, containing_block,
                          page_is_empty, absolute_boxes, fixed_boxes, adjoining_margins,
                          *args)
        noted = render.noted
    finally:
        render.recording, render.noted = outer
    # Remember only a narrative laid out whole on this page: one that runs on to the
    # next page is not balanced (it fills the page), so there is nothing to save.
    if result[0] is not None and result[1] is None and noted is not None:
        _heights.put(key, (noted, result[0].height))
    return result


def _rememberable(context, box):
    """A narrative with nothing beside it that the layout would depend on (floats,
    footnotes), columns only (no column-span), not positioned, of no set height."""
    if context.excluded_shapes or context.current_page_footnotes:
        return False
    style = box.style
    if style["position"] == "relative" or style["column_fill"] != "balance":
        return False
    if style["height"] != "auto":
        return False
    return all(child.style["column_span"] != "all" for child in box.children)


def _key(render, context, box, bottom_space, skip_stack, containing_block, page_is_empty,
         adjoining_margins):
    from weasyprint.css.properties import INITIAL_VALUES

    digest = hashlib.sha256()
    element = box.element
    markup = render.markup.get(id(element))
    if markup is None:
        markup = render.markup[id(element)] = ElementTree.tostring(element)
    digest.update(markup)
    style = box.style
    digest.update(repr([(name, style[name]) for name in sorted(INITIAL_VALUES)]).encode())
    digest.update(repr(style.root_style["font_size"]).encode())
    for child in box.descendants():
        cascaded = getattr(child.style, "cascaded", None)
        if cascaded is not None and child is not box:
            digest.update(repr((child.element_tag, child.style.pseudo_type,
                                sorted(cascaded.items()))).encode())
    digest.update(repr((
        bottom_space, skip_stack, box.position_y, getattr(box, "margin_top", None),
        containing_block.width, containing_block.height, context.page_bottom, page_is_empty,
        tuple(adjoining_margins or ()),
    )).encode())
    return digest.digest()
