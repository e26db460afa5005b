"""Whole pages cached, and conditional GETs answered, for the plan's pages (issues 14, 17).

A plan's overview, a pillar page and a metric page change only when what they show does:
the aggregates (a new approved value moves `metrics.selectors.aggregates_version` at once,
before its rebuild and after), the plan's public flag, the metrics held back from the
public, the report's highlights, the language, the day (what is overdue) and who asks. The
`page_key` of a request digests all of these. `cached_page` then

1. answers a reload whose If-None-Match holds the page's ETag with 304, body unread;
2. serves the page from the cache while the key holds, so a repeat costs the key's one
   query (`publication`) and one cache read instead of building and rendering the page;
3. stores a fresh 200 HTML page under the key.

Who asks: "public" when signed out (every visitor sees the same public page); signed in,
the user themself with their staff flags and permission set, as the request's user has
them: from the database, or with Redis from metrics/user_cache.py, whose entries no
longer count once a change of users, roles or permissions is made, so a role or
permission change, a sign-out or a deactivation moves the key at once. No two
users share a body: each page names its user (the sign-out button) and the user's
permissions decide its links. Edits that reach no key part (a pillar renamed in the admin)
show within PAGE_CACHE_SECONDS, as for the parts `pillars.views.cached_part` caches: the
key holds the current window of that length.

CSRF: the sign-out form carries a CSRF token. The cached body holds a placeholder where the
token was; each response gets a token minted for its own request (`get_token`), so no page
ever carries another request's token. The ETag holds a keyed digest of the browser's CSRF
secret, so a page a browser kept from before its token rotated (sign-in rotates it) is not
revalidated as current. Content-Security-Policy needs nothing here: the policy has no
nonce (hashes only, lacoe_kpi/settings.py), so a cached page is valid under every response's
policy.

Messages: a request with a flash message waiting is neither answered from the cache nor
with 304, and its page is not stored: the message shows once, on a page built for it.

Last-Modified is sent (the newest of the rebuild, the pending rebuilds, the highlights and
the start of the day), but only the ETag answers 304: some key parts (the public flag, held
back metrics, roles) have no time of change, and a 200 is always a correct answer to
If-Modified-Since (RFC 9110, 13.1.3), while a 304 on it alone could be stale.

A cache that is down (Redis) costs speed, never the page.
"""

import datetime
import functools
import hashlib
import re
import time
from functools import wraps

from django.contrib.messages import get_messages
from django.db import connection
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date, parse_etags

from metrics import selectors as metric_selectors
from metrics.redis_cache import cache_get, cache_set

from .models import StrategicPlan

# As pillars.views.PAGE_CACHE_SECONDS: edits outside the key show within this; and the
# prefix lies under pillars.views.PAGE_CACHE_PREFIX, which the tests clear between tests.
PAGE_CACHE_SECONDS = 300
PAGE_KEY_PREFIX = "pillars:page:"
# What Django's {% csrf_token %} writes (django/template/defaulttags.py, CsrfTokenNode).
# Only that whole tag is replaced, before storing and after: text a person wrote reaches the
# page escaped (its quotes as &quot;) and can never form it.
CSRF_INPUT = re.compile(rb'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')
CSRF_PLACEHOLDER = b"__page_cache_csrf_token__"
CSRF_STORED = b'<input type="hidden" name="csrfmiddlewaretoken" value="%s">'
CACHED_TYPES = ("text/html",)
VARY = ("Cookie", "Accept-Language")


def audience(user):
    """Whose page it is: "public" when signed out, else the user with what decides their
    page (staff flags, permissions), as current as the request's user (module docstring)."""
    if not user.is_authenticated:
        return "public"
    return (user.pk, user.is_staff, user.is_superuser, sorted(user.get_all_permissions()))


def _table(relation):
    return StrategicPlan._meta.get_field(relation).related_model._meta.db_table


@functools.cache
def _key_sql():
    """The key's one query (publication), written out: compiling it through the ORM cost
    more than the rest of a cached page (6 ms of CPU a request against 0.3 ms for the
    query itself, measured in-process on PostgreSQL)."""
    plans, metrics, highlights = StrategicPlan._meta.db_table, _table("metrics"), _table(
        "highlights")
    return (
        f"SELECT p.id, p.is_public, m.id, "  # noqa: S608 - model tables; the slug a parameter
        f"(SELECT COUNT(*) FROM {highlights} h WHERE h.plan_id = p.id), "
        f"(SELECT MAX(h.updated_at) FROM {highlights} h WHERE h.plan_id = p.id), "
        f"{metric_selectors.aggregates_version_sql()} "
        f"FROM {plans} p LEFT JOIN {metrics} m ON m.plan_id = p.id AND m.public_hidden "
        f"WHERE p.slug = %s ORDER BY m.id"
    )


