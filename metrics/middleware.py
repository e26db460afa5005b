"""Our middleware: a request body over MAX_REQUEST_BYTES refused unread; the
Content-Security-Policy header built once (django-csp's middleware, memoised); the
signed-in user read with the session (Django's AuthenticationMiddleware, handing the
session to metrics/user_cache.py).

Request bodies. Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams
uploaded files to disk whatever their size, so a 200 MB body was read in full before the
import refused it. The biggest thing a person sends is a 20 MB spreadsheet
(metrics/imports); the limit sits a little above it. The proxy in front should refuse
earlier still (README).

Content-Security-Policy (issue 14). django-csp 4.0 builds the header's text from the
settings and the view's decorators (csp_update, csp_replace, and their REPORT_ONLY forms)
on every response: 8% of the CPU of a page served from the page cache. Without a nonce
the text depends on nothing else, so `CSPMiddleware` builds it once per (settings, the
response's decorator parts) and keeps it; a request that used its nonce
(`request.csp_nonce`) is built as django-csp builds it. Which responses get the header
(exempt views, EXCLUDE_URL_PREFIXES, a header already set, Django's debug pages) is
decided as django-csp 4.0's process_response decides it; tests/test_csp.py checks the
headers equal django-csp's own, plain, decorated, exempt and report-only.

The signed-in user (issue 14). Django's AuthenticationMiddleware, whose lazy
`request.user` is read with the request's session at hand (metrics/user_cache.py's
`session_at_hand`), so that the backend takes the user's entry from the session's own
round trip to the cache instead of making a second one.
"""

import http.client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthMiddleware
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.response import TemplateResponse
from django.utils.functional import SimpleLazyObject

from . import user_cache


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > settings.MAX_REQUEST_BYTES:
            response = TemplateResponse(
                request, "413.html",
                {"limit_mb": settings.MAX_REQUEST_BYTES // (1024 * 1024),
                 "size_mb": f"{length / 1024 / 1024:.1f}"},
                status=413,
            )
            response["Connection"] = "close"  # the rest of the body is never read
            return response.render()
        return self.get_response(request)


# Built policies by (report_only, config, update, replace), each frozen (_frozen). Views'
# decorators give a handful of keys; a view that set per-response parts could give many,
# so the memo is emptied once it holds POLICIES_KEPT.
_policies = {}
POLICIES_KEPT = 256
_DEBUG_CODES = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
_HEADERS = ((False, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"))


@receiver(setting_changed)
def _settings_changed(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.clear()


def _frozen(value):
    """A hashable value that is equal when build_policy's output is: dicts in their order
    (it keeps it), sequences as sequences, sets as sets (it sorts them)."""
    if isinstance(value, dict):
        return (dict, tuple((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (tuple, tuple(_frozen(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return (set, frozenset(value))
    return value


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's, with each policy without a nonce built once (module docstring)."""

    def _policy(self, parts, report_only):
        if parts.nonce is not None:  # this request's own nonce: built for it
            return build_policy(parts.config, parts.update, parts.replace, parts.nonce,
                                report_only=report_only)
        try:
            key = (report_only, _frozen(parts.config), _frozen(parts.update),
                   _frozen(parts.replace))
            hash(key)
        except TypeError:  # a part that cannot be a key: built each time
            return build_policy(parts.config, parts.update, parts.replace,
                                report_only=report_only)
        policy = _policies.get(key)
        if policy is None:
            if len(_policies) >= POLICIES_KEPT:
                _policies.clear()
            policy = _policies[key] = build_policy(
                parts.config, parts.update, parts.replace, report_only=report_only)
        return policy

    def process_response(self, request, response):
        # django-csp 4.0's process_response, with self._policy for its build_policy.
        if response.status_code in _DEBUG_CODES and settings.DEBUG:
            return response
        for report_only, header, exempt, setting in _HEADERS:
            parts = self.get_policy_parts(request=request, response=response,
                                          report_only=report_only)
            policy = self._policy(parts, report_only)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error.
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


def _user(request):
    # django.contrib.auth.middleware.get_user, with the session at hand.
    if not hasattr(request, "_cached_user"):
        with user_cache.session_at_hand(request.session):
            request._cached_user = auth.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthMiddleware):
    """Django's, reading the user with the session at hand (module docstring)."""

    def process_request(self, request):
        super().process_request(request)  # request.auser, and its check of the order
        request.user = SimpleLazyObject(lambda: _user(request))
