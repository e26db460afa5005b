"""The audit log page: administrators only (others 403; signed out: sign in)."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_safe
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from ..filters import AuditEventFilter
from ..models import AuditEvent
from ..roles import ADMINISTER_PERMISSION
from ..tables import AuditEventTable


@method_decorator(require_safe, name="dispatch")
class AuditLogView(LoginRequiredMixin, PermissionRequiredMixin, SingleTableMixin, FilterView):
    """Sign-ins, failures, lockouts and role and permission changes, filterable."""

    permission_required = ADMINISTER_PERMISSION
    table_class = AuditEventTable
    filterset_class = AuditEventFilter
    template_name = "metrics/audit_log.html"

    def handle_no_permission(self):
        # signed in without the role: 403; signed out: the sign-in page
        self.raise_exception = self.request.user.is_authenticated
        return super().handle_no_permission()

    def get_queryset(self):
        return AuditEvent.objects.select_related("actor")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "retention_days": settings.AUDIT_RETENTION_DAYS}
