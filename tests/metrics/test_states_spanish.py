"""A value's approval state in the page's language (issue 18): the metric's history reads
as the approval column does ("Enviado para aprobación → Devuelto: <comment>"), never as
the stored codes; an imported file's English states still read under a Spanish page."""

import html

import pytest
from django.conf import settings
from django.utils import translation

from metrics.models import ReadingState
from metrics.rowformat import parse_state
from metrics.services import reading_approve, reading_record, reading_return

COOKIE = settings.LANGUAGE_COOKIE_NAME
COMMENT = "Revise la cifra"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_afterwards")]


@pytest.fixture
def returned_then_approved(users, owned):
    steward, lead = users["steward"], users["lead"]
    reading = reading_record(metric=owned, period="2023-24", value=40, user=steward)
    reading_return(reading=reading, user=lead, comment=COMMENT)
    reading = reading_record(metric=owned, period="2023-24", value=45, user=steward)
    reading_approve(reading=reading, user=lead)
    return owned


def _history_html(client, user, metric, language):
    client.force_login(user)
    client.cookies[COOKIE] = language
    response = client.get(metric.get_absolute_url())
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    return page.split('class="history-changes"', 1)[1]


def test_the_spanish_history_names_each_state_in_spanish(client, users,
                                                         returned_then_approved):
    history = _history_html(client, users["lead"], returned_then_approved, "es")
    assert f"Estado: Enviado para aprobación → Devuelto: {COMMENT}" in history
    assert f"Estado: Devuelto: {COMMENT} → Enviado para aprobación" in history
    assert "Estado: Enviado para aprobación → Aprobado" in history
    for code in ("submitted", "returned", "approved"):
        assert f" {code}" not in history, code


def test_the_english_history_names_each_state_by_its_label(client, users,
                                                           returned_then_approved):
    history = _history_html(client, users["lead"], returned_then_approved, "en")
    assert f"State: Submitted for approval → Returned: {COMMENT}" in history
    assert "State: Submitted for approval → Approved" in history


@pytest.mark.parametrize(("text", "code"), [
    ("submitted", ReadingState.SUBMITTED), ("Submitted for approval", ReadingState.SUBMITTED),
    ("enviado para aprobación", ReadingState.SUBMITTED), ("Approved", ReadingState.APPROVED),
    ("aprobado", ReadingState.APPROVED), ("sent", None),
])
def test_an_uploaded_state_reads_in_english_or_the_uploaders_language(text, code):
    with translation.override("es"):
        assert parse_state(text) == code
