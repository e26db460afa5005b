"""The language switcher, used by keyboard in Debian chromium: English → Spanish → English.

On each page translated so far, signed out and signed in: the page comes back in Spanish
with lang="es", axe-core finds nothing serious or critical in it, nothing is logged on the
console, and the switcher brings the same page back in English.
"""

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test.utils import override_settings

from ..conftest import require_service
from ..factories import MetricFactory, UserFactory
from . import site_check
from .site_check import AXE_IMPACTS, AXE_RUN, AXE_STATIC_PREFIX, AXE_TAGS
from .test_flows import browser  # noqa: F401 - the same chromium fixture (used by name)

PASSWORD = "pw-for-tests"  # noqa: S105 - test users only

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (path, the page's heading in English, in Spanish)
SIGNED_OUT = [
    ("/accounts/login/", "Sign in", "Iniciar sesión"),
    ("/accounts/password_reset/", "Reset your password", "Restablecer su contraseña"),
    ("/no-such-page/", "Page not found", "Página no encontrada"),
]
SIGNED_IN = [
    ("/my-updates/", "My updates", "Mis actualizaciones"),
    ("/account/", "Your account", "Su cuenta"),
    ("/approvals/", "Values waiting for approval", "Valores que esperan aprobación"),
    ("/worklists/targets/", "Metrics without a target", "Indicadores sin meta"),
    ("/audit/", "Audit log", "Registro de auditoría"),
]


@pytest.fixture
def site(live_server):
    require_service(site_check.AXE_JS.exists(),
                    f"{site_check.AXE_JS} is absent: run `npm ci --prefix tests/browser`")
    with override_settings(
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STATICFILES_DIRS=[*settings.STATICFILES_DIRS,
                          (AXE_STATIC_PREFIX, str(site_check.AXE_JS.parent))],
    ):
        admin = UserFactory(username="admin", password=PASSWORD, role="Administrator")
        admin.is_staff = True
        admin.save()
        MetricFactory(name="Docentes formados").owners.add(admin)
        yield live_server.url


def _switch_by_keyboard(page, language_name):
    """Focus the switcher's list by its label, choose, Tab to the button, press Enter."""
    # The switcher's own label ("Language / Idioma"): the account page also has the
    # language of one's e-mails.
    choice = page.locator("form.language-switcher").get_by_label("Language")
    choice.focus()
    choice.select_option(label=language_name)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('form.language-switcher') !== null")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _check_round_trip(page, base, path, english, spanish, errors):
    page.goto(base + path)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == english
    _switch_by_keyboard(page, "Español")
    assert page.url == base + path, "the switcher goes back to the same page"
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == spanish
    page.add_script_tag(url=base + static(f"{AXE_STATIC_PREFIX}/{site_check.AXE_JS.name}"))
    violations = page.evaluate(AXE_RUN, [AXE_TAGS, AXE_IMPACTS])
    assert not violations, f"{path} in Spanish: {violations}"
    _switch_by_keyboard(page, "English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == english
    assert not errors, f"console errors on {path}: {errors}"


def test_the_switcher_round_trips_signed_out_and_signed_in(browser, site):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and "404" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path, english, spanish in SIGNED_OUT:
        _check_round_trip(page, site, path, english, spanish, errors)

    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    for path, english, spanish in SIGNED_IN:
        _check_round_trip(page, site, path, english, spanish, errors)
    context.close()
