"""Every public page of LACOE's public plan in Spanish, signed out (issue 18).

Signed out in Debian chromium, Spanish is chosen with the header's switcher (by keyboard);
then the home page, the plan's overview, each pillar (each page of its list of metrics)
and each metric page those pages link to are opened. On each: `<html lang="es">`, axe-core
finds nothing serious or critical (WCAG 2.1 AA), nothing is logged on the console, the
metric pages link to their CSV and the link answers, and the switcher brings the same
page back in English and then in Spanish again. The HTML the server sent for each page
is validated in one run of the Nu HTML Checker at the end.
"""

from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test.utils import override_settings

from metrics import aggregates
from metrics.loading import load_directory

from ..conftest import LACOE_FIXTURES, require_service
from . import site_check
from .site_check import AXE_IMPACTS, AXE_RUN, AXE_STATIC_PREFIX, AXE_TAGS, PageResult, run_vnu
from .test_flows import browser  # noqa: F401 - the same chromium fixture (used by name)
from .test_languages import _switch_by_keyboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The pages the walk follows links to: the public view of each (pillars/public.py,
# metrics/public.py), and the pages of a pillar's list of metrics (?page=).
FOLLOWED = {"pillars:plan", "pillars:pillar", "metrics:metric"}


@pytest.fixture
def site(live_server):
    require_service(site_check.AXE_JS.exists(),
                    f"{site_check.AXE_JS} is absent: run `npm ci --prefix tests/browser`")
    require_service(site_check.VNU_JAR.exists(),
                    f"{site_check.VNU_JAR} is absent: run `npm ci --prefix tests/browser`")
    with override_settings(
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        CELERY_TASK_ALWAYS_EAGER=True,
        STATICFILES_DIRS=[*settings.STATICFILES_DIRS,
                          (AXE_STATIC_PREFIX, str(site_check.AXE_JS.parent))],
    ):
        plan, _ = load_directory(LACOE_FIXTURES)
        aggregates.rebuild()
        assert plan.is_public, "LACOE's plan is public (fixtures/lacoe/plan.yaml)"
        yield live_server.url


def _links(page, base):
    """The same-site links of the page's main content, without fragments, by view."""
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
    found = {}
    for href in hrefs:
        url = urldefrag(href).url
        if url.startswith(base):
            found.setdefault(site_check.view_name(url), []).append(url)
    return found


def _round_trip(page, url):
    """The switcher on this page: English and back to Spanish, on the same address."""
    heading = page.locator("h1").inner_text()
    _switch_by_keyboard(page, "English")
    assert page.url == url, f"{url}: the switcher went to {page.url}"
    assert page.locator("html").get_attribute("lang") == "en", url
    _switch_by_keyboard(page, "Español")
    assert page.url == url, f"{url}: the switcher went to {page.url}"
    assert page.locator("html").get_attribute("lang") == "es", url
    assert page.locator("h1").inner_text() == heading, url


def test_every_public_page_in_spanish_signed_out(browser, site, tmp_path):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))

    home = site + "/"
    page.goto(home)
    assert page.locator("html").get_attribute("lang") == "en"
    _switch_by_keyboard(page, "Español")
    assert page.url == home

    queue, seen, saved, problems = [home], {home}, [], []
    views = {}
    while queue:
        url = queue.pop(0)
        if page.url != url:
            response = page.goto(url)
            assert response.status == 200, f"{url}: HTTP {response.status}"
        view = site_check.view_name(url)
        views.setdefault(view, []).append(url)
        if page.locator("html").get_attribute("lang") != "es":
            problems.append(f"{url}: <html lang> is not es")
        page.add_script_tag(url=site + static(f"{AXE_STATIC_PREFIX}/{site_check.AXE_JS.name}"))
        violations = page.evaluate(AXE_RUN, [AXE_TAGS, AXE_IMPACTS])
        if violations:
            problems.append(f"{url}: axe-core: {violations}")
        # The HTML as the server sent it, in Spanish, for the Nu HTML Checker.
        sent = context.request.get(url)
        html_file = Path(tmp_path) / f"page-{len(saved)}.html"
        html_file.write_text(sent.text())
        saved.append(PageResult(user="signed-out, es", url=url, html_file=html_file))
        links = _links(page, site)
        if view == "metrics:metric":
            csv_links = page.eval_on_selector_all(
                "a[href$='/public.csv']", "links => links.map(a => a.href)")
            if not csv_links:
                problems.append(f"{url}: no link to the metric's CSV")
            for csv_url in csv_links[:1]:
                answer = context.request.get(csv_url)
                if answer.status != 200 or "text/csv" not in answer.headers["content-type"]:
                    problems.append(f"{url}: its CSV answers HTTP {answer.status}")
        _round_trip(page, url)
        for kind in FOLLOWED:
            for link in links.get(kind, []):
                path = urlsplit(link)
                # A pillar's own filters or sorting are no other page; its pages are.
                if path.query and not path.query.startswith("page="):
                    continue
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
    context.close()

    assert views.get("pillars:plan"), "the public overview was not reached"
    assert len(views.get("pillars:pillar", [])) >= 5, "not every pillar was reached"
    assert views.get("metrics:metric"), "no metric page was reached"
    run_vnu(saved)
    problems += [f"{result.url}: Nu HTML Checker: {message}"
                 for result in saved for message in result.vnu]
    assert not problems, "\n".join(problems)
    assert not errors, f"console errors: {errors}"
