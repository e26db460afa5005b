"""The home, overview and pillar pages in Spanish (issue 18): interface words from the
catalogue, content in the plan's Spanish, English that has no Spanish version marked
lang="en", figures and dates as README "Languages" writes them, and the same number of
queries as in English."""

import datetime

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from metrics.status import Status, change_summary, display, plan_life
from pillars.charts import progress, status_distribution

COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def english_afterwards():
    """LocaleMiddleware leaves the last request's language active in this thread."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def spanish(client):
    client.cookies[COOKIE] = "es"
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_lacoe_s_public_pages_read_in_spanish_signed_out(client, lacoe_plan, after_the_plan):
    spanish(client)
    home = page(client, "/")
    assert '<html lang="es">' in home
    assert "Plan Estratégico 2022-25 de LACOE" in home
    assert "<dt>Misión</dt>" in home and "Los cinco pilares de enfoque" in home
    assert "Inicie sesión</a> para ver" in home
    # The plan ended on 30 June 2025: the note says so, with the date written out.
    assert "Este plan terminó el 30 de junio de 2025." in home
    assert "The five pillars" not in home and "Mission" not in home

    overview = page(client, lacoe_plan.get_absolute_url())
    assert "Plan Estratégico 2022-25 de LACOE: resumen</h1>" in overview
    assert "Estado de todo el plan" in overview and "Cobertura de metas" in overview
    assert "indicadores con seguimiento tienen una meta con datos" in overview
    # (The rollups' status reasons are the rebuild's text: engineer es-status's part.)
    assert "Status of the whole plan" not in overview and "Target coverage" not in overview
    # A time's "a.m." closes the sentence (no second period: RAE, Ortografía 2010).
    assert "a.m.." not in overview and "p.m.." not in overview
    # The chart's legend and axis in Spanish (json_script), and its data table.
    assert '"name": "L\\u00ednea de base"' in overview  # json_script writes ASCII
    assert '"text": "Indicadores"' in overview and "Tabla de datos" in overview

    pillar = lacoe_plan.pillars.order_by("order").first()
    pillar_page = page(client, pillar.get_absolute_url())
    assert f"<h1>{pillar.name_es}</h1>" in pillar_page
    assert "Pilar 1</p>" in pillar_page
    assert "Áreas prioritarias y objetivos" in pillar_page
    assert "Todos los indicadores de este pilar" in pillar_page
    assert "Priority areas and goals" not in pillar_page


def test_english_without_a_spanish_version_is_marked_as_english(client, plan_with_figures):
    plan, pillar, headline = plan_with_figures
    plan.is_public = True
    plan.save()
    pillar.name_es = ""
    pillar.commitment_es = ""
    pillar.save()
    cache.clear()
    spanish(client)
    overview = page(client, plan.get_absolute_url())
    assert f'<span lang="en">{pillar.name_en}</span>' in overview
    pillar_page = page(client, pillar.get_absolute_url())
    assert f'<h1><span lang="en">{pillar.name_en}</span></h1>' in pillar_page
    assert '<p class="commitment" lang="en">' in pillar_page
    assert f'<span lang="en">{headline.name_en}</span>' in pillar_page
    # In English nothing is marked.
    client.cookies[COOKIE] = "en"
    assert 'lang="en">' not in page(client, pillar.get_absolute_url()).split("</header>", 1)[1]


def test_staff_overview_in_spanish(client, plan_with_figures, users):
    plan, pillar, _ = plan_with_figures
    client.force_login(users["leadership"])
    spanish(client)
    overview = page(client, plan.get_absolute_url())
    assert "Requiere atención" in overview and "Listas de trabajo" in overview
    assert "indicador sin meta" in overview or "indicadores sin meta" in overview
    assert "Needs attention" not in overview and "Worklists" not in overview
    pillar_page = page(client, pillar.get_absolute_url())
    assert "Descargar esta tabla en CSV (todas las columnas)" in pillar_page
    assert "Filtrar los indicadores" in pillar_page


@pytest.mark.parametrize("signed_in", [False, True])
def test_spanish_pages_cost_the_queries_english_ones_do(client, plan_with_figures, users,
                                                        signed_in):
    plan, pillar, _ = plan_with_figures
    plan.is_public = True
    plan.save()
    if signed_in:
        client.force_login(users["leadership"])
    for url in ("/", plan.get_absolute_url(), pillar.get_absolute_url()):
        counts = {}
        for language in ("en", "es"):
            client.cookies[COOKIE] = language
            cache.clear()
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[language] = len(queries)
        assert counts["es"] == counts["en"], url


def test_status_words_counts_and_plan_life_in_spanish():
    counts = {Status.IMPROVED: 1, Status.DECLINED: 2, Status.BASELINE: 100}
    assert change_summary(counts) == "1 improved, 0 maintained, 2 declined, 100 baseline"
    with translation.override("es"):
        assert change_summary(counts) == (
            "1 mejoró, 0 se mantuvieron, 2 empeoraron, 100 en línea de base")
        assert display(Status.OFF_TRACK, final=True).word == "Fuera de rumbo (definitivo)"
        assert Status.NO_DATA.label == "Sin datos"

    class Plan:
        closed_at = None
        ends_on = datetime.date(2025, 6, 30)
        pk = None

    life = plan_life(Plan(), today=datetime.date(2026, 12, 1))
    assert life.message.startswith("This plan ended on 30 June 2025. Nothing")
    with translation.override("es"):
        assert life.message.startswith("Este plan terminó el 30 de junio de 2025. Ya nada")


def test_charts_label_their_axes_legends_and_hover_in_the_active_language():
    counts = {Status.ON_TRACK: 2, Status.AT_RISK: 1}
    english = status_distribution(counts, "c").figure
    assert [t["name"] for t in english["data"]] == ["On track", "At risk"]
    assert english["data"][0]["hovertemplate"] == "On track: %{x}<extra></extra>"
    with translation.override("es"):
        chart = status_distribution(counts, "c").figure
        empty = progress([], "p").figure
    assert [t["name"] for t in chart["data"]] == ["En buen camino", "En riesgo"]
    assert chart["data"][0]["hovertemplate"] == "En buen camino: %{x}<extra></extra>"
    assert chart["layout"]["xaxis"]["title"]["text"] == "Indicadores"
    assert [t["name"] for t in empty["data"]] == ["Avance logrado", "Esperado a la fecha"]
    assert empty["data"][0]["hovertemplate"] == (
        "%{y}: %{x}% del camino hacia la meta<extra></extra>")
    assert empty["layout"]["xaxis"]["title"]["text"] == (
        "% del camino desde la línea de base hasta la meta")
