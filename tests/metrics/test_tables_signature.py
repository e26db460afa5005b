"""What the page-speed shortcuts of our tables give is what Django and django-tables2 give:
the cached render-method signature (metrics.table_signature.cached_signature), the choices' labels
(metrics.models.choices.QuickChoiceDisplay) and the county-wide snapshot read without an
ORDER BY (MetricSnapshotQuerySet.county_wide_of)."""

import inspect

import django_tables2 as tables
import django_tables2.utils
import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from metrics import table_signature as our_tables
from metrics import tables as table_classes
from metrics.models import District, Metric, MetricSnapshot, Reading, Rollup, StudentGroup
from metrics.models.choices import QuickChoiceDisplay

from ..factories import MetricFactory


def _render_methods():
    """Every render_/value_ method of every table class of metrics.tables, bound to a
    stand-in instance (their signatures are the class's)."""
    for _, table in inspect.getmembers(table_classes, inspect.isclass):
        if not issubclass(table, tables.Table):
            continue
        instance = table.__new__(table)
        for name in dir(table):
            if name.startswith(("render_", "value_")) and callable(getattr(table, name)):
                yield f"{table.__name__}.{name}", getattr(instance, name)


def test_the_signature_django_tables2_asks_for_is_the_cached_one():
    assert django_tables2.utils.signature is our_tables.cached_signature


@pytest.mark.parametrize("name,method", list(_render_methods()))
def test_the_cached_signature_of_each_render_method_is_django_tables2s(name, method):
    assert our_tables.cached_signature(method) == our_tables._SIGNATURE(method), name
    # Asked again (from the cache), and for the plain function: the same answers.
    assert our_tables.cached_signature(method) == our_tables._SIGNATURE(method), name
    assert our_tables.cached_signature(method.__func__) == our_tables._SIGNATURE(
        method.__func__), name


def test_the_cached_signature_of_a_column_render_and_a_lambda():
    column = tables.Column()
    assert our_tables.cached_signature(column.render) == (("value",), None)

    def catch_all(record, **kwargs):
        return record

    assert our_tables.cached_signature(catch_all) == (("record",), "kwargs")
    assert our_tables.cached_signature(lambda value: value) == (("value",), None)


CHOICE_MODELS = [MetricSnapshot, Rollup, Reading, Metric]


def _choice_fields():
    for model in CHOICE_MODELS:
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("model,field", list(_choice_fields()),
                         ids=lambda v: getattr(v, "name", getattr(v, "__name__", v)))
def test_each_choice_label_is_djangos_in_each_language(model, field, language):
    assert issubclass(model, QuickChoiceDisplay)
    instance = model()
    with translation.override(language):
        for value in [*(value for value, _ in field.flatchoices), "not-a-choice", ""]:
            setattr(instance, field.attname, value)
            ours = getattr(instance, f"get_{field.name}_display")()
            django = Model._get_FIELD_display(instance, field)
            assert ours == django and type(ours) is type(django), (field.name, value)


@pytest.mark.django_db
def test_the_county_wide_snapshot_is_read_by_its_metric_without_an_order():
    metric, _other, bare = MetricFactory(), MetricFactory(), MetricFactory()
    snapshot = MetricSnapshot.objects.get(metric=metric, district=District.objects.total(),
                                          student_group=StudentGroup.objects.total())
    MetricSnapshot.objects.filter(metric=bare).delete()
    with CaptureQueriesContext(connection) as queries:
        found = MetricSnapshot.objects.county_wide_of(metric)
    assert found == snapshot
    assert len(queries) == 1 and "ORDER BY" not in queries[0]["sql"]
    assert MetricSnapshot.objects.county_wide_of(bare) is None
