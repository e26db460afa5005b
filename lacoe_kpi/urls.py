from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

admin.site.site_header = "LACOE KPI administration"
admin.site.site_title = "LACOE KPI"

urlpatterns = [
    path("", include("pillars.urls")),
    path("", include("metrics.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name none (the admin's).
    # (lazy: the hashed static name is known only once collectstatic has run)
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"),
                                             permanent=True)),
]
