from django import template

from ..badges import row_status_badge, status_badge
from ..equity import view_url
from ..latest_figure import latest_figure as latest_figure_html
from ..status import STATUS_DISPLAY, WITHHELD, count_words, display, plan_life
from ..units import format_change

register = template.Library()


@register.simple_tag
def figure(metric, value, qualifier=""):
    """A value of `metric` written as the report writes it: "over 9,018", "$2.5 million"."""
    return metric.format(value, qualifier)


@register.simple_tag
def latest_figure(row):
    """A snapshot row's latest value, marked "computed from N districts" when no one
    reported it: the one place pages write a snapshot's value."""
    return latest_figure_html(row)


@register.simple_tag
def change(metric, value):
    return format_change(value, metric.unit)


@register.simple_tag(takes_context=True)
def status(context, row):
    """Status as colour, icon and word together (colour is never the only signal); a
    metric's row says its baseline period, and any status of a closed plan "(final)"."""
    if hasattr(row, "metric"):
        return row_status_badge(row)
    plan = context.get("plan")
    return status_badge(row.status, final=bool(getattr(plan, "closed_at", None)))


@register.simple_tag
def plan_life_message(plan):
    """What the page says of `plan`'s life: "This plan ended on 30 June 2025. …", or ""."""
    return plan_life(plan).message if plan else ""


@register.filter
def status_label(code):
    """A status's word, "Status not shown: …" for a withheld one; an unknown code as it is."""
    return display(code).word if code in STATUS_DISPLAY or code == WITHHELD else code


@register.simple_tag
def status_summary(counts):
    """Status counts in words, in the statuses' order: "5 on track, 1 at risk, 2 no data"
    ("en buen camino: 5, ..." in Spanish)."""
    order = list(STATUS_DISPLAY)
    codes = sorted(counts, key=lambda code: order.index(code) if code in order else len(order))
    return count_words({code: counts[code] for code in codes if counts[code]})


@register.simple_tag
def by_group_url(metric, district):
    """The metric page's "By student group" view of `district` (the county's for the
    county-wide row)."""
    return view_url(metric, district_id=None if district.is_total else district.pk)


@register.filter
def td_attrs(column):
    """`column.attrs.td.as_html` for the cells of a table's `column` (a BoundColumn), worked
    out once per table when no attribute depends on the row (no callable): django-tables2
    rebuilds a column's attributes for every cell, which made rows with figures cost a
    page many times an empty one (bench/run.py, the by-group view of one district)."""
    cached = getattr(column, "_td_html", None)
    if cached is not None:
        return cached
    html = column.attrs["td"].as_html()
    attrs = (column._table.attrs, column.column.attrs)  # noqa: SLF001 - the table it belongs to
    if not any(callable(value) for source in attrs for key in ("td", "cell")
               for value in (source.get(key) or {}).values()):
        column._td_html = html  # noqa: SLF001 - our cache on django-tables2's object
    return html
