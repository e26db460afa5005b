"""Highlights: written in Markdown by communications, previewed, saved, rendered safely."""

import pytest
from django.urls import reverse

from reports.markdown import render
from reports.models import HIGHLIGHT_MAX_LENGTH, Highlight

from ..factories import PillarFactory
from .factories import HighlightFactory


@pytest.fixture
def pillar(db):
    return PillarFactory(slug="literacy", order=1, name="Literacy")


def _edit_url(pillar):
    return reverse("reports:highlight_pillar", args=[pillar.plan.slug, "2023-24", pillar.slug])


def test_preview_shows_the_text_rendered_and_saves_nothing(client, users, pillar):
    client.force_login(users["comms"])
    text = "We trained **6,000** educators.\n\n- in reading\n- in maths"
    html = client.post(_edit_url(pillar), {"body": text, "action": "preview"}).content.decode()
    assert "Preview (not saved yet)" in html
    assert "We trained <strong>6,000</strong> educators." in html and "<li>in maths</li>" in html
    assert "We trained **6,000** educators." in html  # still in the text box
    assert not Highlight.objects.exists()


def test_save_stores_the_text_and_returns_to_the_report(client, users, pillar):
    client.force_login(users["comms"])
    response = client.post(_edit_url(pillar), {"body": "  A *great* year.  ", "action": "save"})
    assert response.status_code == 302
    assert response.url == reverse("reports:report",
                                   args=[pillar.plan.slug, "2023-24"]) + "#pillar-1"
    highlight = Highlight.objects.get()
    assert (highlight.pillar, highlight.school_year, highlight.body) == (
        pillar, "2023-24", "A *great* year.")
    assert highlight.updated_by == users["comms"]
    # Editing again changes the same row and keeps the history.
    client.post(_edit_url(pillar), {"body": "Even better.", "action": "save"})
    assert Highlight.objects.get().body == "Even better."
    assert Highlight.history.count() == 2
    page = client.get(reverse("reports:report", args=[pillar.plan.slug, "2023-24"]))
    assert "Pillar 1: highlights for 2023-24 saved." in page.content.decode()
    form = client.get(_edit_url(pillar)).content.decode()
    assert "Even better." in form


def test_the_introduction_is_written_the_same_way(client, users, pillar):
    client.force_login(users["administrator"])
    url = reverse("reports:highlight_intro", args=[pillar.plan.slug, "2023-24"])
    response = client.post(url, {"body": "Welcome.", "action": "save"})
    assert response.url.endswith("#introduction")
    intro = Highlight.objects.get()
    assert intro.pillar is None and intro.plan == pillar.plan
    html = client.get(reverse("reports:highlights", args=[pillar.plan.slug, "2023-24"]))
    assert "Welcome." in html.content.decode() and "Edit the introduction" in html.content.decode()


def test_too_long_text_is_refused_and_nothing_typed_is_lost(client, users, pillar):
    client.force_login(users["comms"])
    text = "word " * (HIGHLIGHT_MAX_LENGTH // 5 + 10)
    html = client.post(_edit_url(pillar), {"body": text, "action": "save"}).content.decode()
    assert "There is a problem" in html
    assert "Ensure this value has at most 20000 characters" in html
    assert 'id="id_body_error"' in html and 'aria-invalid="true"' in html
    assert text.strip()[:200] in html
    assert not Highlight.objects.exists()


def test_leadership_reads_but_cannot_write(client, users, pillar):
    client.force_login(users["leadership"])
    assert client.post(_edit_url(pillar), {"body": "x", "action": "save"}).status_code == 403
    assert not Highlight.objects.exists()


def test_a_highlight_belongs_to_a_year_of_its_plan(pillar):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="outside the plan"):
        Highlight(plan=pillar.plan, pillar=pillar, school_year="2030-31").full_clean()
    with pytest.raises(ValidationError, match="not a school year"):
        Highlight(plan=pillar.plan, pillar=pillar, school_year="2023-25").full_clean()
    other = PillarFactory()
    with pytest.raises(ValidationError, match="another plan"):
        Highlight(plan=pillar.plan, pillar=other, school_year="2023-24").full_clean()
    HighlightFactory(pillar=pillar)
    with pytest.raises(ValidationError, match="already has highlights"):
        Highlight(plan=pillar.plan, pillar=pillar, school_year="2023-24").full_clean()


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
