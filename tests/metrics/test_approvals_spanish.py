"""The approvals page in Spanish (issue 18): a pillar lead reads every cell, button and
hidden label in Spanish, dates in the Spanish short format, and content without its
Spanish version (here a metric's name) inside lang="en"; the English page unchanged."""

import pytest
from django.conf import settings
from django.urls import reverse

from metrics.models import Metric
from metrics.services import reading_record

URL = reverse("metrics:approvals")
COOKIE = settings.LANGUAGE_COOKIE_NAME
ENGLISH_WORDS = ("Nothing unusual", "None yet", "No evidence given", "Evidence link",
                 "Evidence file", ">Checked", "Select ", "More than double", "an import",
                 " Dec 2026", ">derived<")


pytestmark = pytest.mark.usefixtures("english_afterwards")


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _row(html, reading):
    start = html.index(f'id="select-{reading.pk}"')
    return html[start:html.index("</tr>", start)]


def _page(client, user, language):
    client.force_login(user)
    client.cookies[COOKIE] = language
    return client.get(URL).content.decode()


def test_a_lead_reads_the_approvals_cells_in_spanish(client, users, lacoe_reach):
    plain = reading_record(metric=lacoe_reach, period="2024-25", value="60000",
                           user=users["steward"], is_derived=True)
    other = Metric.objects.filter(pillar=lacoe_reach.pillar).exclude(pk=lacoe_reach.pk).first()
    Metric.objects.filter(pk=other.pk).update(name_es="")  # no Spanish version
    odd = reading_record(metric=other, period="2024-25", value="1",
                         user=users["steward"], evidence_url="https://lacoe.edu/r.pdf")
    html = _page(client, users["lead"], "es")
    assert '<html lang="es">' in html
    row = _row(html, plain)
    assert "Nada fuera de lo común" in row and "Sin evidencia" in row
    assert ">derivado<" in row and "steward, 1 dic 2026, 9:00 a.m." in row
    assert f'Seleccionar {lacoe_reach.name_es}, 2024-25' in row
    odd_row = _row(html, odd)
    assert "Enlace a la evidencia" in odd_row
    assert f'<span lang="en">{other.name_en}</span>' in odd_row  # link and hidden label
    for english in ENGLISH_WORDS:
        assert english not in row and english not in odd_row, english


def test_a_warning_and_its_checked_box_in_spanish(client, users, lacoe_reach):
    reading = reading_record(metric=lacoe_reach, period="2024-25", value="140000",
                             user=users["steward"])
    row = _row(_page(client, users["lead"], "es"), reading)
    assert "Más del doble del valor anterior (65,000)." in row
    assert '<label for="checked-' in row and ">Revisado<" in row


def test_the_english_approvals_page_is_unchanged(client, users, lacoe_reach):
    reading = reading_record(metric=lacoe_reach, period="2024-25", value="60000",
                             user=users["steward"])
    row = _row(_page(client, users["lead"], "en"), reading)
    assert "Nothing unusual" in row and "No evidence given" in row
    assert "steward, 1 Dec 2026, 09:00" in row and 'lang="en"' not in row
    assert f"Select {lacoe_reach.name_en}, 2024-25" in row
