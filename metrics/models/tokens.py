"""API tokens: one per use a person names, shown once, kept only as a keyed digest.

Django REST framework's own `authtoken` keeps the token in plain text, so anyone who
reads the database (a backup, a replica) could call the API as that user. Here the
row holds HMAC-SHA256(SECRET_KEY, token) (Django's `salted_hmac`): a stolen table is
useless without the secret key, and a lookup is one indexed equality (a token is 256
random bits, so no per-token salt or slow hash is needed, unlike a password).
Rotating SECRET_KEY therefore invalidates every token; people create new ones.
"""

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

__all__ = ["ApiToken", "token_digest"]

_SALT = "lacoe_kpi.api.token"  # noqa: S105 - an HMAC key salt, not a secret


def token_digest(raw):
    """The digest stored for `raw` (a token as the user holds it)."""
    return salted_hmac(_SALT, raw, algorithm="sha256").hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_raw(self, raw):
        return self.filter(digest=token_digest(raw))


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100, help_text=_("What the token is for, in your words."))
    # The first characters of the token, so its owner can tell tokens apart: 8 of
    # 43 characters leave 200 bits unknown.
    prefix = models.CharField(max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
