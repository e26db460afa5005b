"""The Dashboard scale's source in the page's language (issue 18): the shipped scale's
Spanish on Spanish pages, its English on English ones, and English inside lang="en" where
a scale has no Spanish."""

import pytest
from django.conf import settings

from metrics.models import DashboardScale
from tests.metrics.test_metric_page_spanish import scaled  # noqa: F401 (a fixture)

COOKIE = settings.LANGUAGE_COOKIE_NAME
SPANISH_SOURCE = "Departamento de Educación de California (CDE)"
ENGLISH_SOURCE = "California Department of Education, &quot;Five-by-Five Colored Tables&quot;"


pytestmark = pytest.mark.usefixtures("english_afterwards")


def _source(client, user, metric, language):
    client.force_login(user)
    client.cookies[COOKIE] = language
    html = client.get(metric.get_absolute_url()).content.decode()
    start = html.index('<p class="source">')
    return html[start:html.index("</p>", start)]


def test_the_shipped_scale_has_its_spanish_source(client, users, scaled):  # noqa: F811
    scale = DashboardScale.objects.get(code="chronic-absenteeism")
    assert scale.source_es.startswith(SPANISH_SOURCE) and scale.verification_es
    assert scale.source_en.startswith("California Department of Education")
    spanish = _source(client, users["leadership"], scaled, "es")
    assert SPANISH_SOURCE in spanish and 'lang="en"' not in spanish
    assert ENGLISH_SOURCE in _source(client, users["leadership"], scaled, "en")


def test_a_scale_without_spanish_shows_its_english_marked(client, users, scaled):  # noqa: F811
    DashboardScale.objects.update(source_es=None)
    spanish = _source(client, users["leadership"], scaled, "es")
    assert f'<span lang="en">{ENGLISH_SOURCE}' in spanish


def test_the_admin_edits_both_versions_of_the_source(client, users, scaled):  # noqa: F811
    from django.urls import reverse

    client.force_login(users["administrator"])
    scale = DashboardScale.objects.get(code="chronic-absenteeism")
    html = client.get(reverse("admin:metrics_dashboardscale_change", args=[scale.pk])).content
    html = html.decode()
    assert 'name="source_en"' in html and 'name="source_es"' in html
    assert 'name="verification_es"' in html and 'name="source"' not in html
