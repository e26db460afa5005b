import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html

from .models import MetricSnapshot
from .status import display
from .units import format_change, plain_number


def status_badge(status, label):
    return format_html(
        '<span class="status status-{}"><span aria-hidden="true">{}</span> {}</span>',
        status, display(status).icon, label,
    )


class SyntheticMarkColumn(tables.Column):
    """Added to tables of a synthetic plan, so every exported row says what it is."""

    def __init__(self):
        super().__init__(verbose_name="Synthetic data", empty_values=(), orderable=False)

    def render(self):
        return "SYNTHETIC DATA (demo, not real figures)"


class MetricSnapshotTable(tables.Table):
    """A pillar's metrics with their county-wide state, sortable and exportable."""

    name = tables.Column(accessor="metric__name", verbose_name="Metric",
                         linkify=lambda record: record.metric.get_absolute_url())
    code = tables.Column(accessor="metric__code", verbose_name="Code")
    priority_area = tables.Column(accessor="metric__priority_area__name",
                                  verbose_name="Priority area", default="—")
    status = tables.Column(verbose_name="Status")
    latest_value = tables.Column(verbose_name="Latest", attrs={"td": {"class": "num"}})
    latest_period = tables.Column(verbose_name="Period", default="—")
    change = tables.Column(verbose_name="Change", attrs={"td": {"class": "num"}}, default="—")
    target = tables.Column(accessor="metric__target_value", verbose_name="Target", default="—")
    progress = tables.Column(verbose_name="Progress", default="—",
                             attrs={"td": {"class": "num"}})
    next_due_on = tables.Column(verbose_name="Next due", default="—")
    unit = tables.Column(accessor="metric__unit", verbose_name="Unit")

    class Meta:
        model = MetricSnapshot
        fields = ("name", "code", "priority_area", "status", "latest_value", "latest_period",
                  "change", "target", "progress", "next_due_on", "unit")
        sequence = fields
        exclude = ("id",)
        order_by = ("priority_area", "name")
        attrs = {"class": "data-table"}
        template_name = "django_tables2/table.html"
        empty_text = "No metric matches these filters."

    def render_status(self, record):
        badge = status_badge(record.status, record.get_status_display())
        if getattr(record, "is_pending", False):
            return format_html('{} <span class="badge badge-pending">update pending</span>', badge)
        return badge

    def value_status(self, record):
        return record.get_status_display()

    def render_latest_value(self, record):
        return record.metric.format(record.latest_value, record.latest_qualifier)

    def value_latest_value(self, record):
        return plain_number(record.latest_value)

    def render_change(self, record):
        if record.previous_value is None:
            return "—"
        return format_html(
            '{} <span class="muted">since {}</span>',
            format_change(record.change, record.metric.unit), record.previous_period,
        )

    def value_change(self, record):
        return plain_number(record.change)

    def render_target(self, record):
        metric = record.metric
        return f"{metric.format(metric.target_value)} by {metric.target_period}"

    def value_target(self, record):
        return plain_number(record.metric.target_value)

    def value_progress(self, value):
        return f"{value:.4f}"

    def value_next_due_on(self, value):
        return value.isoformat()

    def render_progress(self, value):
        return f"{value:.0%}"

    def render_next_due_on(self, value):
        if value < timezone.localdate():
            return format_html('<span class="overdue">Overdue since {}</span>',
                               value.strftime("%-d %b %Y"))
        return value.strftime("%-d %b %Y")

    def render_unit(self, record):
        return record.metric.get_unit_display()

