"""The signed-in user and their permissions from the shared cache (issue 14).

Every signed-in page reads the user (AuthenticationMiddleware) and their permission set
(the page cache's key, the links a page shows): three queries whose compiling cost more
CPU than a cached page's body. With a shared cache (settings.USER_CACHE: on with
REDIS_URL) `CachedModelBackend.get_user` keeps (user, permissions) in it, one entry a
user, read with the current *generation* in one round trip (`get_many`).

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

Without a shared cache (the embedded default's per-process cache, which a change made in
another process would not reach), the backend reads the database as Django's does. A
cache that cannot be reached is read around (the database answers); a change made while
it cannot be reached is logged, and its entries expire within CACHE_SECONDS.
"""

import contextlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .aggregates.queue import UNREACHABLE

log = logging.getLogger(__name__)

GENERATION_KEY = "metrics.user_cache:generation"
ENTRY_KEY = "metrics.user_cache:user:%s"
CACHE_SECONDS = 300


def enabled():
    return getattr(settings, "USER_CACHE", False)


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend, whose get_user comes from the shared cache while the
    generation holds (module docstring); its permissions come with it."""

    def get_user(self, user_id):
        if not enabled():
            return super().get_user(user_id)
        key = ENTRY_KEY % user_id
        try:
            found = cache.get_many([GENERATION_KEY, key])
        except UNREACHABLE:
            return super().get_user(user_id)
        generation = found.get(GENERATION_KEY) or _new_generation(only_if_absent=True)
        entry = found.get(key)
        if entry is not None and entry[0] == generation:
            _, user, permissions = entry
            user._perm_cache = permissions  # what ModelBackend.get_all_permissions reads
            return user
        user = super().get_user(user_id)  # None when inactive or gone: never stored
        if user is not None and generation is not None:
            permissions = self.get_all_permissions(user)
            with contextlib.suppress(*UNREACHABLE):
                cache.set(key, (generation, user, permissions), CACHE_SECONDS)
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
    if enabled():
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
