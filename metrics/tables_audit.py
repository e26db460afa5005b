"""The audit log's table (on the shared base table of metrics/tables.py)."""

import django_tables2 as tables

from .models import AuditEvent
from .tables import BaseTable


class AuditEventTable(BaseTable):
    caption = "Audit log, newest first"
    row_header = "created_at"

    created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s")
    kind = tables.Column(verbose_name="Event")
    username = tables.Column(verbose_name="Account", empty_values=(),
                             order_by=("username",))
    actor = tables.Column(verbose_name="By", accessor="actor__username", default="—")
    ip_address = tables.Column(verbose_name="Address", default="—")
    detail = tables.Column(verbose_name="Details", default="", orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditEvent
        fields = ("created_at", "kind", "username", "actor", "ip_address", "detail")
        sequence = fields
        empty_text = "No events match these filters."

    def render_username(self, value, record):
        return value or "—"
