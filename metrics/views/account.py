"""The account page: a signed-in person's API tokens, created and revoked here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from ..api.forms import ApiTokenForm
from ..services.tokens import token_create, token_revoke


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
                  {"form": form, "tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def revoke_token(request, pk):
    if token_revoke(user=request.user, pk=pk, request=request):
        messages.success(request, gettext("The token is revoked: it no longer opens the API."))
    else:
        messages.error(request, gettext("No such token of yours: it may be revoked already."))
    return redirect("metrics:account")
