"""What leadership, stewards and pillar leads do, clicked through in Debian chromium.

- A steward signs in, enters an invalid value and sees the message, corrects it and
  submits; the pillar lead approves; the dashboard shows the new value.
- A steward enters Facebook reach with evidence, the lead returns it with a comment, the
  steward resubmits, the lead approves it past the plausibility warning; the history and
  the dashboard show each step.
- Leadership opens the overview, drills into a pillar and a metric of the LACOE data,
  filters and sorts the table, exports it, and sees a page change after a steward's
  reading lands.
"""

import re

import pytest
from django.test.utils import override_settings

from metrics import aggregates
from metrics.loading import load_directory

from ..conftest import LACOE_FIXTURES, require_service
from ..factories import UserFactory
from .site_check import CHROMIUM, CHROMIUM_ARGS

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "pw-for-tests"  # noqa: S105 - test users only
PLAN = "lacoe-2022-25"
PILLAR = "communicate-effectively"
METRIC = "p4-newsletter-open-rate"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch):
    require_service(CHROMIUM.exists(), f"{CHROMIUM} is absent: `apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service(False, "the playwright package is absent: `pip install -e '.[dev]'`")
    # Playwright's loop runs in this thread while the test itself uses the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(live_server, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: rebuilds on commit
    with override_settings(ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
                           PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        plan, _ = load_directory(LACOE_FIXTURES)
        aggregates.rebuild()
        users = {
            "steward": UserFactory(username="steward", password=PASSWORD, role="Data steward"),
            "lead": UserFactory(username="lead", password=PASSWORD, role="Pillar lead"),
            "leadership": UserFactory(username="boss", password=PASSWORD, role="Leadership"),
        }
        metric = plan.metrics.get(code=METRIC)
        metric.owners.add(users["steward"])
        metric.pillar.leads.add(users["lead"])
        yield live_server.url


def _sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _new_page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def test_steward_enters_lead_approves_dashboard_shows_it(browser, site):
    context, page, errors = _new_page(browser)
    _sign_in(page, site, "steward")
    page.get_by_role("link", name="My updates").first.click()
    page.get_by_role("link", name=re.compile(r"Enter 2024-25 for Newsletter open rate")).click()

    page.get_by_label("Value").fill("145")
    page.get_by_role("button", name="Save").click()
    message = "A percent is a share from 0 to 100. You entered 145."
    expect(page.get_by_text(message)).to_be_visible()
    assert page.get_by_label("Period").input_value() == "2024-25"  # nothing typed is lost

    page.get_by_label("Value").fill("47.2")
    page.get_by_role("button", name="Save").click()
    assert "waits for a pillar lead's approval" in page.locator(".messages").inner_text()
    context.close()

    context, page, more_errors = _new_page(browser)
    _sign_in(page, site, "lead")
    page.get_by_role("link", name="Approvals").click()
    expect(page.get_by_text("47.2%").first).to_be_visible()
    page.get_by_label("Select Newsletter open rate, 2024-25").check()
    page.get_by_role("button", name="Approve the selected values").click()
    expect(page.get_by_text("Approved 1 value.")).to_be_visible()
    page.goto(f"{site}/plans/{PLAN}/pillars/{PILLAR}/")
    row = page.get_by_role("row", name=re.compile("Newsletter open rate")).first
    assert "47.2%" in row.inner_text() and "2024-25" in row.inner_text()
    context.close()
    assert not errors + more_errors


def test_steward_lead_steward_return_resubmit_and_approve_past_the_warning(browser, site):
    from django.urls import reverse

    from metrics.models import Metric

    reach = Metric.objects.get(plan__slug=PLAN, code="p4-facebook-reach")
    reach.owners.add(_user("steward"))
    enter = f"{site}{reverse('metrics:enter', args=[PLAN, reach.code])}?period=2024-25"
    comment = "The report says 65,000: check the figure."
    evidence = "https://lacoe.edu/annual-report-2024-25.pdf"

    context, page, errors = _new_page(browser)  # the steward enters with evidence
    _sign_in(page, site, "steward")
    page.goto(enter)
    page.get_by_label("Value").fill("140000")
    page.get_by_label("Note").fill("From the social media dashboard")
    page.get_by_label("Evidence link").fill(evidence)
    page.get_by_role("button", name="Save").click()
    assert "waits for a pillar lead's approval" in page.locator(".messages").inner_text()
    context.close()

    context, page, more = _new_page(browser)  # the lead returns it with a comment
    errors += more
    _sign_in(page, site, "lead")
    page.get_by_role("link", name="Approvals").click()
    row = page.get_by_role("row", name=re.compile("Facebook reach, 2024-25"))
    assert "More than double the previous value (65,000)." in row.inner_text()
    assert "65,000 (2023-24)" in row.inner_text()
    expect(row.get_by_role("link", name="Evidence link")).to_have_attribute("href", evidence)
    page.get_by_label("Select Facebook reach, 2024-25").check()
    page.get_by_label("Comment for the values returned").fill(comment)
    page.get_by_role("button", name="Return the selected values").click()
    expect(page.get_by_text("Returned 1 value to their stewards.")).to_be_visible()
    context.close()

    context, page, more = _new_page(browser)  # the steward sees why and resubmits
    errors += more
    _sign_in(page, site, "steward")
    page.get_by_role("link", name="My updates").first.click()
    returned = page.locator("section", has=page.get_by_role("heading", name="Returned to you"))
    assert comment in returned.inner_text()
    returned.get_by_role("link", name=re.compile("Facebook reach, 2024-25")).click()
    assert page.get_by_label("Evidence link").input_value() == evidence  # kept, shown
    page.get_by_label("Value").fill("134000")
    page.get_by_role("button", name="Save").click()
    assert "waits for a pillar lead's approval" in page.locator(".messages").inner_text()
    context.close()

    context, page, more = _new_page(browser)  # the lead approves past the warning
    errors += more
    _sign_in(page, site, "lead")
    page.get_by_role("link", name="Approvals").click()
    page.get_by_label("Select Facebook reach, 2024-25").check()
    page.get_by_role("button", name="Approve the selected values").click()
    row = page.get_by_role("row", name=re.compile("Facebook reach, 2024-25"))
    expect(row.get_by_text(re.compile("Tick “checked” to approve it"))).to_be_visible()
    page.get_by_label("Select Facebook reach, 2024-25").check()
    row.get_by_label(re.compile("^Checked")).check()
    page.get_by_role("button", name="Approve the selected values").click()
    expect(page.get_by_text("Approved 1 value.")).to_be_visible()

    page.goto(f"{site}{reach.get_absolute_url()}")  # the history shows each step
    body = page.locator("main").inner_text()
    for step in ("Value: — → 140,000", f"State: Submitted for approval → Returned: {comment}",
                 "Value: 140,000 → 134,000", "134,000"):
        assert step in body, step
    assert re.search(r"State: Submitted for approval → Approved", body)
    page.goto(f"{site}/plans/{PLAN}/pillars/{PILLAR}/")  # and the dashboard the value
    row = page.get_by_role("row", name=re.compile("Facebook reach")).first
    assert "134,000" in row.inner_text() and "2024-25" in row.inner_text()
    context.close()
    assert not errors


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_leadership_drills_down_filters_sorts_exports_and_sees_new_data(browser, site):
    from metrics.services import reading_record
    from pillars.models import StrategicPlan

    context, page, errors = _new_page(browser)
    _sign_in(page, site, "boss")
    page.get_by_role("link", name="Open the plan dashboard").click()
    expect(page.get_by_role("heading", name=re.compile("overview"))).to_be_visible()
    page.get_by_role("link", name="4. Communicate Effectively").click()
    expect(page.get_by_role("heading", name="Communicate Effectively", level=1)).to_be_visible()

    page.get_by_label("Search").fill("reach")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"q=reach"))
    table = page.locator("table").last
    names = table.locator("tbody th, tbody td:first-child").all_inner_texts()
    assert "Facebook reach" in names and "Newsletter open rate" not in names

    page.get_by_role("link", name="Metric", exact=True).click()  # by name, Z to A
    page.wait_for_url(re.compile(r"sort=-name"))
    first = table.locator("tbody tr").first.inner_text()
    page.get_by_role("link", name="Metric", exact=True).click()  # and A to Z
    page.wait_for_url(re.compile(r"sort=name"))
    assert table.locator("tbody tr").first.inner_text() != first

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        text = exported.read()
    assert text.startswith("Metric,Code,Priority area,Status") and "reach" in text.lower()

    page.goto(f"{site}/plans/{PLAN}/metrics/{METRIC}/")
    expect(page.get_by_text("45.5%").first).to_be_visible()
    plan = StrategicPlan.objects.get(slug=PLAN)
    reading_record(metric=plan.metrics.get(code=METRIC), period="2024-25", value="51.9",
                   approve=True)  # a steward's reading lands (approved)
    page.reload()
    expect(page.get_by_text("51.9%").first).to_be_visible()
    context.close()
    assert not errors


