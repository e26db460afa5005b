"""Spanish versions of the metrics' content and of the dimensions' names (issue 18);
why django-modeltranslation: pillars/translation.py."""

from modeltranslation.translator import TranslationOptions, register

from pillars.translation import _register

from .models import DashboardScale, District, Metric, MetricSnapshot, Rollup, StudentGroup

METRIC_FIELDS = ("name", "definition", "headline_label")
DIMENSION_FIELDS = ("name",)
# Written by the rebuild in each language (aggregates.rebuild.write_reasons), so that a
# page reads "How the status was reached" in its own language from the same row, with
# no query more; English where a row was built before the Spanish existed.
REASON_FIELDS = ("status_reason",)
# A Dashboard scale's free texts; its level, colour, indicator and unit names are the
# catalogue's words (metrics.dashboard.dashboard_word), as CDE's English names are keys.
SCALE_TEXT_FIELDS = ("source", "verification")

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


@register(DashboardScale)
class DashboardScaleTranslationOptions(TranslationOptions):
    fields = SCALE_TEXT_FIELDS
