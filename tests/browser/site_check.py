"""Crawl the running app in Chromium as each kind of user, and check every page it reaches.

One `Session` per user (a browser context): sign in through the real form, then follow
same-origin links breadth-first from the home page. Every page is opened in the browser and
checked for console errors, failed requests, requests to other hosts and broken links; its HTML
(as the server sent it) is saved so that the Nu HTML Checker validates every page of every user
in one batch at the end. Accessibility (axe-core) and horizontal scroll at phone width are
measured on every distinct page:

- a page whose HTML is the same as one already measured (bar the CSRF token and the user name)
  has the same findings: the four staff roles share most pages;
- a page whose HTML differs from a measured page only in its site header (the header holds the
  role's own links) takes that page's findings outside the header, and the header's findings
  from the first page measured with the very same header.

So every distinct piece of HTML is measured once, in a real page, and findings stay per page.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urldefrag, urlsplit

from django.templatetags.static import static
from django.urls import Resolver404, resolve

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
# axe-core is served by the live server as a static file under this prefix (see conftest), so
# that Chromium caches it and its compiled code instead of compiling 500 kB on every page.
AXE_STATIC_PREFIX = "browser-check"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Anything for another host never leaves the machine: it goes to a proxy that is not there and
# fails at once (the request is still recorded), while the live server on localhost is reached
# directly (Chromium never proxies loopback). Cheaper than intercepting every request.
OFFLINE_ARGS = ["--proxy-server=http://127.0.0.1:9"]

PASSWORD = "pw-for-tests"
PAGE_CAP = 60
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_IMPACTS = ["serious", "critical"]
# Linked files that are not pages (documents, images): checked for a working link only.
PAGE_SUFFIXES = {"", ".html", ".htm"}
HEADER, PAGE = "header", "page"

# Each node says whether it sits in the page's first <header> (the site header).
AXE_RUN = """
async ([tags, impacts]) => {
  const header = document.querySelector('header');
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
    elementRef: true,
  });
  return result.violations
    .filter(v => impacts.includes(v.impact))
    .map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes
        .filter(n => impacts.includes(n.impact))
        .map(n => ({
          target: n.target.join(' '), html: n.html, summary: n.failureSummary,
          region: header && n.element && header.contains(n.element) ? 'header' : 'page',
        })),
    }));
}
"""

# Width of the document, and the outermost elements sticking out of the viewport that are not
# clipped by a scrolling container of their own (the culprits of a horizontal scroll). An
# absolutely positioned element escapes every scrolling ancestor below its containing block
# (its nearest positioned ancestor): a visually hidden caption in a scrolling table wrapper
# still widens the document unless the wrapper is positioned.
PHONE_MEASURE = r"""
() => {
  const doc = document.documentElement;
  const width = window.innerWidth;
  const header = document.querySelector('header');
  const culprits = [];
  const clipping = ['auto', 'scroll', 'hidden', 'clip'];
  const contained = (el) => {
    let mode = getComputedStyle(el).position;
    if (mode === 'fixed') return true;  // fixed boxes never widen the document
    for (let p = el.parentElement; p && p !== document.body && p !== doc; p = p.parentElement) {
      const cs = getComputedStyle(p);
      const positioned = cs.position !== 'static' || cs.transform !== 'none';
      if (mode === 'absolute' && !positioned) continue;  // not in its containing-block chain
      if (clipping.includes(cs.overflowX)) return true;
      if (cs.position === 'fixed') return true;
      mode = cs.position === 'absolute' ? 'absolute' : 'static';
    }
    return false;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].join('.');
    return s;
  };
  const describe = (el) => {
    const parent = el.parentElement;
    const path = parent && parent !== document.body ? `${name(parent)} > ${name(el)}` : name(el);
    const text = el.textContent.trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${path} ("${text}")` : path;
  };
  if (doc.scrollWidth > width + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width && r.right > width + 1 && !contained(el)
          && !culprits.some(c => c.el.contains(el))) {
        culprits.push({el, text: describe(el),
                       region: header && header.contains(el) ? 'header' : 'page'});
      }
      if (culprits.length >= 5) break;
    }
  }
  return {
    scrollWidth: doc.scrollWidth, innerWidth: width,
    culprits: culprits.map(c => ({text: c.text, region: c.region})),
  };
}
"""

# BROWSER_MEASURE_ALL=1 measures every page itself (slower): to confirm that reuse changes
# no finding.
MEASURE_ALL = os.environ.get("BROWSER_MEASURE_ALL") == "1"
ICON_URL = """() => {
  const link = document.querySelector('link[rel~="icon"][href]');
  return link ? link.href : new URL('/favicon.ico', location.href).href;
}"""
# Every Content-Security-Policy violation of a page, recorded from its very start (an init
# script runs before the page's own) and read once it has loaded.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'}`
    + (e.sourceFile ? ` at ${e.sourceFile}:${e.lineNumber}` : '')
    + (e.sample ? ` «${e.sample}»` : ''));
});
"""
CSP_VIOLATIONS = "() => window.__cspViolations || []"
# Every chart container (templates/pillars/_plotly.html) holds a drawn plotly chart.
CHARTS_DRAWN = """() => [...document.querySelectorAll('.js-chart')]
  .every(c => c.classList.contains('js-plotly-plot') && c.querySelector('.main-svg'))"""
CHART_IDS = "() => [...document.querySelectorAll('.js-chart')].map(c => c.id)"
# Whether the chart's modebar has faded to `opacity` (plotly's CSS fades it in on hover).
MODEBAR_AT = """([chart, opacity]) => {
  const group = chart.querySelector('.modebar .modebar-group');
  return group !== null && getComputedStyle(group).opacity === opacity;
}"""
CSRF_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*')
FIRST_HEADER = re.compile(rb"<header[\s>].*?</header>", re.DOTALL | re.IGNORECASE)


@dataclass
class PageResult:
    """What one user saw on one URL."""

    user: str
    url: str
    found_on: str | None = None
    expected_status: int | None = None  # set for the deliberate 403/404 visits
    status: int | None = None
    final_url: str | None = None
    view_name: str = ""
    is_html: bool = False
    nav_error: str | None = None
    html_file: Path | None = None
    axe: list = field(default_factory=list)
    console: list = field(default_factory=list)
    csp: list = field(default_factory=list)  # Content-Security-Policy violations
    charts: list = field(default_factory=list)  # charts not drawn or not working
    failed_requests: list = field(default_factory=list)
    foreign_requests: list = field(default_factory=list)
    phone: dict | None = None
    phone_error: str | None = None
    vnu: list = field(default_factory=list)
    # Where the axe and phone-width findings were measured when not on this very page.
    measured_on: str | None = None
    vnu_from: PageResult | None = field(default=None, repr=False)
    seconds: dict = field(default_factory=dict)  # time spent: load, axe, phone

    @property
    def path(self):
        return _path(self.url)

    @property
    def label(self):
        shown = self.path
        if self.final_url and _path(self.final_url) != self.path:
            shown += f" (redirected to {_path(self.final_url)})"
        return f"[{self.user}] {shown}"

    @property
    def overflows(self):
        """Whether the document scrolls sideways at phone width."""
        return bool(self.phone) and self.phone["scrollWidth"] > self.phone["innerWidth"] + 1

    def as_json(self):
        data = {name: getattr(self, name) for name in (
            "user", "url", "found_on", "expected_status", "status", "final_url", "view_name",
            "is_html", "nav_error", "axe", "console", "csp", "charts", "failed_requests",
            "foreign_requests", "phone", "phone_error", "vnu", "measured_on", "seconds")}
        data["html_file"] = str(self.html_file) if self.html_file else None
        return data

    def broken(self):
        """Why this URL counts as a broken link, or None."""
        if self.nav_error:
            return f"navigation failed: {self.nav_error}"
        if self.status is None:
            return None
        if self.expected_status is not None:
            if self.status != self.expected_status:
                return f"expected HTTP {self.expected_status}, got {self.status}"
            return None
        if self.status >= 400:
            return f"HTTP {self.status}" + (f", linked from {_path(self.found_on)}"
                                            if self.found_on else "")
        return None


def _path(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def view_name(url):
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return "(no view)"


class Measured:
    """The pages measured so far, by their HTML, shared by every user's session."""

    def __init__(self):
        self.whole = {}  # normalised HTML -> PageResult
        self.outside_header = {}  # normalised HTML with the header cut out -> PageResult
        self.header = {}  # the header's normalised HTML -> PageResult

    @staticmethod
    def keys(html):
        match = FIRST_HEADER.search(html)
        if match is None:
            return html, html, None
        return html, html[:match.start()] + b"<header/>" + html[match.end():], match.group()

    def add(self, html, result):
        whole, outside, header = self.keys(html)
        self.whole.setdefault(whole, result)
        self.outside_header.setdefault(outside, result)
        if header is not None:
            self.header.setdefault(header, result)

    def reuse(self, html, result):
        """Fill `result` from pages already measured, when they cover all of it; or False."""
        if MEASURE_ALL:
            return False
        whole, outside, header = self.keys(html)
        if (same := self.whole.get(whole)) is not None:
            result.axe, result.phone = same.axe, same.phone
            result.measured_on = same.label
            result.vnu_from = same
            return True
        body, head = self.outside_header.get(outside), self.header.get(header)
        if body is None or head is None:
            return False
        result.axe = _combine_axe(body.axe, head.axe)
        result.phone = _combine_phone(body.phone, head.phone)
        result.measured_on = f"{body.label} (outside the header), {head.label} (header)"
        return True


