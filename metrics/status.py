"""How a metric's status, and the status of a group of metrics, is decided.

Both rules live here so that the dashboards, the exports and the tests agree, and
so that a page can explain a status in the same words the rule used.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from .periods import Period


class Status(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"
    NO_TARGET = "no_target", "No target"
    NO_DATA = "no_data", "No data"


@dataclass(frozen=True)
class StatusDisplay:
    word: str
    icon: str
    colour: str


# How each status looks wherever it appears: pages, tables, charts, exports. Colour is
# never the only signal (the word and icon go with it); every colour has at least 4.5:1
# contrast on white, so it serves as text colour too. static/css/app.css repeats these
# in its .status-* rules and a test holds the two equal.
STATUS_DISPLAY = {
    Status.ON_TRACK: StatusDisplay("On track", "✔", "#1a6b34"),
    Status.AT_RISK: StatusDisplay("At risk", "▲", "#8a5300"),
    Status.OFF_TRACK: StatusDisplay("Off track", "✖", "#a4161a"),
    Status.NO_TARGET: StatusDisplay("No target", "○", "#5b6670"),
    Status.NO_DATA: StatusDisplay("No data", "–", "#6b7580"),
}
STATUS_ORDER = list(STATUS_DISPLAY)
UNKNOWN_DISPLAY = StatusDisplay("Unknown", "?", "#4a5560")


def display(status) -> StatusDisplay:
    return STATUS_DISPLAY.get(status, UNKNOWN_DISPLAY)


# After the next period ends, how long before its reading counts as overdue, by the
# metric's update frequency (Metric.frequency values).
GRACE_DAYS = {"annual": 90, "quarterly": 45, "monthly": 20}


@dataclass(frozen=True)
class Judgement:
    status: str
    reason: str
    progress: float | None = None
    expected: float | None = None


def judge_metric(metric, latest_value, latest_period):
    """Status of `metric` given its latest value and period.

    Progress is the share of the way from the baseline (0 when none) to the target
    that the latest value has come; expected is the share of the time from the
    baseline period (or the plan's start) to the end of the target period that
    has passed by the end of the latest period. Their ratio, in percent, is
    compared with the metric's thresholds: at least the on-track threshold (95 by
    default) is on track, at least the at-risk threshold (80) is at risk, less is
    off track. Lower-is-better metrics work the same way, since the way from
    baseline to target then runs downward.
    """
    if latest_value is None:
        return Judgement(Status.NO_DATA, "No reading yet.")
    if metric.target_value is None or not metric.target_period:
        return Judgement(Status.NO_TARGET, "No target is set, so progress cannot be judged.")
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


def next_due_on(metric, latest_period):
    """The day after which the reading for the period following `latest_period` is overdue."""
    if not latest_period:
        return None
    following = Period.parse(latest_period).next()
    return following.end + datetime.timedelta(days=GRACE_DAYS.get(metric.frequency, 90))


JUDGED = (Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK)


def rollup_status(counts):
    """The status of a group of metrics (a goal, priority area, pillar or plan).

    Only metrics with a target and data are judged. More than a quarter of them
    off track: off track. At least three quarters on track and none off track: on
    track. Otherwise at risk. With none judged: no target if any metric has data,
    else no data. Returns (status, share on track among judged or None, reason).
    """
    judged = sum(counts.get(s, 0) for s in JUDGED)
    if judged == 0:
        if counts.get(Status.NO_TARGET, 0):
            return Status.NO_TARGET, None, "No metric here has both a target and data."
        return Status.NO_DATA, None, "No metric here has data yet."
    on, off = counts.get(Status.ON_TRACK, 0), counts.get(Status.OFF_TRACK, 0)
    share = on / judged
    summary = f"{on} of {judged} judged metrics on track, {off} off track"
    if off / judged > 0.25:
        return Status.OFF_TRACK, share, f"{summary}: more than a quarter are off track."
    if share >= 0.75 and off == 0:
        return Status.ON_TRACK, share, f"{summary}: at least three quarters on track, none off."
    return Status.AT_RISK, share, f"{summary}: neither rule for on or off track holds."
