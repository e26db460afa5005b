"""API tokens: created and revoked by their owner on the account page."""

import secrets

from django.db import transaction

from ..models import ApiToken, AuditKind
from ..models.tokens import token_digest
from .audit import audit_record


@transaction.atomic
def token_create(*, user, name, request=None):
    """A new token of `user` and its raw value, which exists only in this return value:
    the page shows it once, the database keeps its digest (metrics/models/tokens.py)."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, prefix=raw[:8], digest=token_digest(raw))
    token.full_clean()
    token.save()
    audit_record(kind=AuditKind.API_TOKEN_CREATED, user=user, request=request,
                 detail=f"{token.name} ({token.prefix}…)")
    return token, raw


@transaction.atomic
def token_revoke(*, user, pk, request=None):
    """Revoke (delete) one of `user`'s own tokens; False when they hold none by that id."""
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        return False
    token.delete()
    audit_record(kind=AuditKind.API_TOKEN_REVOKED, user=user, request=request,
                 detail=f"{token.name} ({token.prefix}…)")
    return True
