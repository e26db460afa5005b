"""Signing in applies the language a person kept (issue 18): on a new device, with no
language cookie, the pages after sign-in are in it; who never chose keeps what the
browser asks for. Single sign-on does the same (tests/test_oidc.py)."""

import pytest
from django.conf import settings

from metrics.models import UserPreference
from metrics.services.preferences import language_set

from .test_signin import PASSWORD, sign_in

COOKIE = settings.LANGUAGE_COOKIE_NAME
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_afterwards")]


def _html_lang(client, **headers):
    return client.get("/", follow=True, **headers).content.decode().split(
        "<html lang=\"", 1)[1].split("\"", 1)[0]


def test_a_person_who_chose_spanish_gets_spanish_after_signing_in_anywhere(client, users):
    language_set(user=users["steward"], language="es")
    assert COOKIE not in client.cookies  # a new device
    response = sign_in(client, "steward", PASSWORD, HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "es"
    assert response.cookies[COOKIE]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert _html_lang(client, HTTP_ACCEPT_LANGUAGE="en-US") == "es"


def test_a_kept_english_wins_over_a_spanish_cookie_on_a_shared_device(client, users):
    language_set(user=users["lead"], language="en")
    client.cookies[COOKIE] = "es"  # the last person on this device read Spanish
    sign_in(client, "lead", PASSWORD)
    assert _html_lang(client) == "en"


@pytest.mark.parametrize("browser", ["es-MX,es;q=0.9", "en-US,en;q=0.8"])
def test_who_never_chose_keeps_what_the_browser_asks_for(client, users, browser):
    response = sign_in(client, "steward", PASSWORD, HTTP_ACCEPT_LANGUAGE=browser)
    assert response.status_code == 302 and COOKIE not in response.cookies
    assert _html_lang(client, HTTP_ACCEPT_LANGUAGE=browser) == browser[:2]
    assert not UserPreference.objects.exists()  # signing in chooses nothing


def test_a_refused_sign_in_sets_no_language(client, users):
    language_set(user=users["steward"], language="es")
    response = sign_in(client, "steward", "wrong")
    assert COOKIE not in response.cookies
