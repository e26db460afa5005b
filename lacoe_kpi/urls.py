from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "LACOE KPI administration"
admin.site.site_title = "LACOE KPI"

urlpatterns = [
    path("", include("pillars.urls")),
    path("", include("metrics.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
