"""How a metric's status, and the status of a group of metrics, is decided.

Every rule lives here so that the dashboards, the exports and the tests agree, and
so that a page can explain a status in the same words the rule used:

- `judge_metric`: one metric, with the precedence written once: a context figure is
  never judged, nor a retired metric; without an approved value, no data; with a
  target, on track, at risk or off track; without a target, the change against the
  previous approved period of the same kind (improved, maintained, declined); with one
  period only, baseline.
- `rollup_status`: a goal, priority area, pillar or plan, which claims a target status
  only when enough of its tracked metrics are judged (`has_enough_targets`).
- The plan's life: `plan_has_ended`, `is_overdue` / `overdue_filter` (nothing is
  overdue once a plan has ended or is closed), `next_due_on`.
"""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .periods import Kind, Period, metric_is_retired, next_period
from .units import Unit, format_change


class Status(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    IMPROVED = "improved", "Improved"
    MAINTAINED = "maintained", "Maintained"
    DECLINED = "declined", "Declined"
    BASELINE = "baseline", "Baseline"
    NO_TARGET = "no_target", "No target"
    NO_DATA = "no_data", "No data"
    NOT_ENOUGH_TARGETS = "not_enough_targets", "Not enough targets to judge"
    CONTEXT = "context", "Context figure"
    RETIRED = "retired", "Retired"


@dataclass(frozen=True)
class StatusDisplay:
    word: str
    icon: str
    colour: str


# How each status looks wherever it appears: pages, tables, charts, exports. Colour is
# never the only signal (the word and icon go with it); every colour has at least 4.5:1
# contrast on white, so it serves as text colour too. static/css/app.css repeats these
# in its .status-* rules and a test holds the two equal. The change statuses (blue,
# indigo, plum) and the coverage ones keep clear of the target statuses' green, amber
# and red, so a change is never read as progress against a target.
STATUS_DISPLAY = {
    Status.ON_TRACK: StatusDisplay("On track", "✔", "#1a6b34"),
    Status.AT_RISK: StatusDisplay("At risk", "▲", "#8a5300"),
    Status.OFF_TRACK: StatusDisplay("Off track", "✖", "#a4161a"),
    Status.IMPROVED: StatusDisplay("Improved", "↗", "#0b5cad"),
    Status.MAINTAINED: StatusDisplay("Maintained", "→", "#55508a"),
    Status.DECLINED: StatusDisplay("Declined", "↘", "#8e2c6e"),
    Status.BASELINE: StatusDisplay("Baseline", "◆", "#2d6670"),
    Status.NO_TARGET: StatusDisplay("No target", "○", "#5b6670"),
    Status.NO_DATA: StatusDisplay("No data", "–", "#6b7580"),
    Status.NOT_ENOUGH_TARGETS: StatusDisplay("Not enough targets to judge", "◌", "#7a4a1f"),
    Status.CONTEXT: StatusDisplay("Context figure", "ℹ", "#4f4f57"),
    Status.RETIRED: StatusDisplay("Retired", "⊘", "#5a4e44"),
}
JUDGED = (Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK)
CHANGES = (Status.IMPROVED, Status.MAINTAINED, Status.DECLINED)
# The statuses a metric can have that status counts and charts show, in their order:
# context figures and retired metrics are not counted, and "not enough targets" is a
# group's status only.
NOT_TRACKED = (Status.CONTEXT, Status.RETIRED)
STATUS_ORDER = [s for s in STATUS_DISPLAY if s not in (*NOT_TRACKED, Status.NOT_ENOUGH_TARGETS)]
UNKNOWN_DISPLAY = StatusDisplay("Unknown", "?", "#4a5560")


def display(status, *, final=False) -> StatusDisplay:
    """How `status` looks; `final` (its plan is closed) adds "(final)" to the word."""
    shown = STATUS_DISPLAY.get(status, UNKNOWN_DISPLAY)
    return replace(shown, word=f"{shown.word} (final)") if final else shown


# After the next period ends, how long before its reading counts as overdue, by the
# metric's update frequency (Metric.frequency values).
GRACE_DAYS = {"annual": 90, "quarterly": 45, "monthly": 20}
DEFAULT_GRACE_DAYS = max(GRACE_DAYS.values())


@dataclass(frozen=True)
class Judgement:
    status: str
    reason: str
    progress: float | None = None
    expected: float | None = None


NO_DATA_REASON = "No approved value yet."


def judge_metric(metric, latest_value, latest_period, *, series=None):
    """Status of `metric` given its latest approved value and period.

    `series` is the county-wide approved series, [[period, value], ...] oldest first
    (MetricSnapshot.series); without it a metric without a target reads baseline.
    The precedence, here only: context figure; no data; a target status when there
    is a target (`judge_target`); else the change status (`judge_change`); else
    baseline. A closed plan's statuses are final, and their reasons say so.
    """
    judgement = _judge(metric, latest_value, latest_period, series)
    closed_at = metric.plan.closed_at if metric.plan_id else None
    if closed_at and judgement.status not in NOT_TRACKED:
        judgement = replace(judgement, reason=(
            f"Final: the plan was closed on {_day(_local_date(closed_at))}. {judgement.reason}"
        ))
    return judgement


def _judge(metric, latest_value, latest_period, series):
    if metric.is_context:
        return Judgement(Status.CONTEXT, "A context figure: shown for what it tells, never "
                                         "judged, due or overdue.")
    if metric_is_retired(metric):
        return Judgement(Status.RETIRED, (
            f"Retired on {_day(metric.retired_on)}: {metric.retired_reason} No longer due or "
            "judged; its values stay in the history, the exports and the report."))
    if latest_value is None:
        return Judgement(Status.NO_DATA, NO_DATA_REASON)
    if metric.target_value is not None and metric.target_period:
        return judge_target(metric, latest_value, latest_period)
    return judge_change(metric, latest_value, latest_period, series) or Judgement(
        Status.BASELINE,
        f"Baseline ({latest_period}): {metric.format(latest_value)} is the only approved "
        "value of its kind, and no target is set; the next period's value will show the change.",
    )


def baseline_label(latest_period):
    """How a baseline status reads: "Baseline (2023-24)"."""
    return f"{Status.BASELINE.label} ({latest_period})"


def judge_target(metric, latest_value, latest_period):
    """On track, at risk or off track: progress toward the target against time.

    Progress is the share of the way from the baseline (0 when none) to the target
    that the latest value has come; expected is the share of the time from the
    baseline period (or the plan's start) to the end of the target period that
    has passed by the end of the latest period. Their ratio, in percent, is
    compared with the metric's thresholds: at least the on-track threshold (95 by
    default) is on track, at least the at-risk threshold (80) is at risk, less is
    off track. Lower-is-better metrics work the same way, since the way from
    baseline to target then runs downward.
    """
    latest = Decimal(latest_value)
    target = metric.target_value
    lower = metric.direction == "lower"
    baseline = metric.baseline_value
    fmt = metric.format
    if baseline is None:
        baseline = Decimal(0) if not lower else None
    if baseline is None or target == baseline:
        met = latest <= target if lower else latest >= target
        progress = 1.0 if met else (float(target / latest) if lower and latest else 0.0)
    else:
        progress = float((latest - baseline) / (target - baseline))
    target_period = Period.parse(metric.target_period)
    start = (
        Period.parse(metric.baseline_period).end
        if metric.baseline_period
        else metric.plan.starts_on - datetime.timedelta(days=1)
    )
    latest_end = Period.parse(latest_period).end
    span = (target_period.end - start).days
    expected = 1.0 if span <= 0 else min(1.0, max(0.0, (latest_end - start).days / span))
    score = 100.0 if expected == 0 else 100.0 * progress / expected
    on_track = f"the on-track threshold of {metric.on_track_threshold}%"
    at_risk = f"the at-risk threshold of {metric.at_risk_threshold}%"
    if score >= metric.on_track_threshold:
        status, rule = Status.ON_TRACK, f"at least {on_track}"
    elif score >= metric.at_risk_threshold:
        status, rule = Status.AT_RISK, f"below {on_track} but at least {at_risk}"
    else:
        status, rule = Status.OFF_TRACK, f"below {at_risk}"
    base_text = (
        f"baseline {fmt(metric.baseline_value)} ({metric.baseline_period or 'no period'})"
        if metric.baseline_value is not None
        else "no baseline (counted from 0)" if not lower else "no baseline"
    )
    reason = (
        f"Latest {fmt(latest)} ({latest_period}) against the target {fmt(target)} by "
        f"{metric.target_period}, from {base_text}: {progress:.0%} of the way made, "
        f"{expected:.0%} expected by {latest_period}, so {score:.0f}% of the expected "
        f"progress — {rule}."
    )
    return Judgement(status, reason, progress, expected)


# --- Change without a target ---------------------------------------------------

# The materiality band by unit: a change of at most this much is "maintained". For
# counts, currency, ratios and ratings it is a percent of the earlier value; for
# percents and percent changes, percentage points; for ranks, places (any move counts).
# Metric.change_band, when set, replaces the number and keeps its meaning.
RELATIVE_BAND_UNITS = (Unit.COUNT, Unit.CURRENCY, Unit.RATIO, Unit.RATING)
DEFAULT_BANDS = {
    Unit.COUNT: Decimal(2), Unit.CURRENCY: Decimal(2), Unit.RATIO: Decimal(2),
    Unit.RATING: Decimal(2), Unit.PERCENT: Decimal(1), Unit.PERCENT_CHANGE: Decimal(1),
    Unit.RANK: Decimal(0),
}


def comparable_period(latest_period, series):
    """The earlier approved (period, value) that `latest_period` is compared with.

    The newest earlier period of the same kind; for quarters and months, the same
    period a year earlier when the series has it. None when there is none.
    """
    latest = Period.parse(latest_period)
    earlier = {}
    for text, value in series or ():
        try:
            period = Period.parse(text)
        except ValidationError:
            continue
        if value not in (None, "") and period.kind == latest.kind and period.end < latest.end:
            earlier[period] = Decimal(str(value))
    if not earlier:
        return None
    if latest.kind != Kind.YEAR and latest.year_earlier() in earlier:
        chosen = latest.year_earlier()
    else:
        chosen = max(earlier, key=lambda p: (p.end, p.start))
    return chosen.text, earlier[chosen]


def change_band(metric, earlier):
    """The largest change from `earlier` that still counts as maintained, in the unit."""
    setting = metric.change_band
    if setting is None:
        setting = DEFAULT_BANDS.get(metric.unit, Decimal(2))
    if earlier == 0:
        return Decimal(0)  # from nothing, any change is material
    if metric.unit in RELATIVE_BAND_UNITS:
        return abs(earlier) * Decimal(setting) / 100
    return Decimal(setting)


def judge_change(metric, latest_value, latest_period, series):
    """Improved, maintained or declined against the comparable earlier period (or None).

    A change larger than the band (`change_band`) is improved or declined in the
    metric's direction; a change of at most the band, exactly on it included, is
    maintained.
    """
    found = comparable_period(latest_period, series)
    if found is None:
        return None
    earlier_period, earlier = found
    latest = Decimal(latest_value)
    change = latest - earlier
    band = change_band(metric, earlier)
    better = -change if metric.direction == "lower" else change
    if abs(change) <= band:
        status = Status.MAINTAINED
    else:
        status = Status.IMPROVED if better > 0 else Status.DECLINED
    setting = DEFAULT_BANDS.get(metric.unit) if metric.change_band is None else metric.change_band
    if earlier == 0:
        band_text = "the earlier value was 0, so any change counts"
    elif metric.unit in RELATIVE_BAND_UNITS:
        band_text = (f"a change of more than {_amount(metric, band)} ({setting.normalize():f}% "
                     f"of the earlier value) counts")
    elif band == 0:
        band_text = "any move counts"
    else:
        band_text = f"a change of more than {_amount(metric, band)} counts"
    direction = "lower" if metric.direction == "lower" else "higher"
    reason = (
        f"{metric.format(latest)} in {latest_period} against {metric.format(earlier)} in "
        f"{earlier_period}: {format_change(change, metric.unit, scale_max=metric.scale_max)}; "
        f"{band_text}, and {direction} is better, so {status.label.lower()}. No target is set."
    )
    return Judgement(status, reason)


def _amount(metric, number):
    return format_change(number.quantize(Decimal("0.01")).normalize(), metric.unit).lstrip("+±")


# --- The plan's life: when readings are due and overdue -------------------------


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
            return (f"This plan ended on {_day(self.ends_on)} and was closed on "
                    f"{_day(self.closed_on)}: its figures and statuses are final.")
        if self.ended:
            return (f"This plan ended on {_day(self.ends_on)}. Nothing counts as overdue any "
                    "more; values for its own periods never entered may still be added.")
        return ""


def plan_life(plan, today=None):
    closed = plan.closed_at
    return PlanLife(
        ended=plan_has_ended(plan, today), closed=bool(closed), ends_on=plan.ends_on,
        closed_on=_local_date(closed) if closed else None,
    )


def _local_date(moment):
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _day(day):
    return f"{day.day} {day:%B %Y}"


# --- Groups of metrics -----------------------------------------------------------


def coverage(counts):
    """(tracked, judged) of counts per status: tracked metrics are all but context
    figures and retired metrics, with or without data; judged ones have a target and data."""
    tracked = sum(n for status, n in counts.items() if status not in NOT_TRACKED)
    return tracked, sum(counts.get(s, 0) for s in JUDGED)


def has_enough_targets(tracked, judged):
    """A group claims a target status only when its judged metrics number at least half
    of its tracked ones and at least min(3, tracked)."""
    return judged > 0 and 2 * judged >= tracked and judged >= min(3, tracked)


def change_summary(counts):
    """"1 improved, 0 maintained, 2 declined, 100 baseline": the counts by change."""
    parts = [f"{counts.get(s, 0)} {s.label.lower()}" for s in CHANGES]
    parts += [f"{counts[s]} {s.label.lower()}" for s in (Status.BASELINE, Status.NO_TARGET,
                                                        Status.NO_DATA) if counts.get(s)]
    return ", ".join(parts)


def rollup_status(counts):
    """The status of a group of metrics (a goal, priority area, pillar or plan).

    Context figures are left out. Without enough judged metrics
    (`has_enough_targets`): not enough targets, with the counts by change in the
    reason (no data when no metric has data). Otherwise, among the judged: more than
    a quarter off track is off track; at least three quarters on track and none off
    track is on track; else at risk. Returns (status, share on track among judged or
    None, reason).
    """
    tracked, judged = coverage(counts)
    if tracked == 0:
        if counts.get(Status.CONTEXT):
            return Status.CONTEXT, None, "Only context figures here: nothing to judge."
        if counts.get(Status.RETIRED):
            return Status.RETIRED, None, "Only retired metrics here: nothing to judge."
        return Status.NO_DATA, None, "No metric here yet."
    if not has_enough_targets(tracked, judged):
        if counts.get(Status.NO_DATA, 0) == tracked:
            return Status.NO_DATA, None, "No metric here has data yet."
        return Status.NOT_ENOUGH_TARGETS, None, (
            f"{Status.NOT_ENOUGH_TARGETS.label} ({judged} of {tracked} tracked "
            f"{'metric has' if tracked == 1 else 'metrics have'} a target). "
            f"By change: {change_summary(counts)}."
        )
    on, off = counts.get(Status.ON_TRACK, 0), counts.get(Status.OFF_TRACK, 0)
    share = on / judged
    summary = f"{on} of {judged} judged metrics on track, {off} off track"
    if off / judged > 0.25:
        return Status.OFF_TRACK, share, f"{summary}: more than a quarter are off track."
    if share >= 0.75 and off == 0:
        return Status.ON_TRACK, share, f"{summary}: at least three quarters on track, none off."
    return Status.AT_RISK, share, f"{summary}: neither rule for on or off track holds."
