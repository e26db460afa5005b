"""The lists our pages show, one django-tables2 table each, on one shared base."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import equity, plausibility
from .badges import row_status_badge, status_word
from .latest_figure import latest_figure
from .models import AuditEvent, MetricSnapshot
from .rowformat import csv_safe
from .status import is_overdue
from .translated_content import html_message, in_page_language
from .units import format_change, plain_number

PER_PAGE = 50



class BaseTable(tables.Table):
    """What every table of ours shares: the look, a caption for screen readers, the first
    column as row headers, and one template whose sort links and pager use Django's own
    `{% querystring %}` (so the page's other parameters, its filters, are kept).

    The template names the parameters `sort` and `page`: one paginated or sortable
    table a page. A page never grows past `Meta.per_page` rows, whatever `?per_page=`
    asks for.
    """

    caption = ""
    row_header = None  # the column whose cells are the rows' <th scope="row">

    class Meta:
        attrs = {"class": "data-table"}
        template_name = "metrics/_table.html"
        per_page = PER_PAGE
        empty_text = _("Nothing to show.")

    def __init__(self, *args, caption=None, **kwargs):
        super().__init__(*args, **kwargs)
        if caption is not None:
            self.caption = caption
        if self.row_header is None and self.columns:
            self.row_header = next(iter(self.columns)).name

    def as_values(self, exclude_columns=None):
        """Rows for django-tables2's exports (the pillar table's CSV): every text cell
        through rowformat.csv_safe, so no spreadsheet runs it as a formula."""
        for row in super().as_values(exclude_columns=exclude_columns):
            yield [csv_safe(value) for value in row]

    def paginate(self, *args, per_page=None, **kwargs):
        per_page = min(max(per_page or self._meta.per_page, 1), self._meta.per_page)
        return super().paginate(*args, per_page=per_page, **kwargs)


class SyntheticMarkColumn(tables.Column):
    """Added to tables of a synthetic plan, so every exported row says what it is."""

    def __init__(self):
        super().__init__(verbose_name=_("Synthetic data"), empty_values=(), orderable=False)

    def render(self):
        return "SYNTHETIC DATA (demo, not real figures)"


class MetricSnapshotTable(BaseTable):
    """A pillar's metrics with their county-wide state, sortable and exportable."""

    name = tables.Column(accessor="metric__name", verbose_name=_("Metric"),
                         linkify=lambda table, record: table.metric_url(record.metric))
    code = tables.Column(accessor="metric__code", verbose_name=_("Code"))
    priority_area = tables.Column(accessor="metric__priority_area__name",
                                  verbose_name=_("Priority area"), default="—")
    status = tables.Column(verbose_name=_("Status"))
    # Values and changes are in each metric's own unit: sorting them would mix units, so
    # the table sorts by status or progress instead.
    latest_value = tables.Column(verbose_name=_("Latest"), attrs={"td": {"class": "num"}},
                                 orderable=False)
    latest_period = tables.Column(verbose_name=_("Period"), default="—")
    change = tables.Column(verbose_name=_("Change"), attrs={"td": {"class": "num"}}, default="—",
                           orderable=False)
    target = tables.Column(accessor="metric__target_value", verbose_name=_("Target"), default="—")
    progress = tables.Column(verbose_name=_("Progress"), default="—",
                             attrs={"td": {"class": "num"}})
    next_due_on = tables.Column(verbose_name=_("Next due"), default="—")
    unit = tables.Column(accessor="metric__unit", verbose_name=_("Unit"))

    # The columns a 1,280-px window shows by default; "all columns" (and the export) adds them.
    OPTIONAL_COLUMNS = ("code", "priority_area", "target", "unit")

    class Meta(BaseTable.Meta):
        model = MetricSnapshot
        fields = ("name", "code", "priority_area", "status", "latest_value", "latest_period",
                  "change", "target", "progress", "next_due_on", "unit")
        sequence = fields
        exclude = ("id",)
        order_by = ("priority_area", "name")
        empty_text = _("No metric matches these filters.")

    slice_ids = ()  # (district id, group id) on a pillar page for one slice (issue 16)

    def metric_url(self, metric):
        """The metric's page; for one district or student group, that page's by-group
        view of the same slice, so the two pages show the same figures."""
        if any(self.slice_ids):
            district_id, group_id = self.slice_ids
            return equity.view_url(metric, district_id=district_id, group_id=group_id)
        return metric.get_absolute_url()

    # Content in the page's language, the English fallback in lang="en"; the export's
    # value_ methods below keep plain text.
    def render_name(self, record):
        return in_page_language(record.metric, "name")

    def value_name(self, record):
        return record.metric.name

    def render_priority_area(self, record):
        return in_page_language(record.metric.priority_area, "name")

    def value_priority_area(self, record):
        return record.metric.priority_area.name

    def render_status(self, record):
        if not record.status:  # a district or group slice not judged (yet)
            return "—"
        badge = row_status_badge(record)
        if getattr(record, "is_pending", False):
            return format_html('{} <span class="badge badge-pending">update pending</span>', badge)
        return badge

    def value_status(self, record):
        return status_word(record.status, period=record.latest_period,
                           final=bool(record.metric.plan.closed_at))

    def render_latest_value(self, record):
        return latest_figure(record)

    def value_latest_value(self, record):
        return plain_number(record.latest_value)

    def render_change(self, record):
        if record.previous_value is None:
            return "—"
        return format_html(
            '{} <span class="muted">{}</span>', format_change(record.change, record.metric.unit),
            _("since %(period)s") % {"period": record.previous_period})

    def value_change(self, record):
        return plain_number(record.change)

    def render_target(self, record):
        metric = record.metric
        return _("%(figure)s by %(period)s") % {
            "figure": metric.format(metric.target_value), "period": metric.target_period}

    def value_target(self, record):
        return plain_number(record.metric.target_value)

    def value_progress(self, value):
        return f"{value:.4f}"

    def value_next_due_on(self, value):
        return value.isoformat()

    def render_progress(self, value):
        return f"{value:.0%}"

    def render_next_due_on(self, value, record):
        # One plan object for every row, so the plan's end is read once (status.overdue_until).
        plan = self.__dict__.setdefault("_plans", {}).setdefault(
            record.metric.plan_id, record.metric.plan)
        day = date_format(value, "SHORT_DATE_FORMAT")  # "1 dic 2026" in Spanish (README)
        if is_overdue(value, plan, timezone.localdate()):
            return format_html('<span class="overdue">{}</span>',
                               _("Overdue since %(day)s") % {"day": day})
        return day

    def render_unit(self, record):
        return record.metric.get_unit_display()


