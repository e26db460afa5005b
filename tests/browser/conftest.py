"""The browser suite: one crawl of the live app per module, shared by every check.

Needs Debian chromium (/usr/bin/chromium), java (17+) and the pinned npm tools of
tests/browser/package.json (`npm ci --prefix tests/browser`). Without them every test skips
with the reason, or fails when REQUIRE_SERVICES=1.
"""

import json
import shutil
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings

from metrics import aggregates
from metrics.loading import load_directory

from ..conftest import LACOE_FIXTURES, ROLE_USERS, require_service
from ..factories import UserFactory
from . import site_check
from .site_check import (
    AXE_STATIC_PREFIX,
    CHROMIUM,
    CHROMIUM_ARGS,
    OFFLINE_ARGS,
    Measured,
    Session,
    run_vnu,
)

ANONYMOUS = "signed-out"
# Signed out, each role, and a signed-in user without a role.
USERS = [ANONYMOUS, *ROLE_USERS, "outsider"]
ADMINISTRATOR = "administrator"
MISSING_PAGE = "/browser-check/no-such-page/"
# Pages every user reaches, which a user without a role must not open.
# Pages not only for staff roles: anyone's (the API's documentation and schema) or any
# signed-in person's (their account page with its API tokens, their password).
PUBLIC_VIEWS = {"pillars:home", "login", "(no view)", "(file)", "api:docs", "api:schema",
                "metrics:account", "password_change"}


@pytest.fixture(scope="module")
def browser_tools():
    """Chromium, java, the npm tools and Playwright, or a skip saying how to get them."""
    install = "run `npm ci --prefix tests/browser` (needs node and npm)"
    require_service(CHROMIUM.exists(),
                    f"{CHROMIUM} is absent: install Debian chromium (`apt-get install chromium`)")
    require_service(shutil.which("java"),
                    "java is absent: install a Java 17+ runtime (`apt-get install "
                    "default-jre-headless`) for the Nu HTML Checker")
    require_service(site_check.AXE_JS.exists(), f"{site_check.AXE_JS} is absent: {install}")
    require_service(site_check.VNU_JAR.exists(), f"{site_check.VNU_JAR} is absent: {install}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service(False, "the playwright package is absent: `pip install -e '.[dev]'`")
    return sync_playwright


class SiteReport:
    """Every page each user reached, with what the checks found there."""

    def __init__(self, pages, report_file):
        self.pages = pages
        self.report_file = report_file

    def of(self, user):
        return [page for page in self.pages if page.user == user]


@pytest.fixture(scope="module")
def site_report(browser_tools, django_db_setup, live_server, django_db_blocker,
                tmp_path_factory):
    """Load the LACOE plan, crawl the live server as every user, validate all HTML at once.

    Runs in one go for the module (module scope cannot use the function-scoped
    transactional_db), so the data is written with the blocker lifted and the database is
    flushed afterwards, as a transactional test does; every test of the module also gets
    transactional_db through live_server.
    """
    html_dir = tmp_path_factory.mktemp("browser-pages")
    fast_passwords = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        # Dashboards rebuilt in-process and at once, even when REDIS_URL names a worker.
        CELERY_TASK_ALWAYS_EAGER=True,
        # axe-core, served as a static file of the live server (cached by the browser).
        STATICFILES_DIRS=[*settings.STATICFILES_DIRS,
                          (AXE_STATIC_PREFIX, str(site_check.AXE_JS.parent))],
    )
    fast_passwords.enable()
    try:
        # Unblocked for the whole crawl: the live server's thread reads the database too.
        with django_db_blocker.unblock():
            _refuse_unless_test_databases()
            load_directory(LACOE_FIXTURES)
            aggregates.rebuild()
            for name, role in ROLE_USERS.items():
                user = UserFactory(username=name, role=role)
                if name == ADMINISTRATOR:
                    user.is_staff = True
                    user.save()
            UserFactory(username="outsider")
            # No ORM call from here on in this thread: Playwright's sync API runs an event
            # loop in it, and Django refuses database access from there. (The live server
            # answers from its own threads.)
            timings = {}
            pages = _crawl_everyone(browser_tools, live_server.url, html_dir, timings)
    finally:
        fast_passwords.disable()
        with django_db_blocker.unblock():
            _refuse_unless_test_databases()
            for alias in connections:
                call_command("flush", verbosity=0, interactive=False, database=alias)
    started = time.monotonic()
    run_vnu(pages)
    timings["Nu HTML Checker"] = round(time.monotonic() - started, 1)
    report_file = html_dir / "report.json"
    report_file.write_text(json.dumps(
        {"seconds": timings, "pages": [p.as_json() for p in pages]}, indent=2))
    return SiteReport(pages, report_file)


def _refuse_unless_test_databases():
    """Never write to or flush a real database: only pytest-django's test databases."""
    for alias in connections:
        name = str(connections[alias].settings_dict["NAME"])
        if "test" not in name.lower() and "memory" not in name.lower():
            raise RuntimeError(
                f"database {alias!r} is {name!r}, not a test database: the browser suite "
                "writes and flushes its data, so it refuses to run on it"
            )


def _crawl_everyone(sync_playwright, base_url, html_dir, timings):
    pages = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=CHROMIUM_ARGS + OFFLINE_ARGS)
        try:
            # Leadership first: its pages are the ones a user without a role must be refused.
            order = ["leadership", *[u for u in USERS if u != "leadership"]]
            staff_only = []
            measured = Measured()
            for user in order:
                started = time.monotonic()
                session = Session(browser, base_url, user, html_dir, measured)
                try:
                    extra = [(MISSING_PAGE, 404)]
                    if user == "outsider":
                        extra += [(url, 403) for url in staff_only]
                    elif user == ANONYMOUS:
                        extra += [(url, None) for url in staff_only]  # redirected to sign in
                    if user != ANONYMOUS:
                        session.sign_in(user)
                    results = session.crawl(allow_admin=user == ADMINISTRATOR, extra=extra)
                    if user != ANONYMOUS:
                        session.sign_out()
                finally:
                    session.close()
                timings[f"crawl as {user}"] = round(time.monotonic() - started, 1)
                if user == "leadership":
                    staff_only = _one_per_view(results)
                pages.extend(results)
        finally:
            browser.close()
    pages.sort(key=lambda page: USERS.index(page.user))
    return pages


def _one_per_view(results):
    """The first URL of every kind of page that needs a role (for the 403 and sign-in checks)."""
    urls = {}
    for result in results:
        kind = result.view_name
        if result.status == 200 and kind not in PUBLIC_VIEWS and "(" not in kind:
            urls.setdefault(kind, result.url)
    return list(urls.values())

