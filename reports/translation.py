"""The Spanish version of each highlight (the annual report's narrative) (issue 18);
why django-modeltranslation: pillars/translation.py."""

from pillars.translation import _register

from .models import Highlight

HIGHLIGHT_FIELDS = ("body",)

_register(Highlight, HIGHLIGHT_FIELDS)
