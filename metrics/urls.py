from django.urls import path

from .views import account, detail, entry, evidence, imports, public, worklists
from .views.audit import AuditLogView

app_name = "metrics"

urlpatterns = [
    path("account/", account.account, name="account"),
    path("account/language/", account.account_language, name="account_language"),
    path("account/tokens/<int:pk>/revoke/", account.revoke_token, name="revoke_token"),
    path("my-updates/", entry.my_updates, name="my_updates"),
    path("approvals/", entry.approvals, name="approvals"),
    path("worklists/targets/", worklists.targets, name="targets_worklist"),
    path("worklists/owners/", worklists.owners, name="owners_worklist"),
    path("audit/", AuditLogView.as_view(), name="audit_log"),
    path("readings/<int:pk>/review/", entry.review, name="review"),
    path("readings/<int:pk>/restore/<int:history_id>/", entry.restore, name="restore"),
    path("readings/<int:pk>/evidence/", evidence.evidence_download, name="evidence"),
    path("plans/<slug:plan>/metrics/<slug:code>/", detail.metric_detail, name="metric"),
    path("plans/<slug:plan>/metrics/<slug:code>/public.csv", public.metric_csv,
         name="public_csv"),
    path("plans/<slug:plan>/enter/", entry.bulk_entry, name="bulk_entry"),
    path("plans/<slug:plan>/metrics/<slug:code>/enter/", entry.reading_enter, name="enter"),
    path("plans/<slug:plan>/metrics/<slug:code>/target/", entry.target_edit, name="target"),
    path("plans/<slug:plan>/import/", imports.import_upload, name="import_upload"),
    path("plans/<slug:plan>/import/template.<str:fmt>", imports.import_template,
         name="import_template"),
    path("plans/<slug:plan>/import/<uuid:batch>/", imports.import_preview, name="import_preview"),
]