class ReadingTable(BaseTable):
    """One slice (district, student group) of a metric's readings, newest first."""

    period = tables.Column(verbose_name=_("Period"))
    value = tables.Column(verbose_name=_("Value"), attrs={"td": {"class": "num"}})
    state = tables.Column(verbose_name=_("Approval"))
    district = tables.Column(verbose_name=_("District"))
    student_group = tables.Column(verbose_name=_("Student group"))
    sources = tables.Column(verbose_name=_("Source and evidence"), accessor="source_text",
                            empty_values=())
    note = tables.Column(verbose_name=_("Note"), default="")

    class Meta(BaseTable.Meta):
        orderable = False
        empty_text = _("No readings for this district and student group yet.")

    def __init__(self, data, *, metric, **kwargs):
        self.metric = metric
        super().__init__(data, caption=html_message(
            _("Readings of %(name)s"), name=in_page_language(metric, "name")), **kwargs)

    def render_district(self, value):
        return in_page_language(value, "name")

    def render_student_group(self, value):
        return in_page_language(value, "name")

    def render_value(self, record):
        figure = self.metric.format(record.value, record.qualifier)
        if record.display_counts:  # the counts the share was worked out from (issue 16)
            figure = format_html('{} <span class="muted">({})</span>', figure,
                                 record.display_counts)
        if record.is_derived:
            return format_html('{} <span class="badge">{}</span>', figure, _("derived"))
        return figure

    def render_sources(self, record):
        # Written here rather than by a template a cell (a TemplateColumn), which cost a
        # tenth of the metric page for one district's readings (bench/run.py).
        parts = []
        if record.source_text:
            parts.append(format_html("<q>{}</q>", record.source_text))
        if record.evidence_url:
            parts.append(format_html(' <a href="{}" rel="noopener noreferrer">{}</a>',
                                     record.evidence_url, _("evidence link")))
        if record.evidence_file:
            parts.append(format_html(' <a href="{}">{}</a>', reverse(
                "metrics:evidence", args=[record.pk]), _("evidence file")))
        return format_html_join("", "{}", ((part,) for part in parts))

    def render_state(self, record):
        # "Returned: <the lead's comment>" is the state's own label (Reading.state_label).
        parts = [record.state_label]
        if (record.awaits_approval or record.is_returned) and record.approved_value is not None:
            parts.append(format_html(
                '<br><span class="muted">{}</span>', _("approved: %(figure)s") % {
                    "figure": self.metric.format(record.approved_value, record.approved_qualifier)},
            ))
        if record.review_comment and not record.is_returned:
            parts.append(format_html('<br><span class="muted">“{}”</span>',
                                     record.review_comment))
        return format_html_join("", "{}", ((part,) for part in parts))


