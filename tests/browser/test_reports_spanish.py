"""The annual report's pages in Spanish, in Debian chromium (issue 18): signed in as an
administrator, each page comes back in Spanish with lang="es" and its Spanish heading,
axe-core finds nothing serious or critical, nothing is logged on the console, and the
switcher brings it back in English (the round trip of test_languages.py)."""

import pytest

from ..factories import MetricFactory, PillarFactory, PlanFactory
from .test_flows import browser  # noqa: F401 - the same chromium fixture (used by name)
from .test_languages import PASSWORD, _check_round_trip, site  # noqa: F401 - fixtures by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = "2023-24"


def test_the_report_pages_round_trip_in_spanish(browser, site):  # noqa: F811
    plan = PlanFactory(slug="informe")
    pillar = PillarFactory(plan=plan, order=1, name="Reading", name_es="Lectura")
    MetricFactory(plan=plan, pillar=pillar, name="Readers", is_headline=True,
                  headline_label="Readers", headline_label_es="Lectores")
    base = f"/reports/{plan.slug}/{YEAR}"
    pages = [
        ("/reports/", "Annual reports", "Informes anuales"),
        (f"{base}/", f"Annual Report {YEAR}", f"Informe anual {YEAR}"),
        (f"{base}/export/", f"Export the annual report {YEAR}",
         f"Exportar el informe anual {YEAR}"),
        (f"{base}/highlights/", f"Highlights {YEAR}", f"Aspectos destacados {YEAR}"),
    ]
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and "404" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    for path, english, spanish in pages:
        _check_round_trip(page, site, path, english, spanish, errors)
    context.close()
