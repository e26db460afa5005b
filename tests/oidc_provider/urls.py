from django.contrib.auth import get_user_model, login
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme


def test_login(request):
    """Signs the named user in at the provider (a loopback test provider only): the test
    stands in for the person typing a password at their identity provider."""
    user = get_user_model().objects.get(username=request.GET["username"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    target = request.GET.get("next", "/")
    return redirect(target if url_has_allowed_host_and_scheme(target, None) else "/")


urlpatterns = [
    path("test-login/", test_login, name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
