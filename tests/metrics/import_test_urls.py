"""The project's URLs with the import pages in the "metrics" namespace, until
metrics/urls.py includes metrics/import_urls.py itself (then this adds nothing new)."""

from django.urls import include, path

from lacoe_kpi import urls as project
from metrics import import_urls
from metrics import urls as metrics_urls

urlpatterns = [
    *(p for p in project.urlpatterns if getattr(p, "namespace", None) != "metrics"),
    path("", include(([*metrics_urls.urlpatterns, path("", include(import_urls))], "metrics"))),
]