def _boxes_overlap(a, b):
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def _legend_clear_of_axis_titles(page):
    """Every drawn chart's legend box overlaps none of its axis titles; returns how many
    legends were checked."""
    checked = 0
    for chart in page.locator(".js-plotly-plot").all():
        legend = chart.locator("g.legend")
        if not legend.count():
            continue
        box = legend.first.bounding_box()
        for title in chart.locator("g.g-xtitle text, g.g-ytitle text").all():
            title_box = title.bounding_box()
            if box and title_box:
                assert not _boxes_overlap(box, title_box), (page.url, title.inner_text())
        checked += 1
    return checked


def test_leadership_after_the_plan_ended_reads_coverage_changes_and_no_overdue(browser, site):
    # The live server's clock is the real one: December 2026 is after the plan's end.
    context, page, errors = _new_page(browser)
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, site, "boss")
    page.goto(f"{site}/plans/{PLAN}/")
    page.wait_for_selector(".js-plotly-plot g.legend", state="attached")
    body = page.locator("main").inner_text()
    assert re.search(r"Not enough targets to judge \(0 of \d+ tracked metrics have a target\)",
                     body)
    assert re.search(r"\d+ improved, \d+ maintained, \d+ declined", body)
    assert "This plan ended on 30 June 2025." in body
    assert "Nothing is overdue: the plan has ended" in body
    assert not re.search(r"\d+ overdue", body) and "Overdue updates" not in body
    assert _legend_clear_of_axis_titles(page)

    page.goto(f"{site}/plans/{PLAN}/pillars/{PILLAR}/")
    page.wait_for_selector(".js-plotly-plot g.legend", state="attached")
    body = page.locator("main").inner_text()
    assert "This plan ended on 30 June 2025." in body
    assert re.search(r"\d+ improved", body) and not re.search(r"\d+ overdue", body)
    assert "Overdue since" not in body
    table = page.locator("table.data-table").last
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert table.bounding_box()["width"] <= 1280
    assert _legend_clear_of_axis_titles(page)

    page.goto(f"{site}/plans/{PLAN}/metrics/{METRIC}/")  # one reading: a labelled point
    page.wait_for_selector(".js-plotly-plot g.annotation", state="attached")
    assert "One reading so far" in page.locator(".js-plotly-plot g.annotation").first.text_content()
    assert "45.5%" in page.locator(".js-plotly-plot g.textpoint").first.text_content()
    _legend_clear_of_axis_titles(page)  # a single trace draws no legend
    context.close()
    assert not errors
