"""Single sign-on with OpenID Connect (mozilla-django-oidc), off unless OIDC_RP_CLIENT_ID
is set (lacoe_kpi/settings.py reads the OIDC_* variables; README "Security: sign-in").

- People are matched to accounts by their verified e-mail address; the first sign-in of
  an address no account has creates one, with no role.
- Roles follow the provider's groups (the OIDC_GROUPS_CLAIM claim) through OIDC_ROLE_MAP,
  at every sign-in: a mapped role is added when one of its groups is in the claim and
  removed when none is. Roles no provider group maps to are left as an administrator set
  them. The changes go through user.groups, so metrics/audit.py records them.
- A refused sign-in (a token with a wrong signature, issuer or audience, an expired one,
  an unreachable provider) signs nobody in: the sign-in page says why, the audit log
  records it, and the provider's details go to the log, never to the page.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from . import roles

logger = logging.getLogger(__name__)


class SignInRefused(Exception):
    """A sign-in the provider's answer does not allow; the message is shown to the person."""


def role_map():
    """OIDC_ROLE_MAP as {provider group: role}, every role one of ours."""
    mapping = getattr(settings, "OIDC_ROLE_MAP", {}) or {}
    unknown = sorted(set(mapping.values()) - set(roles.ROLES))
    if unknown:
        raise ImproperlyConfigured(
            f"OIDC_ROLE_MAP names unknown roles {unknown}; roles are {', '.join(roles.ROLES)}."
        )
    return dict(mapping)


def claimed_groups(claims, claim_name):
    """The provider groups in `claims`: a list, or one string of names separated by
    commas or spaces (providers differ)."""
    value = claims.get(claim_name)
    if value is None:
        return set()
    if isinstance(value, str):
        return {item for item in value.replace(",", " ").split() if item}
    if isinstance(value, list | tuple | set):
        return {str(item) for item in value}
    return set()


def roles_for_claims(claims, mapping=None, claim_name=None):
    """The roles the claims give: the mapped roles of the groups in the claim."""
    mapping = role_map() if mapping is None else mapping
    claim_name = claim_name or settings.OIDC_GROUPS_CLAIM
    return {mapping[group] for group in claimed_groups(claims, claim_name) if group in mapping}


def sync_roles(user, claims, mapping=None):
    """Make the user's mapped roles those the claims give; returns (added, removed) names.
    Only the roles OIDC_ROLE_MAP names are managed here."""
    mapping = role_map() if mapping is None else mapping
    managed = set(mapping.values())
    wanted = roles_for_claims(claims, mapping)
    current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
    add, remove = wanted - current, current - wanted
    if add:
        user.groups.add(*Group.objects.filter(name__in=add))
    if remove:
        user.groups.remove(*Group.objects.filter(name__in=remove))
    return add, remove


def username_for(email, claims=None):
    """The username of an account created at first sign-in: the e-mail address."""
    return (email or "").strip().lower()[:150]


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, checking what it leaves out (the ID token's issuer
    and audience, turning an expired token into a refusal rather than an error) and
    syncing roles from the claims."""

    def authenticate(self, request, **kwargs):
        if request is None or not request.GET.get("code") or not request.GET.get("state"):
            return None  # a password sign-in: not ours
        try:
            return super().authenticate(request, **kwargs)
        except SignInRefused as exc:
            reason = str(exc)
        except SuspiciousOperation as exc:
            logger.warning("OIDC sign-in refused: %s", exc)
            reason = "the provider's answer could not be verified"
        except requests.RequestException as exc:
            logger.warning("OIDC provider unreachable or refused the code: %s", exc)
            reason = "the identity provider could not be reached or refused the request"
        request.oidc_failure = reason
        return None

    def verify_token(self, token, **kwargs):
        if not token:
            raise SignInRefused("the identity provider sent no ID token")
        return super().verify_token(token, **kwargs)

    def _verify_jws(self, payload, key):
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.InvalidTokenError:
            raise SignInRefused("the ID token is malformed") from None
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SignInRefused(f"the ID token is signed with {header.get('alg')!r}, "
                                f"not {self.OIDC_RP_SIGN_ALGO}")
        try:
            return jwt.decode(
                payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID, issuer=settings.OIDC_OP_ISSUER,
                leeway=settings.OIDC_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidSignatureError:
            raise SignInRefused("the ID token's signature is not the provider's") from None
        except jwt.ExpiredSignatureError:
            raise SignInRefused("the ID token has expired") from None
        except jwt.InvalidAudienceError:
            raise SignInRefused("the ID token was issued for another application") from None
        except jwt.InvalidIssuerError:
            raise SignInRefused("the ID token was issued by another provider") from None
        except jwt.InvalidTokenError as exc:
            raise SignInRefused(f"the ID token is not valid ({exc})") from None

    def get_userinfo(self, access_token, id_token, payload):
        claims = super().get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SignInRefused("the provider's user information is for another person")
        # Groups may come in either; the userinfo answer wins.
        merged = {settings.OIDC_GROUPS_CLAIM: payload.get(settings.OIDC_GROUPS_CLAIM)}
        merged.update({k: v for k, v in claims.items() if v is not None})
        return merged

    def verify_claims(self, claims):
        if not claims.get("email"):
            raise SignInRefused("the identity provider did not give an e-mail address")
        if claims.get("email_verified") is False:
            raise SignInRefused("the identity provider has not verified the e-mail address")
        return True

    def create_user(self, claims):
        if self.UserModel.objects.filter(username=self.get_username(claims)).exists():
            raise SignInRefused("an account with that username but another e-mail address "
                                "exists; ask an administrator to correct it")
        user = super().create_user(claims)
        user.set_unusable_password()
        user.first_name = (claims.get("given_name") or "")[:150]
        user.last_name = (claims.get("family_name") or "")[:150]
        user.save(update_fields=["password", "first_name", "last_name"])
        logger.info("OIDC: created account %s", user.get_username())
        sync_roles(user, claims)
        return user

    def update_user(self, user, claims):
        sync_roles(user, claims)
        return user


def sign_in_context(request):
    """The provider's name for the sign-in button, when single sign-on is configured."""
    if getattr(settings, "OIDC_ENABLED", False):
        return {"oidc_provider_name": settings.OIDC_PROVIDER_NAME}
    return {}


def _enabled():
    if not getattr(settings, "OIDC_ENABLED", False):
        raise Http404("Single sign-on is not configured.")


class SignInStartView(OIDCAuthenticationRequestView):
    def dispatch(self, request, *args, **kwargs):
        _enabled()
        return super().dispatch(request, *args, **kwargs)


class SignInCallbackView(OIDCAuthenticationCallbackView):
    def dispatch(self, request, *args, **kwargs):
        _enabled()
        try:
            return super().dispatch(request, *args, **kwargs)
        except SuspiciousOperation as exc:  # an unknown or replayed `state`
            logger.warning("OIDC callback refused: %s", exc)
            request.oidc_failure = "the sign-in was started elsewhere or has already been used"
            return self.login_failure()

    def login_failure(self):
        provider = settings.OIDC_PROVIDER_NAME
        if self.request.GET.get("error"):
            reason = "the identity provider did not sign you in"
        else:
            reason = getattr(self.request, "oidc_failure", None) or (
                "your account is inactive or the sign-in could not be completed")
        messages.error(self.request, f"Sign-in with {provider} failed: {reason}.")
        return redirect(settings.LOGIN_URL)


urlpatterns = [
    path("authenticate/", SignInStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", SignInCallbackView.as_view(), name="oidc_authentication_callback"),
]