def _when(value):
    """An aware datetime from the raw query (SQLite gives naive UTC, or its text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def publication(plan_slug):
    """What the public sees of a plan besides its figures, when its highlights last
    changed, and the aggregates' version (metrics.selectors.aggregates_version, read in
    the same query): its public flag, the metrics held back, and the highlights' count
    and newest edit (a deletion moves the count). One query: a row per held-back metric.
    Returns (publication, highlights' newest edit, (rebuilt at, version)); for a plan
    that does not exist, (None, None, and the version read alone)."""
    with connection.cursor() as cursor:
        cursor.execute(_key_sql(), [plan_slug])
        rows = cursor.fetchall()
    if not rows:
        state = metric_selectors.aggregate_state()
        return None, None, (state.last_rebuild_at, metric_selectors.aggregates_version(state))
    plan, is_public, _, count, newest, rebuilt_at, pending_n, pending_at = rows[0]
    newest, rebuilt_at, pending_at = _when(newest), _when(rebuilt_at), _when(pending_at)
    held_back = [row[2] for row in rows if row[2] is not None]
    return ((plan, bool(is_public), held_back, count, newest), newest,
            (rebuilt_at, (rebuilt_at, pending_n, pending_at)))


def window():
    """The current PAGE_CACHE_SECONDS window (a function: tests hold it still)."""
    return int(time.time() // PAGE_CACHE_SECONDS)


class PageKey:
    """What a page follows, for one request: `digest` keys the cached body, `etag()` the
    browser's copy, `last_modified` when it last changed (as far as is known)."""

    def __init__(self, request, plan_slug):
        public, highlights_at, (rebuilt_at, version) = publication(plan_slug)
        today = timezone.localdate()
        parts = (request.get_full_path(), version, public, audience(request.user),
                 translation.get_language(), today.isoformat(), window())
        self.digest = hashlib.sha256(repr(parts).encode()).hexdigest()
        midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
        times = [rebuilt_at, version[2], highlights_at, midnight]
        self.last_modified = max(t for t in times if t is not None)

    def etag(self, request):
        """The page's digest with the browser's CSRF secret (unmasked, from its cookie, or
        the one this response sets), the secret only through a keyed digest."""
        browser = salted_hmac("pillars.page_cache.etag",
                              f"{self.digest}:{request.META.get('CSRF_COOKIE', '')}")
        return f'W/"{browser.hexdigest()[:40]}"'

    @property
    def cache_key(self):
        return f"{PAGE_KEY_PREFIX}{self.digest}"

    def stamp(self, request, response):
        """The validators and caching headers every answer of a cached page carries:
        private (per user), revalidated each time (no-cache), varying on the cookie
        (who is signed in) and the language."""
        response["ETag"] = self.etag(request)
        response["Last-Modified"] = http_date(self.last_modified.timestamp())
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, VARY)
        return response


def _messages_waiting(request):
    # len() neither reads the messages out nor marks them used.
    return len(get_messages(request)) > 0


_cache_get = cache_get


def _cache_set(key, value):
    cache_set(key, value, PAGE_CACHE_SECONDS)


def _storable(response):
    return (response.status_code == 200 and not response.streaming
            and response.get("Content-Type", "").startswith(CACHED_TYPES))


def _served(request, key, stored):
    """A response from the stored (content type, body), with this request's CSRF token
    in place of the placeholder (minted only when the page has a form that needs it)."""
    content_type, body = stored
    stored_input = CSRF_STORED % CSRF_PLACEHOLDER
    if stored_input in body:
        body = body.replace(stored_input, CSRF_STORED % get_token(request).encode())
    return key.stamp(request, HttpResponse(body, content_type=content_type))


def cached_page(view):
    """Decorate a GET view of one plan (URL keyword `plan`, its slug) whose page follows
    only PageKey's parts: 304 on an unchanged reload, the cached page on a repeat."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or _messages_waiting(request):
            return view(request, *args, **kwargs)
        key = PageKey(request, kwargs["plan"])
        if key.etag(request) in parse_etags(request.headers.get("If-None-Match", "")):
            return key.stamp(request, HttpResponseNotModified())
        stored = _cache_get(key.cache_key)
        if stored is not None:
            return _served(request, key, stored)
        response = view(request, *args, **kwargs)
        if not _storable(response):
            return response
        if not _messages_waiting(request):  # a message the view itself added
            body = CSRF_INPUT.sub(CSRF_STORED % CSRF_PLACEHOLDER, response.content)
            _cache_set(key.cache_key, (response["Content-Type"], body))
        return key.stamp(request, response)

    return wrapper