def _combine_axe(body, head):
    violations = {}
    for source, region in ((body, PAGE), (head, HEADER)):
        for violation in source:
            nodes = [n for n in violation["nodes"] if n["region"] == region]
            if nodes:
                entry = violations.setdefault(violation["id"], {**violation, "nodes": []})
                entry["nodes"] = entry["nodes"] + nodes
    return list(violations.values())


def _combine_phone(body, head):
    width = body["innerWidth"]
    culprits = ([c for c in body["culprits"] if c["region"] == PAGE]
                + [c for c in head["culprits"] if c["region"] == HEADER])
    body_wide = body["scrollWidth"] > width + 1 and (
        not body["culprits"] or any(c["region"] == PAGE for c in body["culprits"]))
    head_wide = any(c["region"] == HEADER for c in head["culprits"])
    scroll_width = max(width, body["scrollWidth"] if body_wide else width,
                       head["scrollWidth"] if head_wide else width)
    return {"scrollWidth": scroll_width, "innerWidth": width, "culprits": culprits}


class Session:
    """One user in one browser context, crawling from the home page."""

    def __init__(self, browser, base_url, user, html_dir, measured):
        self.base = base_url.rstrip("/")
        self.axe_url = self.base + static(f"{AXE_STATIC_PREFIX}/{AXE_JS.name}")
        self.origin = _origin(self.base)
        self.user = user
        self.username = None
        self.html_dir = html_dir
        self.measured = measured
        self.results: list[PageResult] = []
        self.current: PageResult | None = None
        self._owner = {}  # request -> the page result being checked when it was sent
        self.icons = {}  # icon URL -> HTTP status
        self.context = browser.new_context(
            base_url=self.base, viewport=DESKTOP, bypass_csp=False, service_workers="block",
        )
        self.context.add_init_script(CSP_LISTENER)
        self.downloaded = False  # a chart's "Download plot as a png" tried once per user
        self.context.set_default_timeout(15_000)
        self.page = self._new_tab(DESKTOP)
        # A second tab kept at phone size: each page measured is loaded there too (at that
        # width from the start, as on a phone, so that responsive charts size themselves).
        self.phone_page = self._new_tab(PHONE)

    def _new_tab(self, viewport):
        tab = self.context.new_page()
        tab.set_viewport_size(viewport)
        tab.on("console", self._on_console)
        tab.on("pageerror", self._on_pageerror)
        tab.on("request", self._on_request)
        tab.on("requestfailed", self._on_requestfailed)
        tab.on("response", lambda response: self._on_response(tab, response))
        return tab

    def close(self):
        self.context.close()

    # --- events: attributed to the page being checked -------------------------------------

    def _record(self, kind, text, target=None):
        target = target or self.current
        if target is None:
            return
        bucket = getattr(target, kind)
        if text not in bucket:
            bucket.append(text)

    def is_local(self, url):
        if url.startswith(("data:", "blob:", "about:")):
            return True
        return _origin(url) == self.origin

    def _on_console(self, msg):
        if msg.type != "error":
            return
        loc = msg.location or {}
        where = loc.get("url") or ""
        if msg.text.startswith("Failed to load resource"):
            # Chromium's copy of a network failure: the page's own status is the link check's,
            # its requests' the network events', its icon the icon check's (see _check_icon).
            return
        if _path(where) == _path(self.axe_url) and "Content Security Policy" in msg.text:
            # axe-core, which this check injects after the page's own CSP violations were
            # read, adds an inline <style> of its own on some admin forms: the checker's, not
            # the app's, so the policy rightly refuses it.
            return
        line = loc.get("lineNumber")
        suffix = f" ({_path(where)}:{line})" if where else ""
        self._record("console", f"{msg.text}{suffix}")

    def _on_pageerror(self, error):
        self._record("console", f"uncaught JavaScript error: {error}")

    def _on_request(self, request):
        self._owner[request] = self.current
        if not self.is_local(request.url):
            self._record("foreign_requests", f"{request.resource_type} {request.url}")

    def _on_requestfailed(self, request):
        owner = self._owner.pop(request, self.current)
        if not self.is_local(request.url):
            return  # reported as a request to another host
        if request.failure == "net::ERR_ABORTED":
            # The browser itself cancelled it: a navigation (the crawl moving on) or a newer
            # load of the same thing (the favicon). An error status is a response, not this.
            return
        self._record("failed_requests",
                     f"{request.method} {_path(request.url)} ({request.resource_type}) failed: "
                     f"{request.failure}", owner)

    def _on_response(self, tab, response):
        request = response.request
        owner = self._owner.pop(request, self.current)
        if response.status < 400 or not self.is_local(response.url):
            return
        if request.is_navigation_request() and request.frame == tab.main_frame:
            return  # the page itself: checked as a link (status) instead
        self._record("failed_requests",
                     f"HTTP {response.status} for {request.resource_type} {_path(response.url)}",
                     owner)

    # --- sign in and out through the real forms --------------------------------------------

    def sign_in(self, username):
        """Sign in through /accounts/login/; the events of the flow count as a page."""
        self.current = PageResult(user=self.user, url=f"{self.base}/accounts/login/",
                                  view_name="sign in (form submitted)")
        self.results.append(self.current)
        self.username = username
        page = self.page
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        if not page.get_by_role("button", name=re.compile("Sign out")).count():
            text = page.locator("main").inner_text()[:300]
            raise AssertionError(
                f"signing in as {username!r} through /accounts/login/ failed: the browser is "
                f"on {_path(page.url)} showing {text!r}"
            )
        self.current = None

    def sign_out(self):
        """Sign out with the header's button, as a user does."""
        self.current = PageResult(user=self.user, url=f"{self.base}/",
                                  view_name="sign out (form submitted)")
        self.results.append(self.current)
        page = self.page
        page.goto("/")
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("Sign out")).click()
        if page.get_by_role("button", name=re.compile("Sign out")).count():
            self._record("console", "(test) still signed in after pressing Sign out")
        self.current = None

    # --- the crawl ---------------------------------------------------------------------------

    def crawl(self, *, allow_admin, extra=(), cap=PAGE_CAP):
        """Visit the home page and what it links to (breadth-first, at most `cap` pages).

        Pages of a kind (Django view) not seen yet go first, and one page of every kind
        found is visited even past the cap: the cap trims repeats (the 130 metric pages, the
        rows of every admin list), never a kind of page.
        `extra` is a list of (url, expected_status) visited first: the error pages, which
        nothing links to.
        """
        for url, expected in extra:
            url = url if url.startswith("http") else f"{self.base}{url}"
            self.visit(PageResult(user=self.user, url=url, expected_status=expected,
                                  view_name=view_name(url)))
        queue = [PageResult(user=self.user, url=f"{self.base}/", view_name=view_name("/"))]
        seen = {f"{self.base}/"}
        kinds = set()
        visited = 0
        while queue:
            index = next((i for i, r in enumerate(queue) if r.view_name not in kinds), None)
            if index is None and visited >= cap:
                break  # past the cap, only kinds of page not seen yet
            result = queue.pop(index or 0)
            kinds.add(result.view_name)
            links = self.visit(result)
            visited += 1
            if result.final_url:
                seen.add(result.final_url)
            for link in links:
                if link in seen or not self._follow(link, allow_admin):
                    continue
                seen.add(link)
                if PurePosixPath(urlsplit(link).path).suffix.lower() not in PAGE_SUFFIXES:
                    self._check_file_link(link, result.url)
                    continue
                queue.append(PageResult(user=self.user, url=link, found_on=result.url,
                                        view_name=view_name(link)))
        return self.results

    def _follow(self, url, allow_admin):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or _origin(url) != self.origin:
            return False
        if parts.query:
            return False  # ?export=, sorting, filters: variants of a page already crawled
        if "logout" in parts.path:
            return False
        return allow_admin or not parts.path.startswith("/admin/")

    def _check_icon(self, result):
        """The icon the browser fetches for the page: its <link rel=icon>, or /favicon.ico.

        Browsers fetch it on their own after the page has loaded, so whether Playwright sees
        that request depends on timing; it is fetched here instead, once per URL.
        """
        icon = self.page.evaluate(ICON_URL)
        if icon.startswith("data:"):
            return
        if not self.is_local(icon):
            self._record("foreign_requests", f"icon {icon}", result)
            return
        if icon not in self.icons:
            self.icons[icon] = self.context.request.get(icon).status
        if self.icons[icon] >= 400:
            self._record("failed_requests",
                         f"HTTP {self.icons[icon]} for the page's icon {_path(icon)}", result)

    def _check_file_link(self, url, found_on):
        result = PageResult(user=self.user, url=url, found_on=found_on, view_name="(file)")
        response = self.context.request.get(url)
        result.status = response.status
        result.final_url = response.url
        self.results.append(result)

    def visit(self, result):
        """Open one page and check it; return the same-origin links it holds."""
        self.results.append(result)
        self.current = result
        try:
            self._visit(result)
            if not result.is_html:
                return []
            self._check_icon(result)
            links = self.page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
            return [urldefrag(link).url for link in links]
        finally:
            self.current = None

    def _visit(self, result):
        page = self.page
        started = time.monotonic()
        try:
            response = page.goto(result.url, wait_until="load")
        except Exception as exc:  # noqa: BLE001 - reported as the page's failure
            if "Download is starting" in str(exc):  # a file (an export): its status only
                response = self.context.request.get(result.url)
                result.status, result.final_url = response.status, response.url
                return
            result.nav_error = str(exc).splitlines()[0]
            return
        result.seconds["load"] = round(time.monotonic() - started, 2)
        result.final_url = page.url
        if response is None:
            result.nav_error = "no response"
            return
        result.status = response.status
        result.is_html = "text/html" in (response.headers.get("content-type") or "")
        if not result.is_html:
            return
        self._check_charts_drawn(result)
        for violation in page.evaluate(CSP_VIOLATIONS):
            self._record("csp", violation, result)
        body = response.body()
        html = self._normalise(body)
        if not self.measured.reuse(html, result) or result.vnu_from is None:
            # The HTML the server sent, for the Nu HTML Checker (run once, at the end).
            result.html_file = self.html_dir / f"{self.user}-{len(self.results):03d}.html"
            result.html_file.write_bytes(body)
        if result.measured_on is not None:
            return
        loaded = time.monotonic()
        # The phone tab loads the page while axe runs in this one (two renderer processes).
        try:
            self.phone_page.goto(result.url, wait_until="commit")
        except Exception as exc:  # noqa: BLE001 - reported as the page's failure
            result.phone_error = str(exc).splitlines()[0]
        page.add_script_tag(url=self.axe_url)
        result.axe = page.evaluate(AXE_RUN, [AXE_TAGS, AXE_IMPACTS])
        self._check_charts_work(result)
        checked = time.monotonic()
        result.seconds["axe"] = round(checked - loaded, 2)
        if result.phone_error is None:
            self.phone_page.wait_for_load_state("load")
            result.phone = self.phone_page.evaluate(PHONE_MEASURE)
            result.seconds["phone"] = round(time.monotonic() - checked, 2)
            self.measured.add(html, result)

    def _check_charts_drawn(self, result):
        """Every chart container of the page holds its drawn chart (on every page)."""
        if not self.page.evaluate(CHART_IDS):
            return
        try:
            self.page.wait_for_function(CHARTS_DRAWN, timeout=5_000)
        except Exception:  # noqa: BLE001 - reported as the page's finding
            missing = self.page.evaluate("""() => [...document.querySelectorAll('.js-chart')]
                .filter(c => !c.querySelector('.main-svg')).map(c => c.id)""")
            self._record("charts", f"chart(s) not drawn: {', '.join(missing)}", result)

    def _check_charts_work(self, result):
        """On each page measured: every chart's modebar hides until the pointer is over the
        chart, a data point shows its hover label, and (once per user) the modebar's download
        gives a PNG. All of it needs plotly's own CSS rules, which the CSP must let it add."""
        page = self.page
        for chart_id in page.evaluate(CHART_IDS):
            chart = page.locator(f"#{chart_id}")
            if not chart.locator(".main-svg").count():
                continue  # reported as not drawn
            chart.scroll_into_view_if_needed()
            page.mouse.move(0, 0)
            # Chromium updates CSS :hover only after a scroll has settled (a fake mouse move).
            page.wait_for_timeout(150)
            if not self._modebar_at(chart, "0"):
                self._record("charts", f"#{chart_id}: modebar shown before any hover", result)
            point = chart.locator(".point").first
            box = point.bounding_box() if point.count() else None
            if box is None:
                continue  # a chart with no data point (nothing counted): nothing to hover
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            try:
                chart.locator(".hoverlayer .hovertext").first.wait_for(timeout=3_000)
            except Exception:  # noqa: BLE001 - reported as the page's finding
                self._record("charts", f"#{chart_id}: no hover label over a data point", result)
            if not self._modebar_at(chart, "1"):
                page.mouse.move(x + 1, y)  # a second move, should :hover have lagged
            if not self._modebar_at(chart, "1"):
                self._record("charts", f"#{chart_id}: modebar not shown on hover", result)
            if not self.downloaded:
                self.downloaded = True
                button = chart.locator('.modebar-btn[data-title^="Download"]')
                try:
                    with page.expect_download(timeout=10_000) as download:
                        button.click()
                    if not download.value.suggested_filename.endswith(".png"):
                        raise AssertionError(download.value.suggested_filename)
                except Exception as exc:  # noqa: BLE001 - reported as the page's finding
                    self._record("charts", f"#{chart_id}: download as PNG failed: {exc}",
                                 result)
        page.mouse.move(0, 0)

    def _modebar_at(self, chart, opacity):
        try:
            self.page.wait_for_function(MODEBAR_AT, arg=[chart.element_handle(), opacity],
                                        timeout=2_000)
        except Exception:  # noqa: BLE001 - the caller reports it
            return False
        return True

    def _normalise(self, body):
        """The page's HTML without what differs from user to user for the same content."""
        html = CSRF_TOKEN.sub(rb"\1", body)
        if self.username:
            html = html.replace(f">{self.username}<".encode(), b">\x00user\x00<")
        return html


