"""Statuses and their reasons in Spanish (issue 18): the rebuild writes each stored reason
once per language, pages read the active language's, staff e-mails stay in the site's."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from metrics.aggregates import rebuild
from metrics.models import MetricSnapshot, ReadingState, Rollup
from metrics.services import reading_return
from metrics.status import Status, display, judge_metric, plan_life, rollup_status, written_day

from ..factories import MetricFactory, ReadingFactory

COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def english_afterwards():
    """Client requests leave their language active in this thread: give it back."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def on_target(db):
    """A percent metric 64% in 2023-24 against 80% by 2024-25 from 40% in 2021-22:
    60% of the way made, 67% expected: 90% of the expected progress, at risk."""
    metric = MetricFactory(
        unit="percent", baseline_value=Decimal(40), baseline_period="2021-22",
        target_value=Decimal(80), target_period="2024-25", name="Attendance",
    )
    ReadingFactory(metric=metric, period="2023-24", value=Decimal(64))
    rebuild()
    return metric


def _county(metric):
    return MetricSnapshot.objects.get(metric=metric, is_county_wide=True)


def test_the_rebuild_stores_the_reason_in_english_and_in_spanish(on_target):
    snap = _county(on_target)
    assert snap.status == Status.AT_RISK
    english, spanish = snap.status_reason_en, snap.status_reason_es
    assert english.startswith("Latest 64% (2023-24) against the target 80% by 2024-25, from "
                              "baseline 40% (2021-22)")
    assert ("below the on-track threshold of 95% but at least the at-risk threshold of "
            "80%") in english
    assert spanish.startswith("Último valor 64% (2023-24) frente a la meta de 80% para 2024-25, "
                              "desde la línea de base de 40% (2021-22)")
    assert "por debajo del umbral de “en camino” de 95%, pero al menos el umbral de “en riesgo” " \
           "de 80%." in spanish
    # The untranslated column keeps the English; each language reads its own.
    assert MetricSnapshot.objects.filter(pk=snap.pk, status_reason=english).exists()
    with translation.override("es"):
        assert _county(on_target).status_reason == spanish
    with translation.override("en"):
        assert _county(on_target).status_reason == english


def test_a_rebuild_run_from_a_spanish_page_stores_the_same_rows(on_target):
    before = _county(on_target)
    with translation.override("es"):
        rebuild()
        rebuild([on_target.pk])
    after = _county(on_target)
    assert (after.status_reason_en, after.status_reason_es) == (
        before.status_reason_en, before.status_reason_es)
    assert MetricSnapshot.objects.filter(pk=after.pk,
                                         status_reason=before.status_reason_en).exists()
    plan = Rollup.objects.get(plan=on_target.plan, level="plan")
    assert plan.status_reason_en == ("0 of 1 judged metrics on track, 0 off track: neither "
                                     "rule for on or off track holds.")
    assert plan.status_reason_es == ("0 de 1 indicador evaluado en camino, 0 fuera de "
                                     "camino: no se cumple ni la regla de “en camino” ni la "
                                     "de “fuera de camino”.")


def test_roll_up_reasons_read_in_spanish(on_target):
    other = MetricFactory(pillar=on_target.pillar, unit="percent", target_value=Decimal(80),
                          target_period="2024-25", baseline_value=Decimal(40),
                          baseline_period="2021-22")
    ReadingFactory(metric=other, period="2023-24", value=Decimal(79))
    rebuild()
    pillar = Rollup.objects.get(pillar=on_target.pillar, level="pillar")
    with translation.override("es"):
        pillar = Rollup.objects.get(pk=pillar.pk)
        assert pillar.status_reason == (
            "1 de 2 indicadores evaluados en camino, 0 fuera de camino: no se cumple ni la "
            "regla de “en camino” ni la de “fuera de camino”.")
        status, _share, reason = rollup_status({Status.IMPROVED: 1, Status.BASELINE: 2})
        assert status == Status.NOT_ENOUGH_TARGETS
        assert reason == ("No hay suficientes metas para evaluar (0 de 3 indicadores con "
                          "seguimiento tienen meta). Por cambio: 1 mejoró, 0 se mantuvieron, "
                          "0 empeoraron, 2 en línea de base.")


def test_the_metric_page_explains_the_status_in_the_language_chosen(on_target, client, users):
    client.force_login(users["leadership"])
    url = reverse("metrics:metric", args=[on_target.plan.slug, on_target.code])
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as english_queries:
        english = client.get(url).content.decode()
    assert "below the on-track threshold of 95% but at least" in english
    client.cookies[COOKIE] = "es"
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as spanish_queries:
        spanish = client.get(url).content.decode()
    assert "frente a la meta de 80% para 2024-25" in spanish
    assert "below the on-track threshold" not in spanish
    assert len(spanish_queries.captured_queries) == len(english_queries.captured_queries)


