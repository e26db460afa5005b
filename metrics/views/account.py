"""The account page: a signed-in person's API tokens, created and revoked here, and the
language of their e-mails."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from ..api.forms import ApiTokenForm
from ..forms import LanguageForm
from ..language import set_language_cookie
from ..models import UserPreference
from ..services.preferences import language_set
from ..services.tokens import token_create, token_revoke


def _language_form(user):
    chosen = UserPreference.objects.languages([user])[user.pk]
    return LanguageForm(initial={"language": chosen})


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        token, new_token = token_create(user=request.user, name=form.cleaned_data["name"],
                                        request=request)
        # Rendered, not redirected: the raw token exists only in this response.
        form = ApiTokenForm()
    tokens = request.user.api_tokens.all()
    return render(request, "metrics/account.html",
                  {"form": form, "tokens": tokens, "new_token": new_token,
                   "language_form": _language_form(request.user)})


@login_required
@require_POST
def account_language(request):
    """Keep the language of the person's e-mails; the pages follow it too (the cookie)."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of the languages offered."))
        return redirect("metrics:account")
    language = form.cleaned_data["language"]
    language_set(user=request.user, language=language)
    response = redirect("metrics:account")
    set_language_cookie(response, language)
    return response


@login_required
@require_POST
def revoke_token(request, pk):
    if token_revoke(user=request.user, pk=pk, request=request):
        messages.success(request, gettext("The token is revoked: it no longer opens the API."))
    else:
        messages.error(request, gettext("No such token of yours: it may be revoked already."))
    return redirect("metrics:account")
