"""The plan's life: when readings are due and overdue, and whether the plan has ended
or was closed (issue 8); `metrics.status` re-exports it, where callers read it.

- `next_due_on`, `due_on`: the day after which a reading is overdue (grace time by
  frequency); `is_overdue` / `overdue_filter`: the one overdue rule (nothing is overdue
  once a plan has ended or is closed); `plan_has_ended`, `plan_life`.
- `written_day`: a day written out in the active language, as reasons and messages
  write it.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .periods import metric_is_retired, next_period

# After the next period ends, how long before its reading counts as overdue, by the
# metric's update frequency (Metric.frequency values).
GRACE_DAYS = {"annual": 90, "quarterly": 45, "monthly": 20}
DEFAULT_GRACE_DAYS = max(GRACE_DAYS.values())


def next_due_on(metric, latest_period, today=None):
    """The day after which the reading for the period following `latest_period` is overdue.

    None when nothing was entered yet, for a context figure or a retired metric, or when
    no period of the plan follows (`periods.next_period`, the one rule for the period
    due next).
    """
    if not latest_period or metric.is_context or metric_is_retired(metric, today):
        return None
    following = next_period(metric, latest_period, today or timezone.localdate())
    return None if following is None else due_on(metric, following)


def due_on(metric, period):
    """The day after which `metric`'s reading for `period` is overdue: the period's end
    plus the grace time of the metric's frequency."""
    return period.end + datetime.timedelta(
        days=GRACE_DAYS.get(metric.frequency, DEFAULT_GRACE_DAYS)
    )


def overdue_until(plan):
    """The last day on which anything of `plan` can be overdue: its end date plus the
    longest grace time of its (non-context) metrics. The plan has ended after it.

    Remembered on the plan object: callers looping over rows share one plan object.
    """
    cached = plan.__dict__.get("_overdue_until")
    if cached is None:
        frequencies = (
            set(plan.metrics.filter(is_context=False).values_list("frequency", flat=True))
            if plan.pk else set()
        )
        grace = max((GRACE_DAYS.get(f, DEFAULT_GRACE_DAYS) for f in frequencies),
                    default=DEFAULT_GRACE_DAYS)
        cached = plan.__dict__["_overdue_until"] = plan.ends_on + datetime.timedelta(days=grace)
    return cached


def plan_has_ended(plan, today=None):
    """Ended: past its end date plus the longest grace time. Nothing is overdue any more;
    stewards may still enter its own periods never entered (until it is closed)."""
    return (today or timezone.localdate()) > overdue_until(plan)


def is_overdue(due_on, plan, today=None):
    """The one overdue rule: past its due day, in a plan neither ended nor closed."""
    today = today or timezone.localdate()
    return bool(due_on) and due_on < today and not plan.closed_at and not plan_has_ended(
        plan, today)


def overdue_filter(plan, today=None, field="next_due_on"):
    """`is_overdue` as a filter on rows of `plan` that carry the due day in `field`."""
    today = today or timezone.localdate()
    if plan.closed_at or plan_has_ended(plan, today):
        return Q(pk__in=[])
    return Q(**{f"{field}__lt": today})


@dataclass(frozen=True)
class PlanLife:
    """What a page says about where `plan` stands: open, ended or closed."""

    ended: bool
    closed: bool
    ends_on: datetime.date
    closed_on: datetime.date | None

    @property
    def message(self):
        if self.closed:
            return _("This plan ended on %(ended)s and was closed on %(closed)s: its figures "
                     "and statuses are final.") % {"ended": written_day(self.ends_on),
                                                   "closed": written_day(self.closed_on)}
        if self.ended:
            return _("This plan ended on %(ended)s. Nothing counts as overdue any more; values "
                     "for its own periods never entered may still be added.") % {
                "ended": written_day(self.ends_on)}
        return ""


def plan_life(plan, today=None):
    closed = plan.closed_at
    return PlanLife(
        ended=plan_has_ended(plan, today), closed=bool(closed), ends_on=plan.ends_on,
        closed_on=local_date(closed) if closed else None,
    )


def local_date(moment):
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def written_day(day):
    """"1 July 2024"; in Spanish "1 de julio de 2024" (README "Languages")."""
    return dateformat.format(day, pgettext("a day written out (Django date format)", "j F Y"))

