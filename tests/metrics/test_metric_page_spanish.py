"""The metric page and its equity views in Spanish (issue 18): signed in and signed out,
`lang="es"`, the publication rule's footnotes in Spanish, a suppressed figure still "*",
the Dashboard's words, the public CSV still English, and the same query count as in
English."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from metrics import dashboard, privacy
from metrics.models import DashboardScale, MetricSnapshot, Publication
from metrics.privacy import Cell, suppress
from tests.factories import MetricFactory, ReadingFactory
from tests.metrics.test_dashboard import FIXTURE
from tests.metrics.test_equity import SECRET, world  # noqa: F401 (a fixture)

COOKIE = settings.LANGUAGE_COOKIE_NAME
PRIMARY_ES = ("* Menos de 11 estudiantes: no se publica, para proteger la privacidad de "
              "los estudiantes.")
UNDECIDED_ES = ("* Aún no se publica: la verificación de privacidad de esta cifra no se "
                "ha hecho desde que se aprobó.")


@pytest.fixture(autouse=True)
def english_afterwards():
    """The last request's language stays active in this thread: give it back."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def page(client, query="", language="es"):
    client.cookies[COOKIE] = language
    cache.clear()
    url = reverse("metrics:metric", args=["eq", "rate"]) + query
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def public_world(world):  # noqa: F811 (the fixture imported above)
    world["plan"].is_public = True
    world["plan"].save()
    return world


@pytest.mark.parametrize("view", ["groups", "districts"])
def test_the_public_metric_page_in_spanish_keeps_the_mark_and_footnotes(client, public_world,
                                                                         view):
    html = page(client, f"?view={view}")
    assert '<html lang="es">' in html
    assert "Equidad: grupos de estudiantes y distritos" in html
    assert SECRET not in html and "37,9" not in html  # still hidden from the public
    if view == "districts":
        assert "Mapa de calor: distritos por grupo de estudiantes" in html
        assert 'class="suppressed"' in html or "<td class=\"heat-cell\">*<span" in html
        assert PRIMARY_ES in html and UNDECIDED_ES in html
        assert "no publicada" in html  # the heat map's word for a hidden cell
        assert "Fewer than 11 students" not in html
        assert '<span class="heat-word">not published' not in html
    else:
        assert "Por grupo de estudiantes" in html and "Brecha con Todos los estudiantes" in html
    assert "Descargar las cifras de" in html  # the public figures' CSV link
    assert "oculto al público" not in html  # the staff label never reaches the public


def test_the_staff_metric_page_in_spanish_labels_the_real_figure(client, users, world):  # noqa: F811
    client.force_login(users["leadership"])
    html = page(client, "?view=districts")
    assert '<html lang="es">' in html
    assert SECRET in html and "oculto al público" in html
    assert PRIMARY_ES in html
    assert "En esta página del personal se muestra la cifra real" in html
    assert "Acerca de este indicador" in html and "Mostrar estos valores" in html
    assert "Historial" in html and "Valores de " in html  # the tables' captions
    assert "suppressed in public" not in html


def test_the_english_page_is_unchanged(client, users, world):  # noqa: F811
    client.force_login(users["leadership"])
    html = page(client, "?view=districts", language="en")
    assert '<html lang="en">' in html
    assert privacy.STAFF_LABEL in html and privacy.footnote(privacy.Reason.PRIMARY, 11) in html
    assert "About this metric" in html and "Heat map: districts by student group" in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_spanish_page_costs_the_queries_of_the_english_one(client, users, public_world,
                                                               signed_in):
    if signed_in:
        client.force_login(users["leadership"])
    counts = {}
    for language in ("en", "es"):
        for view in ("groups", "districts"):
            client.cookies[COOKIE] = language
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                client.get(reverse("metrics:metric", args=["eq", "rate"]) + f"?view={view}")
            counts[language, view] = len(queries.captured_queries)
    assert counts["es", "groups"] == counts["en", "groups"]
    assert counts["es", "districts"] == counts["en", "districts"]


def test_the_public_csv_stays_english_on_a_spanish_visit(client, public_world):
    public_world["metric"].refresh_from_db()
    client.cookies[COOKIE] = "es"
    url = reverse("metrics:public_csv", args=["eq", "rate"])
    text = client.get(url).content.decode()
    assert text.lstrip("\ufeff").startswith("period,value,qualifier,district,student_group")
    assert "* Not published yet: the figure waits for the check" in text
    assert "All districts (county-wide)" in text and "Aún no" not in text


def test_suppress_decides_the_same_whatever_the_language():
    cells = [Cell("m", "2023-24", "county", "all", 100, n=100, district_is_total=True,
                  group_is_total=True),
             Cell("m", "2023-24", "a", "all", 5, n=5, group_is_total=True),
             Cell("m", "2023-24", "b", "all", 95, n=95, group_is_total=True)]
    with translation.override("es"):
        spanish = suppress(cells, threshold=11)
    english = suppress(cells, threshold=11)
    assert {k: d.reason for k, d in spanish.items()} == {k: d.reason for k, d in english.items()}
    # The footnote is written in the language of whoever shows it, not of who decided.
    footnote = spanish[("m", "2023-24", "a", "all")].footnote
    assert str(footnote) == privacy.footnote(privacy.Reason.PRIMARY, 11)
    with translation.override("es"):
        assert str(footnote).startswith("* Menos de 11 estudiantes")


@pytest.fixture
def scaled(db):
    call_command("load_dashboard_scales", str(FIXTURE.parent), verbosity=0)
    metric = MetricFactory(unit="percent", code="absent",
                           dashboard_scale=DashboardScale.objects.get(code="chronic-absenteeism"))
    ReadingFactory(metric=metric, period="2022-23", value=Decimal("12.4"))
    ReadingFactory(metric=metric, period="2023-24", value=Decimal("10.9"))
    from metrics.aggregates import rebuild
    rebuild()
    MetricSnapshot.objects.filter(metric=metric).update(
        latest_publication=Publication.PUBLISHED, previous_publication=Publication.PUBLISHED)
    return metric


def test_the_dashboard_grid_in_spanish_uses_the_dashboards_words(client, users, scaled):
    client.force_login(users["leadership"])
    client.cookies[COOKIE] = "es"
    html = client.get(reverse("metrics:metric", args=[scaled.plan.slug, "absent"])).content
    html = html.decode()
    assert "Tablero de Datos Escolares de California: Indicador de Ausentismo Crónico" in html
    assert "Alto (10.9%, redondeado)" in html  # 10.1% to 20.0% is High
    assert "Disminuyó (-1.5 puntos porcentuales)" in html
    for word in ("Azul", "Verde", "Amarillo", "Anaranjado", "Rojo", "Muy bajo", "de 2.6% a 5.0%"):
        assert word in html
    assert 'class="dash-cell dash-green' in html  # the CSS keeps the scale's English
    assert "Cambio necesario para llegar a Verde:" in html and "o menos" in html


def test_the_dashboard_words_fall_back_to_the_scales_own():
    with translation.override("es"):
        assert dashboard.dashboard_word("Green") == "Verde"
        assert dashboard.dashboard_word("Ultraviolet") == "Ultraviolet"
        assert dashboard.dashboard_word(None) is None
    assert dashboard.dashboard_word("Green") == "Green"
