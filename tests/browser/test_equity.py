"""The metric page's equity views in Debian chromium, signed in as leadership: "By
student group" and "By district" (with its heat map) of the demo plan's equity metric,
whose small groups are suppressed in public (metrics/synthetic/equity.py). Each view
passes axe-core (no serious or critical WCAG 2.1 AA violation), the Nu HTML Checker,
and has no console error and no Content-Security-Policy violation."""

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

from metrics import privacy
from metrics.models import MetricSnapshot, Publication
from metrics.synthetic import equity, generate

from ..conftest import require_service
from ..factories import UserFactory
from . import site_check
from .site_check import (
    AXE_STATIC_PREFIX,
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    Measured,
    PageResult,
    Session,
    run_vnu,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium(monkeypatch):
    require_service(CHROMIUM.exists(), f"{CHROMIUM} is absent: `apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service(False, "the playwright package is absent: `pip install -e '.[dev]'`")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM in Playwright's thread
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def demo(live_server, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with override_settings(
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # axe-core, served as a static file of the live server (as tests/browser/conftest.py)
        STATICFILES_DIRS=[*settings.STATICFILES_DIRS,
                          (AXE_STATIC_PREFIX, str(site_check.AXE_JS.parent))],
    ):
        call_command("load_dashboard_scales", "fixtures/dashboard", verbosity=0)
        plan = generate(slug="demo-plan", metrics=3, districts=2, groups=2, months=12,
                        equity_demo=True, rebuild=True).plan
        metric = plan.metrics.get(code=equity.CODE)
        # The publication worker's decisions, set as it would (every case of the rule).
        MetricSnapshot.objects.filter(metric=metric).update(
            latest_publication=Publication.PUBLISHED, previous_publication=Publication.PUBLISHED)
        for code, decision in (("synthetic-equity-hill", Publication.PRIMARY),
                               ("synthetic-equity-coast", Publication.UNKNOWN_SIZE)):
            MetricSnapshot.objects.filter(metric=metric, district__code=code).update(
                latest_publication=decision)
        MetricSnapshot.objects.filter(metric=metric, student_group__code="synthetic-race-c") \
            .update(latest_publication=Publication.PRIMARY)
        MetricSnapshot.objects.filter(metric=metric, student_group__code="synthetic-race-d") \
            .update(latest_publication=Publication.COMPLEMENTARY)
        UserFactory(username="boss", password=PASSWORD, role="Leadership")
        yield live_server.url, metric


def test_by_group_and_by_district_views_pass_axe_and_the_nu_checker(chromium, demo, tmp_path):
    base, metric = demo
    session = Session(chromium, base, "leadership", tmp_path, Measured())
    try:
        session.sign_in("boss")
        results = []
        for view in ("groups", "districts"):
            result = PageResult(user="leadership", url=f"{base}{metric.get_absolute_url()}"
                                                      f"?view={view}")
            session.visit(result)
            html = session.page.content()
            assert privacy.STAFF_LABEL in html, view  # the suppressed cells are there
            results.append(result)
    finally:
        session.close()
    run_vnu(results)
    for result in results:
        assert result.status == 200, result.label
        assert not result.axe, (result.label, result.axe)
        assert not result.console and not result.csp, (result.label, result.console, result.csp)
        assert not result.vnu, (result.label, result.vnu)
    assert "heat-cell heat-" in (tmp_path / results[1].html_file.name).read_text()


def test_one_districts_groups_pass_axe_and_the_nu_checker(chromium, demo, tmp_path):
    """The by-group view within one district (?district=), reached through its select,
    with the district's suppressed groups (primary and complementary) labelled."""
    base, metric = demo
    north = metric.plan.districts.get(code="synthetic-equity-north")
    session = Session(chromium, base, "leadership", tmp_path, Measured())
    try:
        session.sign_in("boss")
        page = session.page
        page.goto(f"{base}{metric.get_absolute_url()}?view=groups")
        page.locator("#equity-district").select_option(str(north.pk))  # its own id
        page.get_by_role("button", name="Show the student groups").click()
        page.wait_for_load_state()
        assert f"district={north.pk}" in page.url and "view=groups" in page.url
        result = PageResult(user="leadership", url=page.url.split("#")[0])
        session.visit(result)
        html = session.page.content()
        assert f"By student group: {north.name}</h3>" in html
        assert html.count(privacy.STAFF_LABEL) >= 2, html  # groups C and D of North
    finally:
        session.close()
    run_vnu([result])
    assert result.status == 200, result.label
    assert not result.axe, (result.label, result.axe)
    assert not result.console and not result.csp, (result.label, result.console, result.csp)
    assert not result.vnu, (result.label, result.vnu)