def run_vnu(results):
    """Validate every saved page with one run of the Nu HTML Checker; fill `result.vnu`."""
    by_file = {r.html_file.resolve(): r for r in results if r.html_file}
    if by_file:
        completed = subprocess.run(
            ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
             "--exit-zero-always", *map(str, by_file)],
            capture_output=True, text=True, timeout=600, check=False,
        )
        output = completed.stderr.strip() or completed.stdout.strip()
        try:
            messages = json.loads(output)["messages"]
        except (ValueError, KeyError) as exc:
            raise RuntimeError(f"the Nu HTML Checker gave no JSON report: {output[:2000]}") \
                from exc
        for message in messages:
            if message.get("type") not in ("error", "non-document-error"):
                continue
            source = message.get("url", "")
            path = Path(urlsplit(source).path).resolve() if source.startswith("file:") else None
            if path not in by_file:
                raise RuntimeError(f"the Nu HTML Checker reported on an unknown file: {message}")
            line = message.get("lastLine")
            extract = " ".join((message.get("extract") or "").split())
            detail = (f"line {line}: " if line else "") + message.get("message", "")
            by_file[path].vnu.append(detail + (f"  «{extract}»" if extract else ""))
    for result in results:
        if result.vnu_from is not None:
            result.vnu = result.vnu_from.vnu
