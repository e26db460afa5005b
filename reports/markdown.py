"""Markdown of the highlights, rendered safely.

CommonMark with raw HTML off (any tag is shown as text), links only to http, https
and mailto addresses (anything else stays plain text), and images shown as their
description: a report never loads anything from another host.
"""

from urllib.parse import urlsplit

from django.utils.html import escape
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

ALLOWED_SCHEMES = ("http", "https", "mailto")
HEADING_BASE = 4


def _validate_link(url):
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in ALLOWED_SCHEMES


def _image_as_text(self, tokens, idx, options, env):
    token = tokens[idx]
    return escape(self.renderInlineAsText(token.children or [], options, env))


def _heading(self, tokens, idx, options, env):
    # Any heading inside highlights is one level below the heading they sit under, so
    # that headings stay in order on the page and in the PDF's bookmarks.
    level = env.get("heading_level", HEADING_BASE)
    return f"<h{level}>" if tokens[idx].nesting == 1 else f"</h{level}>\n"


def _parser():
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _validate_link
    md.add_render_rule("image", _image_as_text)
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("heading_close", _heading)
    return md


_MD = _parser()


def render(text, heading_level=HEADING_BASE):
    """The highlight as HTML, safe to put in a page; its headings are `heading_level`."""
    if not text or not text.strip():
        return mark_safe("")  # noqa: S308 - an empty string
    html = _MD.render(text, {"heading_level": heading_level})
    return mark_safe(html)  # noqa: S308 - raw HTML disabled, links validated


def tokens(text):
    """Block tokens of the highlight, for writers other than HTML (Word)."""
    return _MD.parse(text or "")
