"""A link's ``?lang=es`` chooses the language the way the switcher does.

The switcher (templates/base.html) posts to Django's ``set_language``, which keeps the choice
in the language cookie that LocaleMiddleware reads. Links printed on flyers and in e-mails
say ``/?lang=es`` instead; this middleware answers them with the same cookie and a redirect
to the same address without ``lang``, so each page has one address whatever the language
(and a cache keyed on the address never mixes two languages under one key). A value that
names no language we have is ignored: the page is shown as if it were not there.

Signing in applies a person's kept language (metrics/signals.py calls `apply_on_sign_in`):
the sign-in's response carries the same cookie, so a new device follows the person.
"""

from django.conf import settings
from django.dispatch import Signal
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.translation import check_for_language
from django.views.i18n import set_language as django_set_language

PARAMETER = "lang"
SUPPORTED = {code for code, _name in settings.LANGUAGES}
# Sent (request, language) when a person chooses a language, by link or by the switcher:
# metrics/signals.py keeps a signed-in person's choice for their e-mails (a signal, as
# this module is imported by the selectors the services read).
language_chosen = Signal()
# The request attribute a sign-in leaves for the middleware to write as the cookie.
SIGNED_IN_LANGUAGE = "language_signed_in"


class LanguageQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = request.GET.get(PARAMETER, "")
        if request.method not in ("GET", "HEAD") or not is_language(code):
            response = self.get_response(request)
            signed_in = getattr(request, SIGNED_IN_LANGUAGE, None)
            if signed_in:
                set_language_cookie(response, signed_in)
            return response
        rest = request.GET.copy()
        rest.pop(PARAMETER)
        response = HttpResponseRedirect(
            request.path + (f"?{rest.urlencode()}" if rest else "")
        )
        set_language_cookie(response, code)
        language_chosen.send(sender=LanguageQueryMiddleware, request=request, language=code)
        return response


def set_language(request):
    """Django's set_language (the switcher's form), telling who listens what was chosen."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.method == "POST" and is_language(code):
        language_chosen.send(sender=set_language, request=request, language=code)
    return response


def apply_on_sign_in(request, code):
    """The person signing in kept `code`: the rest of this request is in it (the
    redirect's messages) and the response sets the cookie, as the switcher would."""
    if request is None or not is_language(code):
        return
    translation.activate(code)
    request.LANGUAGE_CODE = code
    setattr(request, SIGNED_IN_LANGUAGE, code)


def is_language(code):
    return code in SUPPORTED and check_for_language(code)


def set_language_cookie(response, code):
    """The cookie exactly as Django's set_language writes it (django/views/i18n.py)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def with_translations(*paths):
    """`paths` for `.only()` with each translated field's language columns beside it
    (`district__name` -> also `district__name_en`, `district__name_es`): modeltranslation
    reads the language column, so without them each row would load it in a query of its
    own."""
    extra = [f"{path}_{code}" for path in paths for code, _name in settings.LANGUAGES]
    return (*paths, *extra)
