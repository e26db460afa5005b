"""Spanish versions of the metrics' content and of the dimensions' names (issue 18);
why django-modeltranslation: pillars/translation.py."""

from modeltranslation.translator import TranslationOptions, register

from pillars.translation import _register

from .models import District, Metric, StudentGroup

METRIC_FIELDS = ("name", "definition", "headline_label")
DIMENSION_FIELDS = ("name",)

_register(Metric, METRIC_FIELDS)


@register(District)
class DistrictTranslationOptions(TranslationOptions):
    fields = DIMENSION_FIELDS


@register(StudentGroup)
class StudentGroupTranslationOptions(TranslationOptions):
    fields = DIMENSION_FIELDS

