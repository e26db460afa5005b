"""The Content-Security-Policy: sent on every page, with no inline script allowed, and no
template that would need one (the browser crawl checks the policy blocks nothing)."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from metrics.middleware import CSPMiddleware

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
# An event-handler attribute (onclick=, onload=, onchange= ...) in a tag.
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
# Rendered by WeasyPrint into the annual report's PDF (reports/render/pdf.py), never served to a
# browser: its <style> is under no CSP.
PDF_ONLY = {Path("reports/annual_report_pdf.html")}


def _directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def _templates():
    found = sorted(TEMPLATES.rglob("*.html"))
    assert len(found) > 20, f"templates not found under {TEMPLATES}"
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["pillars:home", "login"])
def test_every_page_sends_a_policy_that_allows_no_inline_script(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_admin_is_under_the_policy_too(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert _directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def _hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.django_db
def test_the_only_inline_styles_allowed_are_two_exact_ones_by_hash(client):
    """plotly's empty <style> (filled through CSSOM) and simple-history's one style attribute:
    see the CONTENT_SECURITY_POLICY comment in settings."""
    policy = _directives(client.get(reverse("pillars:home"))["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", _hash("")]
    assert policy["style-src-attr"] == ["'unsafe-hashes'", _hash("border-top: 0")]
    assert "style-src-elem" not in policy


def test_no_template_holds_an_inline_script_an_event_handler_or_an_inline_style():
    problems = []
    for path in _templates():
        text = path.read_text()
        where = path.relative_to(TEMPLATES)
        for tag in SCRIPT_TAG.findall(text):
            if not re.search(r"\ssrc\s*=", tag):
                problems.append(f"{where}: inline script {tag}")
        problems += [f"{where}: event handler {m.group()!r}" for m in HANDLER.finditer(text)]
        if where not in PDF_ONLY:
            problems += [f"{where}: inline style {m.group()!r}"
                         for m in INLINE_STYLE.finditer(text)]
    assert not problems, "\n".join(problems)


def test_the_checks_above_do_catch_what_they_look_for():
    assert SCRIPT_TAG.search('<script>alert(1)</script>')
    assert HANDLER.search('<button type="button" onclick="go()">')
    assert HANDLER.search('<img src="x.png"\n     onerror="go()">')
    assert not HANDLER.search('<p>Carry on, join us</p>')
    assert not HANDLER.search('<a href="/x" data-on="y">')
    assert INLINE_STYLE.search('<div style="color: red">')


# --- Built once (metrics/middleware.py's CSPMiddleware): the same headers as django-csp's --


def _plain(request):
    return HttpResponse("page")


_VIEWS = {
    "plain": _plain,
    "update": csp_update({"img-src": ["https://tiles.example.org"]})(_plain),
    "replace": csp_replace({"script-src": [SELF, "https://cdn.example.org"]})(_plain),
    "exempt": csp_exempt()(_plain),
    "update report-only": csp_update({"img-src": {"b.example", "a.example"}},
                                     REPORT_ONLY=True)(_plain),
    "exempt report-only": csp_exempt(REPORT_ONLY=True)(_plain),
}
REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "report-uri": ["/csp-report/"]},
               "EXCLUDE_URL_PREFIXES": ["/excluded/"]}


def _headers(middleware_class, view, path="/"):
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    return {h: response.get(h) for h in ("Content-Security-Policy",
                                         "Content-Security-Policy-Report-Only")}


@pytest.mark.parametrize("report_only", [None, REPORT_ONLY], ids=["enforced", "and report-only"])
@pytest.mark.parametrize("name", list(_VIEWS))
def test_the_policy_built_once_is_the_one_django_csp_builds(settings, name, report_only):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = report_only
    view = _VIEWS[name]
    expected = _headers(DjangoCSPMiddleware, view)
    assert _headers(CSPMiddleware, view) == _headers(CSPMiddleware, view) == expected
    assert (_headers(CSPMiddleware, view, "/excluded/x")
            == _headers(DjangoCSPMiddleware, view, "/excluded/x"))
    if name == "plain":
        assert expected["Content-Security-Policy"] and "'self'" in expected[
            "Content-Security-Policy"]


def test_a_policy_built_once_follows_the_settings_and_each_nonce(settings):
    before = _headers(CSPMiddleware, _plain)["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF, NONCE]}}

    def uses_its_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    nonces = {_headers(CSPMiddleware, uses_its_nonce)["Content-Security-Policy"]
              for _ in range(2)}
    assert len(nonces) == 2 and all("'nonce-" in n for n in nonces)
    assert _headers(CSPMiddleware, _plain) == _headers(DjangoCSPMiddleware, _plain)
    assert _headers(CSPMiddleware, _plain)["Content-Security-Policy"] != before


def test_every_page_goes_through_the_policy_built_once():
    assert "metrics.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE
