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
  overdue once a plan has ended or is closed), `next_due_on`: in `plan_life.py`,
  re-exported here.

Every word and reason is in the active language (issue 18): the rebuild writes each
stored reason once per language (aggregates.rebuild._in_each_language).
"""

import datetime
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy, pgettext_lazy

from .periods import Kind, Period, metric_is_retired
from .plan_life import (  # noqa: F401  (re-exported: callers read the plan's life here)
    DEFAULT_GRACE_DAYS,
    GRACE_DAYS,
    PlanLife,
    due_on,
    is_overdue,
    local_date,
    next_due_on,
    overdue_filter,
    overdue_until,
    plan_has_ended,
    plan_life,
    written_day,
)
from .units import Unit, format_change


class Status(models.TextChoices):
    ON_TRACK = "on_track", gettext_lazy("On track")
    AT_RISK = "at_risk", gettext_lazy("At risk")
    OFF_TRACK = "off_track", gettext_lazy("Off track")
    IMPROVED = "improved", gettext_lazy("Improved")
    MAINTAINED = "maintained", gettext_lazy("Maintained")
    # "Declined" is the Dashboard's word for a figure that went down too (metrics/dashboard.py,
    # "Disminuyó"); a status that declined got worse: its own context ("Empeoró").
    DECLINED = "declined", pgettext_lazy("metric status", "Declined")
    BASELINE = "baseline", gettext_lazy("Baseline")
    NO_TARGET = "no_target", gettext_lazy("No target")
    NO_DATA = "no_data", gettext_lazy("No data")
    NOT_ENOUGH_TARGETS = "not_enough_targets", gettext_lazy("Not enough targets to judge")
    CONTEXT = "context", gettext_lazy("Context figure")
    RETIRED = "retired", gettext_lazy("Retired")


@dataclass(frozen=True)
class StatusDisplay:
    word: str
    icon: str
    colour: str


# How each status looks wherever it appears: pages, tables, charts, exports (its word is
# its label, in the active language: `display` gives it as text). Colour is
# never the only signal (the word and icon go with it); every colour has at least 4.5:1
# contrast on white, so it serves as text colour too. static/css/app.css repeats these
# in its .status-* rules and a test holds the two equal. The change statuses (blue,
# indigo, plum) and the coverage ones keep clear of the target statuses' green, amber
# and red, so a change is never read as progress against a target.
STATUS_DISPLAY = {
    Status.ON_TRACK: StatusDisplay(Status.ON_TRACK.label, "✔", "#1a6b34"),
    Status.AT_RISK: StatusDisplay(Status.AT_RISK.label, "▲", "#8a5300"),
    Status.OFF_TRACK: StatusDisplay(Status.OFF_TRACK.label, "✖", "#a4161a"),
    Status.IMPROVED: StatusDisplay(Status.IMPROVED.label, "↗", "#0b5cad"),
    Status.MAINTAINED: StatusDisplay(Status.MAINTAINED.label, "→", "#55508a"),
    Status.DECLINED: StatusDisplay(Status.DECLINED.label, "↘", "#8e2c6e"),
    Status.BASELINE: StatusDisplay(Status.BASELINE.label, "◆", "#2d6670"),
    Status.NO_TARGET: StatusDisplay(Status.NO_TARGET.label, "○", "#5b6670"),
    Status.NO_DATA: StatusDisplay(Status.NO_DATA.label, "–", "#6b7580"),
    Status.NOT_ENOUGH_TARGETS: StatusDisplay(Status.NOT_ENOUGH_TARGETS.label, "◌", "#7a4a1f"),
    Status.CONTEXT: StatusDisplay(Status.CONTEXT.label, "ℹ", "#4f4f57"),
    Status.RETIRED: StatusDisplay(Status.RETIRED.label, "⊘", "#5a4e44"),
}
JUDGED = (Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK)
CHANGES = (Status.IMPROVED, Status.MAINTAINED, Status.DECLINED)
# The statuses a metric can have that status counts and charts show, in their order:
# context figures and retired metrics are not counted, and "not enough targets" is a
# group's status only.
NOT_TRACKED = (Status.CONTEXT, Status.RETIRED)
STATUS_ORDER = [s for s in STATUS_DISPLAY if s not in (*NOT_TRACKED, Status.NOT_ENOUGH_TARGETS)]
UNKNOWN_DISPLAY = StatusDisplay(gettext_lazy("Unknown"), "?", "#4a5560")
# Not a stored status: what the public is shown in place of a status judged on a figure
# the publication rule withholds (metrics.public.public_status decides); its icon is the
# suppression mark, privacy.MARK, that points to the figure's footnote.
WITHHELD = "withheld"
WITHHELD_DISPLAY = StatusDisplay(gettext_lazy("Status not shown: the figure is suppressed"),
                                 "*", "#4a5560")


def display(status, *, final=False) -> StatusDisplay:
    """How `status` looks, its word in the active language; `final` (its plan is
    closed) adds "(final)" to the word."""
    shown = WITHHELD_DISPLAY if status == WITHHELD else STATUS_DISPLAY.get(status,
                                                                           UNKNOWN_DISPLAY)
    word = _("%(status)s (final)") % {"status": shown.word} if final else str(shown.word)
    return replace(shown, word=word)



@dataclass(frozen=True)
class Judgement:
    status: str
    reason: str
    progress: float | None = None
    expected: float | None = None


NO_DATA_REASON = gettext_lazy("No approved value yet.")


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
            _("Final: the plan was closed on %(day)s. %(reason)s")
            % {"day": written_day(local_date(closed_at)), "reason": judgement.reason}
        ))
    return judgement


def _judge(metric, latest_value, latest_period, series):
    if metric.is_context:
        return Judgement(Status.CONTEXT, _("A context figure: shown for what it tells, never "
                                           "judged, due or overdue."))
    if metric_is_retired(metric):
        return Judgement(Status.RETIRED, _(
            "Retired on %(day)s: %(why)s No longer due or judged; its values stay in the "
            "history, the exports and the report."
        ) % {"day": written_day(metric.retired_on), "why": metric.retired_reason})
    if latest_value is None:
        return Judgement(Status.NO_DATA, str(NO_DATA_REASON))
    if metric.target_value is not None and metric.target_period:
        return judge_target(metric, latest_value, latest_period)
    return judge_change(metric, latest_value, latest_period, series) or Judgement(
        Status.BASELINE,
        _("Baseline (%(period)s): %(value)s is the only approved value of its kind, and no "
          "target is set; the next period's value will show the change.")
        % {"period": latest_period, "value": metric.format(latest_value)},
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
    if score >= metric.on_track_threshold:
        status, sentence = Status.ON_TRACK, _(
            "Latest %(latest)s (%(period)s) against the target %(target)s by %(target_period)s, "
            "%(from_baseline)s: %(progress)s of the way made, %(expected)s expected by "
            "%(period)s, so %(score)s of the expected progress — at least the on-track "
            "threshold of %(on_track)s%%.")
    elif score >= metric.at_risk_threshold:
        status, sentence = Status.AT_RISK, _(
            "Latest %(latest)s (%(period)s) against the target %(target)s by %(target_period)s, "
            "%(from_baseline)s: %(progress)s of the way made, %(expected)s expected by "
            "%(period)s, so %(score)s of the expected progress — below the on-track "
            "threshold of %(on_track)s%% but at least the at-risk threshold of %(at_risk)s%%.")
    else:
        status, sentence = Status.OFF_TRACK, _(
            "Latest %(latest)s (%(period)s) against the target %(target)s by %(target_period)s, "
            "%(from_baseline)s: %(progress)s of the way made, %(expected)s expected by "
            "%(period)s, so %(score)s of the expected progress — below the at-risk "
            "threshold of %(at_risk)s%%.")
    if metric.baseline_value is not None:
        from_baseline = _("from baseline %(value)s (%(period)s)") % {
            "value": fmt(metric.baseline_value),
            "period": metric.baseline_period or _("no period")}
    else:
        from_baseline = _("from no baseline (counted from 0)") if not lower else _(
            "from no baseline")
    reason = sentence % {
        "latest": fmt(latest), "period": latest_period, "target": fmt(target),
        "target_period": metric.target_period, "from_baseline": from_baseline,
        "progress": f"{progress:.0%}", "expected": f"{expected:.0%}", "score": f"{score:.0f}%",
        "on_track": metric.on_track_threshold, "at_risk": metric.at_risk_threshold,
    }
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
    for text, value, *_marks in series or ():
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
        band_text = _("the earlier value was 0, so any change counts")
    elif metric.unit in RELATIVE_BAND_UNITS:
        band_text = _("a change of more than %(amount)s (%(share)s%% of the earlier value) "
                      "counts") % {"amount": _amount(metric, band),
                                   "share": f"{setting.normalize():f}"}
    elif band == 0:
        band_text = _("any move counts")
    else:
        band_text = _("a change of more than %(amount)s counts") % {
            "amount": _amount(metric, band)}
    reason = _(
        "%(latest)s in %(period)s against %(earlier)s in %(earlier_period)s: %(change)s; "
        "%(band)s, and %(better)s, so %(status)s. No target is set."
    ) % {
        "latest": metric.format(latest), "period": latest_period,
        "earlier": metric.format(earlier), "earlier_period": earlier_period,
        "change": format_change(change, metric.unit, scale_max=metric.scale_max),
        "band": band_text,
        "better": _("lower is better") if metric.direction == "lower" else _("higher is better"),
        "status": CHANGE_WORDS[status],
    }
    return Judgement(status, reason)


# How a change status reads inside a sentence ("..., so improved.").
CHANGE_WORDS = {
    Status.IMPROVED: pgettext_lazy("a change status inside a sentence", "improved"),
    Status.MAINTAINED: pgettext_lazy("a change status inside a sentence", "maintained"),
    Status.DECLINED: pgettext_lazy("a change status inside a sentence", "declined"),
}


def _amount(metric, number):
    return format_change(number.quantize(Decimal("0.01")).normalize(), metric.unit).lstrip("+±")



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
    parts = [_count(s, counts.get(s, 0)) for s in CHANGES]
    parts += [_count(s, counts[s]) for s in (Status.BASELINE, Status.NO_TARGET, Status.NO_DATA)
              if counts.get(s)]
    return ", ".join(parts)


# "3 improved": a number of metrics with a status, in a list of counts.
COUNT_WORDS = {
    Status.IMPROVED: ngettext_lazy("%(count)s improved", "%(count)s improved", "count"),
    Status.MAINTAINED: ngettext_lazy("%(count)s maintained", "%(count)s maintained", "count"),
    Status.DECLINED: ngettext_lazy("%(count)s declined", "%(count)s declined", "count"),
    Status.BASELINE: ngettext_lazy("%(count)s baseline", "%(count)s baseline", "count"),
    Status.NO_TARGET: ngettext_lazy("%(count)s no target", "%(count)s no target", "count"),
    Status.NO_DATA: ngettext_lazy("%(count)s no data", "%(count)s no data", "count"),
    WITHHELD: ngettext_lazy("%(count)s status not shown (figure suppressed)",
                            "%(count)s statuses not shown (figures suppressed)", "count"),
}


def _count(status, count):
    if status in COUNT_WORDS:
        return COUNT_WORDS[status] % {"count": count}
    # The other statuses: the count beside the status word ("5 on track", "en buen
    # camino: 5" in Spanish).
    return _("%(count)s %(status)s") % {"count": count, "status": display(status).word.lower()}


def count_words(counts):
    """{status: count} in words, in the order given: "5 on track, 1 at risk"."""
    return ", ".join(_count(status, count) for status, count in counts.items())


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
            return Status.CONTEXT, None, _("Only context figures here: nothing to judge.")
        if counts.get(Status.RETIRED):
            return Status.RETIRED, None, _("Only retired metrics here: nothing to judge.")
        return Status.NO_DATA, None, _("No metric here yet.")
    if not has_enough_targets(tracked, judged):
        if counts.get(Status.NO_DATA, 0) == tracked:
            return Status.NO_DATA, None, _("No metric here has data yet.")
        return Status.NOT_ENOUGH_TARGETS, None, ngettext(
            "Not enough targets to judge (%(judged)s of %(tracked)s tracked metric has a "
            "target). By change: %(changes)s.",
            "Not enough targets to judge (%(judged)s of %(tracked)s tracked metrics have a "
            "target). By change: %(changes)s.",
            tracked,
        ) % {"judged": judged, "tracked": tracked, "changes": change_summary(counts)}
    on, off = counts.get(Status.ON_TRACK, 0), counts.get(Status.OFF_TRACK, 0)
    share = on / judged
    numbers = {"on": on, "judged": judged, "off": off}
    if off / judged > 0.25:
        return Status.OFF_TRACK, share, ngettext(
            "%(on)s of %(judged)s judged metrics on track, %(off)s off track: more than a "
            "quarter are off track.",
            "%(on)s of %(judged)s judged metrics on track, %(off)s off track: more than a "
            "quarter are off track.", judged) % numbers
    if share >= 0.75 and off == 0:
        return Status.ON_TRACK, share, ngettext(
            "%(on)s of %(judged)s judged metrics on track, %(off)s off track: at least three "
            "quarters on track, none off.",
            "%(on)s of %(judged)s judged metrics on track, %(off)s off track: at least three "
            "quarters on track, none off.", judged) % numbers
    return Status.AT_RISK, share, ngettext(
        "%(on)s of %(judged)s judged metrics on track, %(off)s off track: neither rule for on "
        "or off track holds.",
        "%(on)s of %(judged)s judged metrics on track, %(off)s off track: neither rule for on "
        "or off track holds.", judged) % numbers
