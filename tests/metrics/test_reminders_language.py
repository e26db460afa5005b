"""E-mails in each person's language (issue 18): the language a signed-in person chooses
(switcher, ?lang= link, account page) is kept, and reminders, return notices and approval
digests are written in it, subject and body, whoever's request sends them."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from metrics.aggregates import rebuild
from metrics.models import UserPreference
from metrics.services.preferences import language_set
from metrics.services.reminders import send_due_reminders

from ..factories import MetricFactory, ReadingFactory, UserFactory

COOKIE = settings.LANGUAGE_COOKIE_NAME


pytestmark = pytest.mark.usefixtures("english_afterwards")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://kpi.example.org"


@pytest.fixture
def two_stewards(db):
    metric = MetricFactory(name="Late metric", name_es="Indicador atrasado")
    ReadingFactory(metric=metric, period="2022-23")
    rebuild()
    ana = UserFactory(username="ana", email="ana@example.org", role="Data steward")
    kim = UserFactory(username="kim", email="kim@example.org", role="Data steward")
    metric.owners.add(ana, kim)
    return ana, kim


def _mail_to(address):
    return next(m for m in mail.outbox if m.to == [address])


def test_a_spanish_steward_gets_spanish_and_an_english_one_english(two_stewards):
    ana, _kim = two_stewards
    language_set(user=ana, language="es")
    with translation.override("es"):  # whoever sends it, each gets their own language
        assert send_due_reminders(today=datetime.date(2024, 12, 1)) == 2
    spanish, english = _mail_to("ana@example.org"), _mail_to("kim@example.org")
    assert spanish.subject == "1 actualización de indicador pendiente"
    assert "Estos indicadores que usted mantiene esperan su próximo valor:" in spanish.body
    assert "- Indicador atrasado (" in spanish.body and "(ATRASADO)" in spanish.body
    assert english.subject == "1 metric update due"
    assert "These metrics you keep are waiting" in english.body
    assert "- Late metric (" in english.body and "(OVERDUE)" in english.body
    assert "Estos" not in english.body and "These metrics" not in spanish.body


def test_the_switcher_and_a_link_keep_a_signed_in_persons_language(client, users):
    steward = users["steward"]
    client.force_login(steward)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert UserPreference.objects.get(user=steward).language == "es"
    response = client.get("/?lang=en")
    assert response.status_code == 302 and response.cookies[COOKIE].value == "en"
    assert UserPreference.objects.get(user=steward).language == "en"


def test_a_signed_out_choice_keeps_nothing(client, db):
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    client.get("/?lang=es")
    assert not UserPreference.objects.exists()


def test_an_unknown_language_is_not_kept(client, users):
    client.force_login(users["steward"])
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    client.get("/?lang=xx")
    assert not UserPreference.objects.exists()


def test_the_account_page_shows_and_changes_the_language(client, users):
    steward = users["steward"]
    client.force_login(steward)
    html = client.get(reverse("metrics:account")).content.decode()
    assert "Language of your e-mails" in html and '<option value="en" selected>' in html
    response = client.post(reverse("metrics:account_language"), {"language": "es"})
    assert response.status_code == 302 and response.cookies[COOKIE].value == "es"
    assert UserPreference.objects.get(user=steward).language == "es"
    html = client.get(reverse("metrics:account")).content.decode()
    assert "Idioma de sus correos electrónicos" in html
    assert '<option value="es" selected>' in html


def test_the_account_language_refuses_what_it_does_not_offer(client, users):
    client.force_login(users["steward"])
    response = client.post(reverse("metrics:account_language"), {"language": "fr"})
    assert response.status_code == 302 and not UserPreference.objects.exists()


def test_the_account_language_is_for_the_signed_in_and_posts_only(client, users):
    url = reverse("metrics:account_language")
    assert client.post(url, {"language": "es"}).status_code == 302  # to sign in
    assert not UserPreference.objects.exists()
    client.force_login(users["steward"])
    assert client.get(url).status_code == 405


def test_the_return_notice_is_in_the_stewards_language(
    users, lacoe_reach, settings, django_capture_on_commit_callbacks
):
    from metrics.services import reading_record, reading_return

    settings.CELERY_TASK_ALWAYS_EAGER = True
    users["steward"].email = "steward@example.org"
    users["steward"].save()
    language_set(user=users["steward"], language="es")
    reading = reading_record(metric=lacoe_reach, period="2024-25", value="60000",
                             user=users["steward"])
    mail.outbox.clear()
    # The lead's page is in English: the steward still reads Spanish.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        reading_return(reading=reading, user=users["lead"], comment="Check the source")
    (notice,) = mail.outbox
    assert notice.subject == f"Devuelto: {lacoe_reach.name_es}, 2024-25"
    assert notice.body.startswith("Hola, steward:") and "Check the source" in notice.body
