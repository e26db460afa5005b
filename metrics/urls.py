from django.urls import path

from .views import entry, imports

app_name = "metrics"

urlpatterns = [
    path("my-updates/", entry.my_updates, name="my_updates"),
    path("approvals/", entry.approvals, name="approvals"),
    path("readings/<int:pk>/review/", entry.review, name="review"),
    path("readings/<int:pk>/restore/<int:history_id>/", entry.restore, name="restore"),
    path("plans/<slug:plan>/enter/", entry.bulk_entry, name="bulk_entry"),
    path("plans/<slug:plan>/metrics/<slug:code>/enter/", entry.reading_enter, name="enter"),
    path("plans/<slug:plan>/metrics/<slug:code>/target/", entry.target_edit, name="target"),
    path("plans/<slug:plan>/import/", imports.import_upload, name="import_upload"),
    path("plans/<slug:plan>/import/template.<str:fmt>", imports.import_template,
         name="import_template"),
    path("plans/<slug:plan>/import/<uuid:batch>/", imports.import_preview, name="import_preview"),
]
