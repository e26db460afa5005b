"""The Content-Security-Policy of every page (django-csp), read by settings.py."""

import base64
import hashlib

from csp.constants import NONE, SELF, UNSAFE_HASHES

# Content-Security-Policy (django-csp): nothing inline runs. Every script is a file of ours
# (charts draw from `json_script` data through static/js/charts.js), nothing loads from another
# host, no page can be framed, no plugin runs, forms post only to us.
# Styles: no 'unsafe-inline' either, only the hashes of two exact inline styles we cannot avoid.
# - plotly.js (issue #7543) keeps its own CSS rules (hover labels, the modebar shown on hover) by
#   creating an EMPTY <style> element and filling it through CSSOM `insertRule`, which CSP does
#   not govern; refused, its charts lose hover labels and show the modebar all the time. The hash
#   of the empty string allows exactly that empty element, no other <style>. plotly sets element
#   styles through CSSOM (`element.style`), which CSP does not govern either.
# - django-simple-history's admin history page has one style attribute, `border-top: 0`:
#   'unsafe-hashes' with its hash allows that exact attribute value and no other.
# The browser crawl (tests/browser) fails on any violation, so a new inline style is caught.


def _csp_hash(text):
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


CONTENT_SECURITY_POLICY_STYLE_HASHES = {
    "plotly's empty <style>": _csp_hash(""),
    "simple-history paginator": _csp_hash("border-top: 0"),
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, CONTENT_SECURITY_POLICY_STYLE_HASHES["plotly's empty <style>"]],
        "style-src-attr": [UNSAFE_HASHES,
                           CONTENT_SECURITY_POLICY_STYLE_HASHES["simple-history paginator"]],
        # plotly's download (toImage) draws the chart's SVG through a data: image.
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
