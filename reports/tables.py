"""Tables of the reports app (django-tables2), rendered from templates/reports partials."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .models import ExportJob, ExportState


def _when(value):
    # The language's short format (lacoe_kpi/formats): "1 dic 2026, 3:05 p.m." in Spanish.
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class ExportJobTable(tables.Table):
    """A user's recent exports, newest first (the order they come in), each linked to
    its job page."""

    export = tables.Column(
        verbose_name=_("Export"), accessor="pk", orderable=False,
        linkify=lambda record: reverse("reports:job", args=[record.pk]),
    )
    state = tables.Column(verbose_name=_("State"), orderable=False)
    created_at = tables.Column(verbose_name=_("Asked for"), orderable=False)
    expires_at = tables.Column(verbose_name=_("Available until"), orderable=False)

    class Meta:
        model = ExportJob
        fields = ("export", "state", "created_at", "expires_at")
        sequence = fields
        attrs = {"class": "data-table"}
        template_name = "reports/_jobs_table.html"
        empty_text = _("No export yet.")

    caption = _("Your recent exports")

    def render_export(self, record):
        return f"{record.get_format_display()}: {record.plan.name} {record.school_year}"

    def render_created_at(self, value):
        return _when(value)

    def render_expires_at(self, record, value):
        return "—" if record.state == ExportState.EXPIRED else _when(value)


class MissingTranslationTable(tables.Table):
    """Content without its Spanish version (metrics.translated_content.missing), each
    linked to the admin page where an administrator writes it."""

    kind = tables.Column(verbose_name=_("What"), orderable=False)
    label = tables.Column(verbose_name=_("Which"), orderable=False,
                          linkify=lambda record: record.admin_url or None)
    field = tables.Column(verbose_name=_("Field"), orderable=False)
    english = tables.Column(verbose_name=_("English text (shown meanwhile)"), orderable=False)

    class Meta:
        attrs = {"class": "data-table"}
        empty_text = _("Nothing is missing: every text has its Spanish version.")
        template_name = "reports/_jobs_table.html"  # the table with its caption

    caption = _("Texts without a Spanish version")

    def render_english(self, value):
        return Truncator(value).chars(140)
