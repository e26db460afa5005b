"""Cells and captions built in Python (django-tables2) on Spanish pages (issue 18): a
metric, priority area or district without its Spanish name shows the English inside
lang="en" (translated_content.in_page_language, the rule {% tr %} uses); one with its
Spanish shows it unmarked; English pages mark nothing; the CSV stays plain text."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from metrics.aggregates import rebuild
from metrics.tables import MetricSnapshotTable
from metrics.translated_content import html_message, in_page_language

from ..factories import MetricFactory, ReadingFactory

pytestmark = pytest.mark.usefixtures("english_afterwards")
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture
def two_metrics(db):
    untranslated = MetricFactory(name="Reach", name_es=None)
    translated = MetricFactory(pillar=untranslated.pillar, plan=untranslated.plan,
                               name="Attendance", name_es="Asistencia")
    for metric in (untranslated, translated):
        ReadingFactory(metric=metric, period="2023-24")
    rebuild()
    return untranslated, translated


def _page(client, user, url, language):
    client.force_login(user)
    client.cookies[COOKIE] = language
    cache.clear()
    return client.get(url).content.decode()


def test_the_pillar_table_marks_an_english_metric_name(client, users, two_metrics):
    untranslated, _translated = two_metrics
    url = untranslated.pillar.get_absolute_url()
    html = _page(client, users["leadership"], url, "es")
    assert f'{untranslated.get_absolute_url()}"><span lang="en">Reach</span></a>' in html
    assert f'{_translated.get_absolute_url()}">Asistencia</a>' in html
    english = _page(client, users["leadership"], url, "en")
    assert '<span lang="en">Reach' not in english and ">Attendance</a>" in english


def test_the_metric_pages_captions_mark_an_english_name(client, users, two_metrics):
    untranslated, _translated = two_metrics
    html = _page(client, users["leadership"], untranslated.get_absolute_url(), "es")
    assert 'Valores de <span lang="en">Reach</span>' in html  # the readings' caption
    assert 'Todos los cambios de <span lang="en">Reach</span> y de sus valores' in html
    assert '="Valores de <span' not in html  # in an attribute (the pager's) plain text


def test_the_export_values_stay_plain_text(two_metrics):
    with translation.override("es"):
        table = MetricSnapshotTable(
            MetricSnapshotTable.Meta.model.objects.filter(
                metric__in=two_metrics, district__is_total=True, student_group__is_total=True))
        names = {row[0] for row in list(table.as_values())[1:]}
    assert names == {"Reach", "Asistencia"}


def test_html_message_escapes_the_message_and_plain_values(db):
    metric = MetricFactory(name="A <b> metric", name_es=None)
    with translation.override("es"):
        html = html_message("<%(name)s> & %(other)s", name=in_page_language(metric, "name"),
                            other="<i>")
    assert html == '&lt;<span lang="en">A &lt;b&gt; metric</span>&gt; &amp; &lt;i&gt;'


def test_my_updates_marks_an_english_metric_name(client, users, two_metrics):
    from django.urls import reverse

    untranslated, translated = two_metrics
    for metric in two_metrics:
        metric.owners.add(users["steward"])
    html = _page(client, users["steward"], reverse("metrics:my_updates"), "es")
    assert f'{untranslated.get_absolute_url()}"><span lang="en">Reach</span></a>' in html
    assert f'{translated.get_absolute_url()}">Asistencia</a>' in html