class HistoryTable(BaseTable):
    """Every recorded change to a metric and its readings (metric_history's entries)."""

    # The language's short format (lacoe_kpi/formats): "1 Dec 2026, 14:05", "1 dic 2026, 2:05 p.m.".
    when = tables.DateTimeColumn(accessor="record__history_date", verbose_name=_("When"))
    who = tables.Column(accessor="record__history_user", verbose_name=_("Who"),
                        default=_("system"))
    what = tables.TemplateColumn(verbose_name=_("What"), accessor="kind",
                                 template_name="metrics/_history_what.html")
    changes = tables.TemplateColumn(verbose_name=_("Change (old → new)"), empty_values=(),
                                    template_name="metrics/_history_changes.html")
    restore = tables.TemplateColumn(verbose_name=_("Restore"), accessor="record",
                                    template_name="metrics/_history_restore.html")

    class Meta(BaseTable.Meta):
        orderable = False
        empty_text = _("No change recorded yet.")

    def __init__(self, data, *, metric, may_restore=False, **kwargs):
        super().__init__(
            data, caption=html_message(_("Every change to %(name)s and its readings"),
                                       name=in_page_language(metric, "name")),
            exclude=() if may_restore else ("restore",), **kwargs,
        )
        self.row_header = None  # a log: no column names its rows

    def render_who(self, value):
        return value.get_username()


class ApprovalTable(BaseTable):
    """Readings waiting for the user's approval, oldest first, each with what a lead
    judges it by: the previous approved value, the change, note and evidence, who
    entered it and when, and the plausibility warning (plausibility.warning) with its
    "checked" box. Rows are `plausibility.judged` readings; the page's one form posts
    the rows selected (`readings`) and the warnings checked (`checked`)."""

    row_header = "metric"

    select = tables.Column(verbose_name=_("Select"), accessor="pk", empty_values=())
    # Content (metric, plan, pillar, district and group names) in the page's language,
    # the English fallback marked lang="en" (translated_content.in_page_language).
    metric = tables.TemplateColumn(verbose_name=_("Metric and period"), accessor="metric__name",
                                   template_name="metrics/_approval_metric.html")
    slice = tables.TemplateColumn(verbose_name=_("District and group"), accessor="district",
                                  template_name="metrics/_approval_slice.html")
    value = tables.TemplateColumn(verbose_name=_("New value"), attrs={"td": {"class": "num"}},
                                  template_name="metrics/_approval_value.html")
    previous = tables.Column(verbose_name=_("Previous approved"), accessor="previous_value",
                             empty_values=(), attrs={"td": {"class": "num"}})
    change = tables.Column(verbose_name=_("Change"), accessor="pk", empty_values=(),
                           attrs={"td": {"class": "num"}})
    note = tables.TemplateColumn(verbose_name=_("Note and evidence"), accessor="note",
                                 empty_values=(), template_name="metrics/_approval_note.html")
    entered = tables.TemplateColumn(verbose_name=_("Entered"), accessor="updated_at",
                                    template_name="metrics/_approval_entered.html")
    check = tables.Column(verbose_name=_("Plausibility"), accessor="pk", empty_values=())

    class Meta(BaseTable.Meta):
        orderable = False
        empty_text = _("Nothing waits for your approval.")

    def __init__(self, data, *, selected=(), checked=(), row_errors=None, **kwargs):
        self.selected, self.checked = set(selected), set(checked)
        self.row_errors = row_errors or {}
        super().__init__(data, caption=_("Values waiting for your approval"), **kwargs)

    def _what(self, record):
        return format_html("{}, {}", in_page_language(record.metric, "name"), record.period)

    def render_select(self, record):
        return format_html(
            '<input type="checkbox" name="readings" value="{}" id="select-{}"{}>'
            '<label for="select-{}"><span class="visually-hidden">{}</span></label>',
            record.pk, record.pk, " checked" if record.pk in self.selected else "",
            record.pk, format_html(_("Select {what}"), what=self._what(record)),
        )

    def render_previous(self, record):
        if record.previous_value is None:
            return format_html('<span class="muted">{}</span>', _("None yet"))
        return format_html('{} <span class="muted">({})</span>',
                           record.metric.format(record.previous_value),
                           record.previous_period)

    def render_change(self, record):
        moved = plausibility.change(record)
        if moved is None:
            return "—"
        absolute, percent = moved
        sign = "+" if absolute > 0 else "−" if absolute < 0 else "±"
        text = f"{sign}{record.metric.format(abs(absolute))}"
        return f"{text} ({percent:+.1f}%)" if percent is not None else text

    def render_check(self, record):
        parts = []
        if warning := plausibility.warning(record):
            parts.append(format_html(
                '<p class="warning" id="warning-{}"><span aria-hidden="true">⚠</span> {}</p>'
                '<input type="checkbox" name="checked" value="{}" id="checked-{}"'
                ' aria-describedby="warning-{}"{}> <label for="checked-{}">{}'
                '<span class="visually-hidden">: {}</span></label>',
                record.pk, warning, record.pk, record.pk, record.pk,
                " checked" if record.pk in self.checked else "", record.pk, _("Checked"),
                self._what(record),
            ))
        else:
            parts.append(format_html('<span class="muted">{}</span>', _("Nothing unusual")))
        if error := self.row_errors.get(record.pk):
            parts.append(format_html('<ul class="errorlist" id="error-{}"><li>{}</li></ul>',
                                     record.pk, error))
        return format_html_join("", "{}", ((part,) for part in parts))


