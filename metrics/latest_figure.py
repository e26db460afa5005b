"""A snapshot row's latest value as every page writes it (the tables and the template
tag `{% latest_figure row %}`): kept apart from tables.py for its size limit."""

from django.utils.html import format_html


def latest_figure(record):
    """The row's latest value, with "(computed from 3 districts)" beside a figure no one
    reported (aggregates/county.py)."""
    value = record.metric.format(record.latest_value, record.latest_qualifier)
    if not record.computed_label:
        return format_html("{}", value)
    return format_html('{} <span class="muted">({})</span>', value, record.computed_label)
