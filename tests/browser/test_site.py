"""Try the app as a new user would, in Chromium: every page reachable from the home page,
signed out and as every role, must be accessible, quiet, self-hosted, valid and phone-sized,
under the Content-Security-Policy the server sends, with every chart drawn and working.

The crawl runs once (see conftest.site_report); each test reads its findings for one user.
A failure lists every problem with the page it is on.
"""

from collections import defaultdict

import pytest

from .conftest import ANONYMOUS, USERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOWN_PAGES = 12


def _fail(title, problems, report):
    """Fail with `problems`: {problem text: [page labels]}, grouped so repeats stay short."""
    lines = [f"{title} ({len(problems)} distinct):"]
    for problem, pages in problems.items():
        lines.append(f"- {problem}")
        shown = ", ".join(pages[:SHOWN_PAGES])
        more = f" … and {len(pages) - SHOWN_PAGES} more" if len(pages) > SHOWN_PAGES else ""
        lines.append(f"    on {len(pages)} page(s): {shown}{more}")
    lines.append(f"Every page and finding: {report.report_file}")
    pytest.fail("\n".join(lines), pytrace=False)


def _findings(report, user, kind, prefix=""):
    """{prefix + finding: [page labels]} of one kind of finding (a PageResult list) of `user`."""
    problems = defaultdict(list)
    for page in report.of(user):
        for finding in getattr(page, kind):
            problems[f"{prefix}{finding}"].append(page.label)
    return problems


def _checked(report, user):
    pages = [p for p in report.of(user) if p.is_html]
    assert pages, f"the crawl as {user} checked no HTML page at all"
    return pages


def test_crawl_reaches_the_plan_its_pillars_and_metrics(site_report):
    """Sanity of the crawl itself, so that the other checks do look at the real pages."""
    def reached(user, view):
        return {p.final_url for p in site_report.of(user) if p.view_name == view
                and p.status == 200 and p.is_html}

    assert reached(ANONYMOUS, "pillars:home"), "signed out: the home page was not reached"
    assert reached(ANONYMOUS, "login"), "signed out: no link to the sign-in page was followed"
    assert reached("leadership", "pillars:home"), "leadership: the home page was not reached"
    pillars = reached("leadership", "pillars:pillar")
    assert len(pillars) >= 5, f"leadership reached {len(pillars)} pillar pages, not 5: {pillars}"
    assert reached("leadership", "metrics:metric"), "leadership: no metric page was reached"
    assert reached("leadership", "pillars:plan"), "leadership: the plan page was not reached"
    admin = {p.view_name for p in site_report.of("administrator") if p.view_name.startswith(
        "admin:")}
    assert "admin:index" in admin, "administrator: the Django admin was not reached"
    error_pages = {(p.user, p.status) for p in site_report.pages if p.expected_status}
    assert ("outsider", 403) in error_pages, "outsider: no page of a role was refused (403)"


# What a public page never holds (issue 17): entry, approval and worklist links, evidence,
# history, owners, pending or returned values.
STAFF_ONLY = ("/enter/", "/target/", "/approvals/", "/worklists/", "/evidence/", "History",
              "Owners", "Pending approval", "pending approval", "Returned:")


def test_signed_out_the_public_plan_its_pillars_and_metrics_are_public_views(site_report):
    """LACOE's plan is public (fixtures/lacoe/plan.yaml): signed out, the crawl opens its
    overview, every pillar page and metric pages (so the checks below run on them), and
    none of them shows anything staff-only."""
    pages = {}
    for page in site_report.of(ANONYMOUS):
        if page.status == 200 and page.is_html:
            pages.setdefault(page.view_name, []).append(page)
    assert pages.get("pillars:plan"), "signed out: the public overview was not reached"
    assert len(pages.get("pillars:pillar", [])) >= 5, "signed out: not every pillar page"
    assert pages.get("metrics:metric"), "signed out: no public metric page was reached"
    # A page whose HTML equals one already kept (bar its header) keeps no file of its own.
    kept = {view: [page for page in pages[view] if page.html_file]
            for view in ("pillars:plan", "pillars:pillar", "metrics:metric")}
    assert all(kept.values()), f"signed out: no HTML kept of {kept}"
    leaks = {
        f"{marker!r} on a public page": [page.label]
        for view_pages in kept.values() for page in view_pages
        for marker in STAFF_ONLY if marker in page.html_file.read_text()
    }
    if leaks:
        _fail("signed out: staff-only content on public pages", leaks, site_report)


