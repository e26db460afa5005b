"""The plan's content in the page's language (issue 18).

`{% tr obj "field" %}` writes a content field (pillars/translation.py) in the active
language. Where its Spanish version is missing, django-modeltranslation falls back to the
English text; that text is then wrapped in `<span lang="en">` so that screen readers read
it as English. `{% fallback_lang obj "field" as lang %}` gives "en" in that case (else ""),
for a template that puts the attribute on its own block element (a paragraph, a highlight).
`{% translation_note plan %}` writes the note Spanish pages carry while the plan's Spanish
version is an unofficial translation.
"""

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html

register = template.Library()

SOURCE_LANGUAGE = "en"


def _active():
    return (translation.get_language() or SOURCE_LANGUAGE).split("-")[0]


def shown_in_english(obj, field):
    """Whether the active language's version of `obj.field` is missing, so the page shows
    the English text."""
    language = _active()
    if obj is None or language == SOURCE_LANGUAGE:
        return False
    own = getattr(obj, f"{field}_{language}", None)
    return not (own or "").strip() and bool((getattr(obj, f"{field}_en", "") or "").strip())


@register.simple_tag
def tr(obj, field):
    value = getattr(obj, field, "") if obj is not None else ""
    if shown_in_english(obj, field):
        return format_html('<span lang="{}">{}</span>', SOURCE_LANGUAGE, value)
    return value


@register.simple_tag
def fallback_lang(obj, field):
    return SOURCE_LANGUAGE if shown_in_english(obj, field) else ""


@register.simple_tag(takes_context=True)
def translation_note(context, plan):
    """The unofficial-translation note, on pages in another language than English."""
    if (not hasattr(plan, "spanish_is_official") or _active() == SOURCE_LANGUAGE
            or plan.spanish_is_official):
        return ""
    return render_to_string("_translation_note.html", {"plan": plan},
                            request=context.get("request"))
