"""The signed-in user and their permissions from the shared cache (issue 14).

Every signed-in page reads the user (AuthenticationMiddleware) and their permission set
(the page cache's key, the links a page shows): three queries whose compiling cost more
CPU than a cached page's body. With a shared cache (settings.USER_CACHE: on with
REDIS_URL) `CachedModelBackend.get_user` keeps (user, permissions) in it, read with the
current *generation* in the round trip that reads the session (below).

The generation is a random token, replaced once any change that can move a user's page
commits: a user saved or deleted (roles' flags, is_active, the password, a sign-in's
last_login), a group's or a user's permissions or memberships changed, a group or a
permission saved or deleted (the receivers below; every write path of Django's and ours
goes through save, delete or the m2m relations, which send these signals). An entry
stored under another generation is not used, so a role taken away, a deactivation or a
new password shows at once, in every process. The entry is stored under the generation
read *before* the database was read, so a change committed in between leaves it under a
generation no one reads (the token is replaced at the change and again at its commit).
Changes are rare (sign-ins, role edits): replacing the one token
empties every user's entry, which costs each user one read of the database.

One round trip with the session. The entry is kept per *session* (its key names the
session key, its value the user id too), not per user: the session is the one thing a
request knows before it knows its user, so metrics/sessions.py reads the session, the
generation and this entry in one `get_many` (`keys_with_session`) and keeps what it
found on the session store; metrics/middleware.py's AuthenticationMiddleware puts the
request's session at hand (`session_at_hand`) while Django's `auth.get_user` runs, and
`get_user` takes the generation and the entry from it, with no round trip of its own
(a session store that read no such thing: `get_user` reads them itself, as before).
The rules above hold unchanged: the entry counts only under the current generation, read
in the same round trip as the session (and not once this process has made a change since
that read: `_changes`), and only for the user id the session holds; a
sign-out deletes the session (its key is no longer sent, or names no user), and its
entry expires within CACHE_SECONDS. A user signed in twice has two entries (one each
session), each read from the database once. Outside a request (no session at hand) the
backend reads the database.

Without a shared cache (the embedded default's per-process cache, which a change made in
another process would not reach), the backend reads the database as Django's does. A
cache that cannot be reached is read around (the database answers); a change made while
it cannot be reached is logged, and its entries expire within CACHE_SECONDS.
"""

import contextlib
import contextvars
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import DEFAULT_CACHE_ALIAS, cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .aggregates.queue import UNREACHABLE

log = logging.getLogger(__name__)

GENERATION_KEY = "metrics.user_cache:generation"
ENTRY_KEY = "metrics.user_cache:session:%s"
CACHE_SECONDS = 300
# The session store of the request whose user is being read (session_at_hand).
_session = contextvars.ContextVar("metrics.user_cache.session", default=None)


def enabled():
    return getattr(settings, "USER_CACHE", False)


# Changes this process made (changed()): a read made with the session before one of
# them is not used (this request's own change shows at once, as the generation does).
_changes = 0


def keys_with_session(session_key):
    """The keys to read in the session's round trip: the generation and the entry (none
    when the user cache is off, or the sessions live in another cache)."""
    if not (enabled() and session_key and settings.SESSION_CACHE_ALIAS == DEFAULT_CACHE_ALIAS):
        return []
    return [GENERATION_KEY, ENTRY_KEY % session_key]


def read_with_session(session_key, found):
    """What a session store keeps of its round trip (as `user_cache_read`) for get_user."""
    return session_key, _changes, found


@contextlib.contextmanager
def session_at_hand(session):
    """While the request's user is read: its session store, for get_user."""
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend, whose get_user comes from the shared cache while the
    generation holds (module docstring); its permissions come with it."""

    def get_user(self, user_id):
        session = _session.get()
        session_key = getattr(session, "session_key", None)
        if not enabled() or session_key is None:
            return super().get_user(user_id)
        key = ENTRY_KEY % session_key
        # What the session's own round trip read for this key (metrics/sessions.py:
        # (session key, what get_many found)), else read now.
        read, session.user_cache_read = getattr(session, "user_cache_read", None), None
        if read is not None and read[:2] == (session_key, _changes):
            found = read[2]
        else:
            try:
                found = cache.get_many([GENERATION_KEY, key])
            except UNREACHABLE:
                return super().get_user(user_id)
        generation = found.get(GENERATION_KEY) or _new_generation(only_if_absent=True)
        entry = found.get(key)
        if entry is not None and entry[0] == generation and entry[1] == user_id:
            _, _, user, permissions = entry
            user._perm_cache = permissions  # what ModelBackend.get_all_permissions reads
            return user
        user = super().get_user(user_id)  # None when inactive or gone: never stored
        if user is not None and generation is not None:
            permissions = self.get_all_permissions(user)
            with contextlib.suppress(*UNREACHABLE):
                cache.set(key, (generation, user_id, user, permissions), CACHE_SECONDS)
        return user


def _new_generation(only_if_absent=False):
    """A new generation token (the current one when another process set it first)."""
    token = secrets.token_hex(8)
    try:
        if only_if_absent:
            return token if cache.add(GENERATION_KEY, token, None) else cache.get(
                GENERATION_KEY)
        cache.set(GENERATION_KEY, token, None)
    except UNREACHABLE:
        log.exception("User entries could not be invalidated: they expire within %s s",
                      CACHE_SECONDS)
        return None
    return token


def changed(**kwargs):
    """Any change of a user's page: a new generation now (requests in this transaction
    see the change) and once it commits (an entry another process stored meanwhile, from
    what was committed before, is left behind)."""
    global _changes
    if enabled():
        _changes += 1
        _new_generation()
        transaction.on_commit(_new_generation)


User = get_user_model()
for _model in (User, Group, Permission):
    post_save.connect(changed, sender=_model, dispatch_uid=f"user_cache_save_{_model.__name__}")
    post_delete.connect(changed, sender=_model,
                        dispatch_uid=f"user_cache_delete_{_model.__name__}")
for _through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
    m2m_changed.connect(changed, sender=_through,
                        dispatch_uid=f"user_cache_m2m_{_through.__name__}")
