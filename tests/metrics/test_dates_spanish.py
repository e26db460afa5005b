"""Dates in each language's own short format (lacoe_kpi/formats): the metric page's
history, My updates and the approvals' "entered" read "1 dic 2026, 9:00 a.m." in Spanish and
"1 Dec 2026, 09:00" in English; the history's field labels are Spanish too (issue 18)."""

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format

from metrics.services import reading_record

COOKIE = settings.LANGUAGE_COOKIE_NAME


pytestmark = pytest.mark.usefixtures("english_afterwards")


@pytest.fixture(autouse=True)
def _in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _history(client, user, metric, language):
    client.force_login(user)
    client.cookies[COOKIE] = language
    html = client.get(metric.get_absolute_url()).content.decode()
    start = html.index("Every change to" if language == "en" else "Todos los cambios de")
    return html[start:html.index("</table>", start)]


@pytest.mark.parametrize(("language", "words"), [
    ("es", ("1 dic 2026, 9:00 a.m.", "Valor: — → 60,000", "Derivado por nosotros: — → sí")),
    ("en", ("1 Dec 2026, 09:00", "Value: — → 60,000", "Derived by us: — → yes")),
])
def test_the_history_has_its_languages_dates_and_labels(client, users, lacoe_reach,
                                                         language, words):
    reading_record(metric=lacoe_reach, period="2024-25", value="60000", user=users["steward"],
                   is_derived=True)
    history = _history(client, users["leadership"], lacoe_reach, language)
    for word in words:
        assert word in history
    if language == "es":
        assert "Dec" not in history and "Value:" not in history


def test_the_short_formats_are_the_languages_own(after_the_plan):
    assert date_format(after_the_plan, "SHORT_DATE_FORMAT") == "1 Dec 2026"
    with translation.override("es"):
        assert date_format(after_the_plan, "SHORT_DATE_FORMAT") == "1 dic 2026"
