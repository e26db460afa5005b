"""Highlights' Markdown: rendered inert (no HTML, no script links, no remote images)."""

import pytest

from reports.markdown import render


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("<script>alert(1)</script>", "<script", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<img src=x onerror=alert(1)>", "<img", "&lt;img src=x onerror=alert(1)&gt;"),
        ('<a href="javascript:alert(1)">x</a>', "<a ", "&lt;a href="),
        ("[click](javascript:alert(1))", "href", "[click](javascript:alert(1))"),
        ("[click](JaVaScRiPt:alert(1))", "href", "[click]"),
        ("[click](&#106;avascript:alert(1))", "href", "[click]"),
        ("<javascript:alert(1)>", "href", "&lt;javascript:alert(1)&gt;"),
        ("[data](data:text/html;base64,PHNjcmlwdD4=)", "href", "[data]"),
        ("[file](file:///etc/passwd)", "href", "[file]"),
        ("[relative](/admin/)", "href", "[relative]"),
        ("![tracker](https://evil.example/pixel.png)", "<img", "tracker"),
        ('[ok](https://example.org "t\\"itle")', "javascript", '<a href="https://example.org"'),
        ("[mail](mailto:comms@example.org)", "javascript", 'href="mailto:comms@example.org"'),
        ("# Heading", "<h1", "<h4>Heading</h4>"),
    ],
)
def test_markdown_is_rendered_inert(text, absent, present):
    html = str(render(text))
    assert absent not in html.lower()
    assert present in html


def test_empty_highlights_render_nothing():
    assert str(render("")) == str(render("  \n")) == ""
