"""The plan's content in the page's language (issue 18).

`{% tr obj "field" %}` writes a content field (pillars/translation.py) in the active
language. Where its Spanish version is missing, django-modeltranslation falls back to the
English text; that text is then wrapped in `<span lang="en">` so that screen readers read
it as English (metrics.translated_content.in_page_language, which Python-built cells call
too). `{% fallback_lang obj "field" as lang %}` gives "en" in that case (else ""),
for a template that puts the attribute on its own block element (a paragraph, a highlight).
`{% translation_note plan %}` writes the note Spanish pages carry while the plan's Spanish
version is an unofficial translation.
"""

from django import template
from django.template.loader import render_to_string

from ..translated_content import (
    SOURCE_LANGUAGE,
    active_language,
    in_page_language,
    shown_in_english,
)

register = template.Library()


@register.simple_tag
def tr(obj, field):
    return in_page_language(obj, field)


@register.simple_tag
def fallback_lang(obj, field):
    return SOURCE_LANGUAGE if shown_in_english(obj, field) else ""


@register.simple_tag(takes_context=True)
def translation_note(context, plan):
    """The unofficial-translation note, on pages in another language than English."""
    if (not hasattr(plan, "spanish_is_official") or active_language() == SOURCE_LANGUAGE
            or plan.spanish_is_official):
        return ""
    return render_to_string("_translation_note.html", {"plan": plan},
                            request=context.get("request"))