@pytest.mark.parametrize("user", USERS)
def test_every_link_works(site_report, user):
    problems = defaultdict(list)
    for page in site_report.of(user):
        if why := page.broken():
            problems[why].append(page.label)
    if problems:
        _fail(f"{user}: broken links or unexpected status", problems, site_report)


@pytest.mark.parametrize("user", USERS)
def test_no_serious_accessibility_violation(site_report, user):
    """axe-core, WCAG 2.0/2.1 A and AA rules: nothing `serious` or `critical`."""
    problems = defaultdict(list)
    for page in _checked(site_report, user):
        for violation in page.axe:
            for node in violation["nodes"]:
                summary = " ".join(node["summary"].split())
                key = (f"axe {violation['id']} ({violation['impact']}) at `{node['target']}`: "
                       f"{violation['help']} — {summary} [{violation['helpUrl']}]")
                problems[key].append(page.label)
    if problems:
        _fail(f"{user}: axe-core serious/critical WCAG A/AA violations", problems, site_report)


@pytest.mark.parametrize("user", USERS)
def test_no_console_error_or_failed_request(site_report, user):
    problems = defaultdict(list)
    for page in site_report.of(user):
        for message in page.console:
            problems[f"console error: {message}"].append(page.label)
        for failure in page.failed_requests:
            problems[f"failed request: {failure}"].append(page.label)
    if problems:
        _fail(f"{user}: console errors or failed requests", problems, site_report)


@pytest.mark.parametrize("user", USERS)
def test_no_content_security_policy_violation(site_report, user):
    """The policy the server sends (the browser enforces it) blocks nothing a page does."""
    problems = _findings(site_report, user, "csp", "Content-Security-Policy violation: ")
    if problems:
        _fail(f"{user}: Content-Security-Policy violations", problems, site_report)


@pytest.mark.parametrize("user", USERS)
def test_charts_are_drawn_and_work(site_report, user):
    """Every chart is drawn; hover shows a data label and the modebar; download gives a PNG."""
    if problems := _findings(site_report, user, "charts"):
        _fail(f"{user}: charts not drawn or not working", problems, site_report)


@pytest.mark.parametrize("user", USERS)
def test_nothing_is_requested_from_another_host(site_report, user):
    if problems := _findings(site_report, user, "foreign_requests", "request to another host: "):
        _fail(f"{user}: requests leaving the live server's origin", problems, site_report)


@pytest.mark.parametrize("user", USERS)
def test_html_is_valid(site_report, user):
    """The Nu HTML Checker (vnu.jar, errors only) on the HTML exactly as the server sent it."""
    problems = defaultdict(list)
    for page in _checked(site_report, user):
        for error in page.vnu:
            problems[f"Nu HTML Checker: {error}"].append(page.label)
    if problems:
        _fail(f"{user}: invalid HTML", problems, site_report)


@pytest.mark.parametrize("user", USERS)
def test_no_horizontal_scroll_at_phone_width(site_report, user):
    """At 375x812 the document is no wider than the screen (tables may scroll in a wrapper)."""
    problems = defaultdict(list)
    for page in _checked(site_report, user):
        phone = page.phone
        if phone is None:
            problems[f"could not be loaded at phone width: {page.phone_error}"].append(page.label)
        elif page.overflows:
            culprits = "; ".join(c["text"] for c in phone["culprits"]) or "no single element found"
            key = f"the page scrolls sideways; sticking out of the screen: {culprits}"
            problems[key].append(f"{page.label} ({phone['scrollWidth']}px wide)")
    if problems:
        _fail(f"{user}: horizontal scroll at phone width (375px)", problems, site_report)
