"""Sessions read from the shared cache, written through to the database (issue 14).

With REDIS_URL, SESSION_ENGINE is this module: Django's `cached_db` (every write goes to
the database, reads come from Redis and fall back to the database), so a signed-in page
no longer costs a database query for its session. Without Redis the database backend
stays: the embedded default's cache is per process, and a session deleted (a sign-out) in
one process would still be read from another's cache.

What this adds to Django's `cached_db`, for a cache that is down ("a cache that is down
costs speed, never the page"), and for the signed-in user:

- the read of the session also reads the user's generation and cached entry (one
  `get_many`, metrics/user_cache.py's "One round trip with the session"), kept on the
  store for the backend's get_user;
- a read that misses the cache, or cannot reach it, is answered from the database, and a
  failure to store it back in the cache is logged, not raised;
- a sign-out (delete) always deletes the database row, and a cache that cannot be reached
  is logged instead of failing the sign-out;
- the cached copy lives at most CACHE_SECONDS, so even a copy a sign-out could not
  delete (Redis unreachable at that moment but holding its data) is gone within that
  time, while with Redis up a sign-out holds at once.
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

from . import user_cache
from .aggregates.queue import UNREACHABLE

log = logging.getLogger(__name__)

CACHE_SECONDS = 300


class SessionStore(CachedDBStore):
    cache_key_prefix = "metrics.sessions:"

    def load(self):
        # The signed-in user's generation and entry come in the same round trip
        # (metrics/user_cache.py, "One round trip with the session").
        keys = user_cache.keys_with_session(self.session_key)
        try:
            found = self._cache.get_many([self.cache_key, *keys])
        except UNREACHABLE:
            found = {}
        else:
            if keys:
                self.user_cache_read = user_cache.read_with_session(self.session_key, found)
        data = found.get(self.cache_key)
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        self._cache_set(data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def exists(self, session_key):
        # Asked for every new session key: the cache first (as cached_db does), the
        # database when the cache cannot be reached.
        try:
            if self.cache_key_prefix + session_key in self._cache:
                return True
        except UNREACHABLE:
            pass
        return super(CachedDBStore, self).exists(session_key)

    def save(self, must_create=False):
        super(CachedDBStore, self).save(must_create)  # the database row
        self._cache_set(self._session, self.get_expiry_age())

    def delete(self, session_key=None):
        super(CachedDBStore, self).delete(session_key)  # the database row
        session_key = session_key or self.session_key
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except UNREACHABLE:
            log.exception("Signed out, but the cached session could not be deleted: it "
                          "expires within %s s", CACHE_SECONDS)

    def _cache_set(self, data, age):
        try:
            self._cache.set(self.cache_key, data, min(age, CACHE_SECONDS))
        except UNREACHABLE:
            log.warning("Session not cached: the cache is unreachable", exc_info=True)
