"""Token authentication against the hashed tokens of metrics.models.tokens.

Only tokens authenticate the API: a browser's session does not, so a page's cookie is
never an API credential and the API needs no CSRF check (it writes nothing anyway).
"""

from django.utils import timezone
from rest_framework import authentication, exceptions

from ..models import ApiToken

_KEYWORDS = (b"token", b"bearer")
# Writing last_used_at on every call would turn each read into a write; once a
# minute is enough to tell a token in use from a forgotten one.
_TOUCH_EVERY = timezone.timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in _KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Write the header as “Authorization: Token <token>” (or Bearer).")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        token = ApiToken.objects.for_raw(raw).select_related("user").first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("That token is not valid or was revoked.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
