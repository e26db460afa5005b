"""Spreadsheet import pages; included into the "metrics" namespace by metrics/urls.py."""

from django.urls import path

from .views import imports

urlpatterns = [
    path("plans/<slug:plan>/import/", imports.import_upload, name="import_upload"),
    path(
        "plans/<slug:plan>/import/template.<str:fmt>", imports.import_template,
        name="import_template",
    ),
    path("plans/<slug:plan>/import/<uuid:batch>/", imports.import_preview, name="import_preview"),
]
