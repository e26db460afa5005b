from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from metrics.language import set_language
from metrics.views.health import healthz
from metrics.views.signin import ThrottledPasswordResetView
from pillars.views import ok

admin.site.site_header = _("LACOE KPI administration")
admin.site.site_title = "LACOE KPI"

urlpatterns = [
    path("", include("pillars.urls")),
    path("", include("metrics.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("metrics.api.urls")),
    # Before Django's own: the reset request limited per address and e-mail address.
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Single sign-on (metrics/oidc.py): 404 unless OIDC_RP_CLIENT_ID is configured.
    path("oidc/", include("metrics.oidc")),
    path("admin/", admin.site.urls),
    # The language switcher of every page posts here (Django's set_language: a cookie, then
    # back to `next`, and a signed-in person's choice kept for their e-mails); links may
    # say ?lang=es instead (metrics/language.py).
    path("i18n/setlang/", set_language, name="set_language"),
    # For load balancers and the compose health checks: no sign-in, JSON, 503 when down.
    path("healthz", healthz, name="healthz"),
    # Liveness: the process answers, nothing else checked (what the throughput bench
    # compares pages to).
    path("ok", ok, name="ok"),
    # Browsers ask for /favicon.ico on pages that name none (the admin's).
    # (lazy: the hashed static name is known only once collectstatic has run)
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"),
                                             permanent=True)),
]