# --- The audit log -------------------------------------------------------------------

class AuditEventTable(BaseTable):
    caption = _("Audit log, newest first")
    row_header = "created_at"

    created_at = tables.DateTimeColumn(verbose_name=_("When"), format="Y-m-d H:i:s")
    kind = tables.Column(verbose_name=_("Event"))
    username = tables.Column(verbose_name=_("Account"), empty_values=(),
                             order_by=("username",))
    actor = tables.Column(verbose_name=_("By"), accessor="actor__username", default="—")
    ip_address = tables.Column(verbose_name=_("Address"), default="—")
    detail = tables.Column(verbose_name=_("Details"), default="", orderable=False)

    class Meta(BaseTable.Meta):
        model = AuditEvent
        fields = ("created_at", "kind", "username", "actor", "ip_address", "detail")
        sequence = fields
        empty_text = _("No events match these filters.")

    def render_username(self, value, record):
        return value or "—"


# --- A metric by district (metrics.equity) -------------------------------------------

class DistrictTable(BaseTable):
    """All students in each district; sorts by the keys equity.district_rows gives, which
    on a public page treat a hidden figure as none. Its own parameters (`by-district-`)
    beside the readings table's on the metric page."""

    # Each district's name opens its by-group view (equity.view_url).
    district = tables.Column(accessor="district__name", verbose_name=_("District"),
                             linkify=lambda table, record: equity.view_url(
                                 table.metric, district_id=record.district_id))
    latest = tables.Column(accessor="sort_latest", verbose_name=_("Latest"), empty_values=(),
                           order_by=("sort_latest", "district__name"),
                           attrs={"td": {"class": "num"}})
    latest_period = tables.Column(verbose_name=_("Period"), default="—")
    change = tables.Column(accessor="sort_change", verbose_name=_("Change"), empty_values=(),
                           order_by=("sort_change", "district__name"),
                           attrs={"td": {"class": "num"}})
    status = tables.Column(verbose_name=_("Status"), empty_values=())

    class Meta(BaseTable.Meta):
        order_by = ("district",)
        per_page = 25
        empty_text = _("No district has a figure for this metric yet.")

    def __init__(self, data, *, metric, public_view, **kwargs):
        self.metric, self.public_view = metric, public_view
        super().__init__(data, caption=html_message(
            _("%(name)s, All students, by district"), name=in_page_language(metric, "name")),
            prefix="by-district-", **kwargs)

    def render_district(self, record):
        return in_page_language(record.district, "name")

    def paginate(self, *args, **kwargs):
        # A county has tens of districts: the sorted rows come in one query, which the
        # paginator then counts and slices, so the page costs the same at any size.
        len(self.data.data)
        return super().paginate(*args, **kwargs)

    def render_latest(self, record):
        return equity.figures(record, self.metric, public_view=self.public_view)[0]

    def render_change(self, record):
        size = equity.figures(record, self.metric, public_view=self.public_view)[2]
        return "—" if size is None else format_html(
            '{} <span class="muted">{}</span>', equity.change_text(self.metric, size),
            _("since %(period)s") % {"period": record.previous_period})

    def render_status(self, record):
        # Slices carry a status once the rebuild judges them ("" until then).
        return row_status_badge(record) if record.status else "—"