@pytest.mark.django_db
def test_change_baseline_context_and_retired_reasons_in_spanish():
    metric = MetricFactory(unit="count", name="Enrolment")
    series = [["2022-23", "100"], ["2023-24", "120"]]
    with translation.override("es"):
        change = judge_metric(metric, Decimal(120), "2023-24", series=series)
        assert change.status == Status.IMPROVED
        assert change.reason == (
            "120 en 2023-24 frente a 100 en 2022-23: +20; cuenta un cambio de más de 2 (2% del "
            "valor anterior), y más alto es mejor; por lo tanto, mejoró. No hay una meta fijada.")
        baseline = judge_metric(metric, Decimal(8318), "2023-24", series=series[1:])
        assert baseline.reason.startswith("Línea de base (2023-24): 8,318 es el único valor")
        assert judge_metric(metric, None, None).reason == "Todavía no hay un valor aprobado."
        metric.retired_on, metric.retired_reason = datetime.date(2024, 7, 1), "Ya no se mide."
        assert judge_metric(metric, Decimal(1), "2023-24").reason.startswith(
            "Retirado el 1 de julio de 2024: Ya no se mide. Ya no vence ni se evalúa")
        metric.is_context = True
        assert judge_metric(metric, Decimal(1), "2023-24").reason.startswith(
            "Una cifra de contexto")
    with translation.override("en"):
        assert judge_metric(metric, Decimal(1), "2023-24").reason.startswith("A context figure")


@pytest.mark.django_db
def test_status_words_and_days_follow_the_language():
    with translation.override("es"):
        assert display(Status.ON_TRACK).word == "En buen camino"
        assert display(Status.DECLINED, final=True).word == "Empeoró (definitivo)"
        assert display("nonsense").word == "Desconocido"
        assert str(Status.OFF_TRACK.label) == "Fuera de rumbo"
        assert written_day(datetime.date(2026, 12, 1)) == "1 de diciembre de 2026"
        plan = MetricFactory().plan
        assert plan_life(plan, today=datetime.date(2026, 12, 1)).message.startswith(
            "Este plan terminó el 30 de junio de 2025. Ya nada cuenta como atrasado")
    # English is unchanged, and a word is plain text (exports write it into files).
    assert display(Status.ON_TRACK).word == "On track"
    assert type(display(Status.ON_TRACK).word) is str
    assert written_day(datetime.date(2026, 12, 1)) == "1 December 2026"


def test_the_return_e_mail_is_in_the_sites_language_whatever_the_leads_page(
    on_target, users, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://kpi.lacoe.example"
    on_target.pillar.leads.add(users["lead"])
    reading = ReadingFactory(metric=on_target, period="2024-25", value=Decimal(60),
                             state=ReadingState.SUBMITTED, entered_by=users["steward"])
    mail.outbox.clear()
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        reading_return(reading=reading, user=users["lead"], comment="Revise la fuente")
    (message,) = mail.outbox
    assert message.subject == "Returned: Attendance, 2024-25"
    assert message.body.startswith("Hello ")
    assert "returned the value of Attendance" in message.body


@pytest.mark.django_db
def test_closed_plan_and_reading_messages_in_spanish(on_target, users):
    from django.core.exceptions import ValidationError

    from metrics.services.readings import RETURN_NEEDS_COMMENT

    reading = ReadingFactory(metric=on_target, period="2024-25", value=Decimal(60),
                             state=ReadingState.SUBMITTED, entered_by=users["steward"])
    on_target.pillar.leads.add(users["lead"])
    with translation.override("es"):
        assert str(RETURN_NEEDS_COMMENT) == ("Indique qué hay que cambiar, para que el "
                                             "responsable de datos pueda corregirlo.")
        with pytest.raises(ValidationError) as empty:
            reading_return(reading=reading, user=users["lead"], comment="  ")
        assert empty.value.message_dict["comment"] == [str(RETURN_NEEDS_COMMENT)]
        plan = on_target.plan
        plan.closed_at = datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC)
        plan.save()
        with pytest.raises(ValidationError) as closed:
            reading_return(reading=reading, user=users["lead"], comment="Revise")
        assert "está cerrado: sus valores son definitivos, así que ya no es posible devolver " \
               "un valor." in closed.value.messages[0]
