from django.urls import path, register_converter

from . import views


class SchoolYearConverter:
    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(SchoolYearConverter, "school_year")

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:plan>/<school_year:year>/", views.annual_report, name="report"),
    path("<slug:plan>/<school_year:year>/export/", views.export, name="export"),
    path("<slug:plan>/<school_year:year>/highlights/", views.highlights, name="highlights"),
    path("<slug:plan>/<school_year:year>/highlights/introduction/", views.highlight_edit,
         name="highlight_intro"),
    path("<slug:plan>/<school_year:year>/highlights/pillars/<slug:pillar>/",
         views.highlight_edit, name="highlight_pillar"),
    path("<slug:plan>/translations/", views.translations, name="translations"),
    path("exports/<int:pk>/", views.job, name="job"),
    path("exports/<int:pk>/status/", views.job_status, name="job_status"),
    path("exports/<int:pk>/download/", views.download, name="download"),
]
