"""Spanish versions of the metrics' content and of the dimensions' names (issue 18);
why django-modeltranslation: pillars/translation.py."""

from modeltranslation.translator import TranslationOptions, register

from pillars.translation import _register

from .models import District, Metric, MetricSnapshot, Rollup, StudentGroup

METRIC_FIELDS = ("name", "definition", "headline_label")
DIMENSION_FIELDS = ("name",)
# Written by the rebuild in each language (aggregates.rebuild.write_reasons), so that a
# page reads "How the status was reached" in its own language from the same row, with
# no query more; English where a row was built before the Spanish existed.
REASON_FIELDS = ("status_reason",)

_register(Metric, METRIC_FIELDS)


@register(District)
class DistrictTranslationOptions(TranslationOptions):
    fields = DIMENSION_FIELDS


@register(StudentGroup)
class StudentGroupTranslationOptions(TranslationOptions):
    fields = DIMENSION_FIELDS


@register([MetricSnapshot, Rollup])
class ReasonTranslationOptions(TranslationOptions):
    fields = REASON_FIELDS
