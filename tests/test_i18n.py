"""Languages: the switcher, ?lang= links, the lang attribute, Spanish pages and formats."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import formats, translation

from metrics.units import format_change, format_counts, format_figure, validate_value

from .factories import MetricFactory

COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.fixture(autouse=True)
def english_afterwards():
    """LocaleMiddleware leaves the last request's language active in this thread (a server
    activates one per request): give the tests that follow the default back."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def choose(client, language, next_url="/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


@pytest.mark.django_db
def test_a_page_is_english_by_default_with_the_switcher(client):
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page
    assert '<label for="language-choice">Language <span lang="es">/ Idioma</span></label>' in page
    # Each language named in its own language, and marked as such.
    assert '<option value="es" lang="es">Español</option>' in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert 'name="next" type="hidden" value="/accounts/login/"' in page
    assert ">Sign in</button>" in page


@pytest.mark.django_db
def test_the_switcher_round_trips_and_goes_back_to_the_same_page(client):
    response = choose(client, "es", "/accounts/login/?next=/my-updates/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/my-updates/"
    assert client.cookies[COOKIE].value == "es"
    assert client.cookies[COOKIE]["max-age"] == settings.LANGUAGE_COOKIE_AGE
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="es">' in page
    assert ">Iniciar sesión</button>" in page
    assert '<option value="es" lang="es" selected>Español</option>' in page
    assert '<span lang="en">/ Language</span>' in page
    choose(client, "en", "/accounts/login/")
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in page and ">Sign in</button>" in page


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["", "fr", "e" * 5000, "<script>alert(1)</script>",
                                      "=HYPERLINK(\"x\")", "-1", "١"])
def test_a_language_we_do_not_have_changes_nothing(client, language):
    response = choose(client, language)
    assert response.status_code == 302
    # Django's set_language keeps any language it has a catalogue of ("fr"), but the
    # middleware serves only ours: the page stays English.
    assert COOKIE not in response.cookies or response.cookies[COOKIE].value == "fr"
    assert '<html lang="en">' in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_the_switcher_never_sends_anyone_to_another_site(client):
    response = choose(client, "es", "https://evil.example/")
    assert response.status_code == 302 and response.url == "/"


@pytest.mark.django_db
def test_a_lang_link_sets_the_language_and_drops_the_parameter(client):
    response = client.get("/accounts/login/?next=/my-updates/&lang=es")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Fmy-updates%2F"
    assert response.cookies[COOKIE].value == "es"
    assert response.cookies[COOKIE]["samesite"] == "Lax"
    page = client.get(response.url).content.decode()
    assert '<html lang="es">' in page and "Iniciar sesión" in page
    assert client.get("/?lang=en").url == "/"
    assert '<html lang="en">' in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "fr", "e" * 5000, "<script>alert(1)</script>",
                                   "=1+1", "-1", "١٢", "es\x00"])
def test_a_lang_link_we_cannot_honour_shows_the_page_as_it_is(client, value):
    response = client.get("/accounts/login/", {"lang": value})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "<script>alert(1)</script>" not in page


@pytest.mark.django_db
def test_only_a_get_follows_a_lang_link(client):
    response = client.post("/accounts/login/?lang=es", {"username": "x", "password": "y"})
    assert response.status_code == 200
    assert COOKIE not in response.cookies


@pytest.mark.django_db
def test_the_browser_language_is_honoured_until_the_switcher_says_otherwise(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content
    assert b'<html lang="es">' in page
    choose(client, "en")
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content
    assert b'<html lang="en">' in page


@pytest.mark.django_db
def test_error_pages_speak_the_chosen_language(client):
    choose(client, "es")
    page = client.get("/no-such-page/").content.decode()
    assert '<html lang="es">' in page and "Página no encontrada" in page


@pytest.mark.django_db
def test_a_signed_in_page_and_its_messages_in_spanish(client, users):
    metric = MetricFactory(code="m", name="Docentes formados", unit="count")
    metric.owners.add(users["steward"])
    client.force_login(users["steward"])
    choose(client, "es")
    page = client.get("/my-updates/").content.decode()
    assert '<html lang="es">' in page
    assert "<h1>Mis actualizaciones</h1>" in page
    assert "Cerrar sesión" in page
    url = f"/plans/{metric.plan.slug}/metrics/m/enter/"
    response = client.post(url, {"period": "2023-24", "value": "muchos", "version": 0})
    text = response.content.decode()
    assert "“muchos” no es un número. Escriba cifras, por ejemplo 6000 o 45.5." in text
    assert "<label for=\"id_period\">Periodo</label>" in text


# --- Formats: the conventions chosen for Spanish readers in Los Angeles (README.md) ------


def test_spanish_numbers_are_written_as_in_mexico_and_the_united_states():
    with translation.override("es"):
        assert formats.number_format(Decimal("1234.5"), use_l10n=True,
                                     force_grouping=True) == "1,234.5"
        assert formats.date_format(datetime.date(2026, 12, 1)) == "1 de diciembre de 2026"
        assert formats.date_format(datetime.date(2026, 12, 1), "SHORT_DATE_FORMAT") == (
            "1 dic 2026")
    with translation.override("en"):
        assert formats.date_format(datetime.date(2026, 12, 1)) == "Dec. 1, 2026"


@pytest.mark.parametrize(("value", "unit", "extra", "english", "spanish"), [
    ("9018", "count", {"qualifier": "over"}, "over 9,018", "más de 9,018"),
    ("1234.5", "count", {}, "1,234.5", "1,234.5"),
    ("45.5", "percent", {}, "45.5%", "45.5%"),
    ("2500000", "currency", {}, "$2.5 million", "$2.5 millones"),
    ("1000000", "currency", {}, "$1 million", "$1 millón"),
    # A U.S. billion is "mil millones": "un billón" is a million millions in Spanish.
    ("1200000000", "currency", {}, "$1.2 billion", "$1.2 mil millones"),
    ("7", "rank", {"scale_max": 105}, "7th of 105", "7º de 105"),
    ("4.7", "rating", {"scale_max": 5}, "4.7/5", "4.7/5"),
    ("50", "count", {"qualifier": "plus"}, "50+", "50+"),
])
def test_figures_follow_the_language(value, unit, extra, english, spanish):
    with translation.override("en"):
        assert format_figure(Decimal(value), unit, **extra) == english
    with translation.override("es"):
        assert format_figure(Decimal(value), unit, **extra) == spanish


def test_changes_and_counts_follow_the_language():
    with translation.override("es"):
        assert format_change(Decimal("-3.1"), "percent") == "−3.1 puntos"
        assert format_change(Decimal("2"), "rank") == "+2 lugares"
        assert format_change(Decimal("1"), "rank") == "+1 lugar"
        assert format_counts(412, 1030) == "412 de 1,030"
    with translation.override("en"):
        assert format_change(Decimal("-3.1"), "percent") == "−3.1 pts"
        assert format_change(Decimal("2"), "rank") == "+2 places"
        assert format_counts(412, 1030) == "412 of 1,030"


def test_a_unit_message_in_spanish_names_what_was_typed():
    from django.core.exceptions import ValidationError

    with translation.override("es"), pytest.raises(ValidationError) as caught:
        validate_value("percent", "140")
    assert caught.value.message_dict["value"] == [
        "Un porcentaje es una proporción de 0 a 100. Usted escribió 140."]
