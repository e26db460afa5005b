"""A status as the pages write it: its icon and word together, the word saying a
baseline's period and "(final)" in a closed plan (colour is never the only cue)."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .status import WITHHELD, Status, baseline_label, display


def status_word(status, *, period=None, final=False):
    """The status in words, "Baseline (2023-24)" for a baseline, "On track (final)" if closed.
    The word is status.display's, not the model's get_status_display(), which hashes every
    lazy label of the choices on each call: 70 µs a badge, most of a status column's cost."""
    label = display(status).word
    if status == WITHHELD:  # its word, never "(final)": no status is shown to be final
        return label
    if status == Status.BASELINE and period:
        label = baseline_label(period)
    return _("%(status)s (final)") % {"status": label} if final else label


def status_badge(status, *, period=None, final=False):
    return format_html(
        '<span class="status status-{}"><span aria-hidden="true">{}</span> {}</span>',
        status, display(status).icon, status_word(status, period=period, final=final),
    )


def row_status_badge(record):
    """A snapshot row's badge: its period for a baseline, "(final)" in a closed plan."""
    return status_badge(record.status, period=record.latest_period,
                        final=bool(record.metric.plan.closed_at))
