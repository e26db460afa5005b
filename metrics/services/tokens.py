"""API tokens: created and revoked by their owner on the account page."""

import secrets

from ..models import ApiToken
from ..models.tokens import token_digest


def token_create(*, user, name):
    """A new token of `user` and its raw value, which exists only in this return value:
    the page shows it once, the database keeps its digest (metrics/models/tokens.py)."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=raw[:8], digest=token_digest(raw))
    token.full_clean()
    token.save()
    return token, raw


def token_revoke(*, user, pk):
    """Revoke (delete) one of `user`'s own tokens; False when they hold none by that id."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
