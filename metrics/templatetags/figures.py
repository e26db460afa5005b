from django import template

from ..tables import status_badge
from ..units import format_change

register = template.Library()


@register.simple_tag
def figure(metric, value, qualifier=""):
    """A value of `metric` written as the report writes it: "over 9,018", "$2.5 million"."""
    return metric.format(value, qualifier)


@register.simple_tag
def change(metric, value):
    return format_change(value, metric.unit)


@register.simple_tag
def status(row):
    """Status as colour, icon and word together (colour is never the only signal)."""
    return status_badge(row.status, row.get_status_display())


@register.filter
def status_label(code):
    from ..models import Status

    try:
        return Status(code).label
    except ValueError:
        return code
