"""The California School Dashboard's five-by-five placement of a figure (issue 16).

A Dashboard scale (metrics.models.DashboardScale, or any object with its attributes) holds
five status levels and five change levels, each a range of rounded values in the order
CDE prints them, and the 5x5 table of colours in that same order. This module is pure:
it reads the scale's attributes and touches no database.

The rules, as the Dashboard applies them (sources: the fixture
fixtures/dashboard/chronic-absenteeism.yaml cites each one; what could not be verified is
written there too):

- Rounding: Status and Change are rounded to the nearest tenth ("standard rounding"),
  and Change is computed from the unrounded figures, then rounded (CDE, 2019
  Five-by-Five Placement report note; record layouts 2023-2025: "Rounded to nearest 0.1
  after calculations"). Ties round half up, away from zero (Decimal ROUND_HALF_UP).
- A level's range is inclusive at both ends, on the rounded value ("2.6% to 5.0%").
- No colour without a prior-year figure (no Change), with fewer than `min_n` students,
  or when the number of students is not recorded.
- Fewer than `small_n` students: CDE places small populations on a 3x5 grid that we
  could not verify, so the levels and the grid position are given, the colour is not.
"""

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy

from .periods import Period

# The Dashboard's five performance levels, best first.
COLOURS = ("Blue", "Green", "Yellow", "Orange", "Red")
LOWER_IS_BETTER = "lower"  # Metric Direction value (metrics.models.metric.Direction.LOWER)
SIZE = 5
# The Dashboard's words as the page shows them: the level and colour names of our scales
# (fixtures/dashboard/) and the colours, which stay English in the data (scale.colours,
# CSS classes). The Spanish follows CDE's Dashboard in Spanish (caschooldashboard.org,
# "Español"), as gathered in the Spanish dimensions file of issue 18; a name we do not
# know is shown as the scale writes it.
WORDS = {
    "Blue": gettext_lazy("Blue"), "Green": gettext_lazy("Green"),
    "Yellow": gettext_lazy("Yellow"), "Orange": gettext_lazy("Orange"),
    "Red": gettext_lazy("Red"),
    "Very Low": gettext_lazy("Very Low"), "Low": gettext_lazy("Low"),
    "Medium": gettext_lazy("Medium"), "High": gettext_lazy("High"),
    "Very High": gettext_lazy("Very High"),
    "Increased Significantly": gettext_lazy("Increased Significantly"),
    "Increased": gettext_lazy("Increased"), "Maintained": gettext_lazy("Maintained"),
    "Declined": gettext_lazy("Declined"),
    "Declined Significantly": gettext_lazy("Declined Significantly"),
    "Chronic Absenteeism Indicator": gettext_lazy("Chronic Absenteeism Indicator"),
    "percentage points": gettext_lazy("percentage points"),
}
# change_needed tries every rounded figure of a scale's range: a bound on how many.
MAX_DECIMALS = 2
MAX_FIGURES = 100_000


def dashboard_word(name):
    """A scale's level, colour, indicator or unit name in the page's language."""
    return WORDS.get(name, name) if name else name


@dataclass(frozen=True)
class Placement:
    status: str | None  # status level name
    change: str | None  # change level name
    colour: str | None
    reason: str  # why there is no colour; "" when there is one
    status_value: Decimal | None = None  # rounded
    change_value: Decimal | None = None  # rounded
    row: int | None = None  # grid position, in the published order
    column: int | None = None

    # The names in the page's language; `status`, `change` and `colour` stay the scale's.
    @property
    def status_word(self):
        return dashboard_word(self.status)

    @property
    def change_word(self):
        return dashboard_word(self.change)

    @property
    def colour_word(self):
        return dashboard_word(self.colour)


@dataclass(frozen=True)
class Needed:
    """What next year's figure must be for `colour` or better, when this year's is `current`."""
    colour: str
    value: Decimal  # the worst figure that still reaches `colour` or better
    change: Decimal  # value - current, rounded


def _step(scale):
    return Decimal(1).scaleb(-scale.decimals)


def round_figure(scale, value):
    """The Dashboard's rounding of a Status or a Change (see the module docstring)."""
    return Decimal(str(value)).quantize(_step(scale), rounding=ROUND_HALF_UP)


def _bound(level, key):
    value = level.get(key)
    return None if value in (None, "") else Decimal(str(value))


def _level_index(levels, value):
    for index, level in enumerate(levels):
        low, high = _bound(level, "min"), _bound(level, "max")
        if (low is None or value >= low) and (high is None or value <= high):
            return index
    return None


def place(scale, current, previous, n, *, show_n=True):
    """Where `current` (with `previous`, the prior year's figure) falls on `scale`'s grid.

    `n` is the number of students behind the current figure (None: not recorded;
    MetricSnapshot.latest_n). Without `show_n` (public pages) the reason for no colour
    does not write n: a published figure's n with its value gives its numerator, and
    the numerators of a total and its published parts would give a suppressed part's.
    """
    if current is None:
        return Placement(None, None, None, gettext("No current-year figure."))
    status_value = round_figure(scale, current)
    row = _level_index(scale.status_levels, status_value)
    if row is None:
        return Placement(None, None, None, gettext(
            "%(value)s is outside the scale's levels.") % {
                "value": f"{status_value}{scale.value_suffix}"}, status_value)
    placed = Placement(scale.status_levels[row]["name"], None, None, "", status_value, row=row)
    if previous is None:
        return replace(placed, reason=gettext("No prior-year figure: the Dashboard gives no "
                                              "colour without a Change."))
    change_value = round_figure(scale, Decimal(str(current)) - Decimal(str(previous)))
    column = _level_index(scale.change_levels, change_value)
    if column is None:
        return replace(placed, change_value=change_value,
                       reason=gettext("A change of %(change)s is outside the scale's "
                                      "levels.") % {"change": change_value})
    placed = replace(placed, change=scale.change_levels[column]["name"],
                     change_value=change_value, column=column)
    if reason := _why_no_colour(scale, n, show_n):
        return replace(placed, reason=reason)
    return replace(placed, colour=scale.colours[row][column])


def _why_no_colour(scale, n, show_n=True):
    """The Dashboard's rules on the number of students, or "" when a colour is given."""
    if n is None:
        text = gettext("The number of students is not recorded: the Dashboard gives a colour "
                       "only from %(min_n)s students.")
    elif n < scale.min_n:
        text = (gettext("Too few students (%(n)s): the Dashboard gives a colour only from "
                        "%(min_n)s.") if show_n else
                gettext("Too few students: the Dashboard gives a colour only from %(min_n)s."))
    elif scale.small_n and n < scale.small_n:
        text = (gettext("Fewer than %(small_n)s students (%(n)s): the Dashboard uses its "
                        "small-population grid, not reproduced here.") if show_n else
                gettext("Fewer than %(small_n)s students: the Dashboard uses its "
                        "small-population grid, not reproduced here."))
    else:
        return ""
    return text % {"n": n, "min_n": scale.min_n, "small_n": scale.small_n}


def _candidates(scale):
    step = _step(scale)
    value = round_figure(scale, scale.value_min)
    while value <= scale.value_max:
        yield value
        value += step


def _rank(colour):
    return COLOURS.index(colour)


def change_needed(scale, current, target_colour="Green"):
    """The figure next year needs for `target_colour` or better, or None if none does.

    Next year's Change is measured from this year's figure (`current`), so the prior
    year's figure plays no part. Every rounded figure in the scale's range is tried; the
    published tables get no better as a figure worsens (validate_scale holds them to
    it), so the figures that reach the colour run from the best end of the range to
    the one returned.
    """
    if current is None or target_colour not in COLOURS:
        return None
    reaching = [value for value in _candidates(scale)
                if (colour := _colour_at(scale, value, current)) is not None
                and _rank(colour) <= _rank(target_colour)]
    if not reaching:
        return None
    value = max(reaching) if scale.direction == LOWER_IS_BETTER else min(reaching)
    return Needed(target_colour, value, round_figure(scale, value - Decimal(str(current))))


def _colour_at(scale, value, previous):
    row = _level_index(scale.status_levels, value)
    column = _level_index(scale.change_levels,
                          round_figure(scale, value - Decimal(str(previous))))
    return None if row is None or column is None else scale.colours[row][column]


# describe_needed's sentences, whole (never put together from pieces), by case and by
# whether lower is better.
NEEDED_SENTENCES = {
    ("hold", True): gettext_lazy(
        "Hold at %(value)s or lower next year for %(colour)s or better."),
    ("hold", False): gettext_lazy(
        "Hold at %(value)s or higher next year for %(colour)s or better."),
    ("must", True): gettext_lazy(
        "Fall by at least %(size)s next year, from %(current)s to %(value)s or lower, for "
        "%(colour)s or better."),
    ("must", False): gettext_lazy(
        "Rise by at least %(size)s next year, from %(current)s to %(value)s or higher, for "
        "%(colour)s or better."),
    ("may", True): gettext_lazy(
        "It may rise by up to %(size)s next year, to %(value)s or lower, and still be "
        "%(colour)s or better."),
    ("may", False): gettext_lazy(
        "It may fall by up to %(size)s next year, to %(value)s or higher, and still be "
        "%(colour)s or better."),
}


def describe_needed(scale, needed, current):
    """The sentence after "Change needed to reach Green:" on the metric page."""
    if needed is None:
        return gettext("No figure next year would reach that colour.")
    lower = scale.direction == LOWER_IS_BETTER
    # "must": it has to move the better way; "may": it has room to move the worse way.
    case = "hold" if needed.change == 0 else "must" if (needed.change < 0) == lower else "may"
    return NEEDED_SENTENCES[case, lower] % {
        "value": f"{needed.value}{scale.value_suffix}",
        "colour": dashboard_word(needed.colour),
        "size": f"{abs(needed.change)} {dashboard_word(scale.change_unit)}",
        "current": f"{round_figure(scale, current)}{scale.value_suffix}",
    }


def describe_range(level, suffix=""):
    """A level's range in the published words: "2.6% to 5.0%", "2.5% or less"."""
    low, high = _bound(level, "min"), _bound(level, "max")
    if low is None:
        return gettext("%(high)s or less") % {"high": f"{high}{suffix}"}
    if high is None:
        return gettext("%(low)s or more") % {"low": f"{low}{suffix}"}
    return gettext("%(low)s to %(high)s") % {"low": f"{low}{suffix}", "high": f"{high}{suffix}"}


def grid(scale, placement):
    """The 5x5 table for a template: its columns and rows, each cell's colour and whether
    `placement` sits in it, in the published order."""
    def cell(r, c):
        colour = scale.colours[r][c]
        return {"colour": dashboard_word(colour), "css": f"dash-{colour.lower()}",
                "placed": placement is not None and (r, c) == (placement.row, placement.column)}
    return {
        "columns": [{"name": dashboard_word(lv["name"]), "range": describe_range(lv)}
                    for lv in scale.change_levels],
        "rows": [{"name": dashboard_word(lv["name"]),
                  "range": describe_range(lv, scale.value_suffix),
                  "cells": [cell(r, c) for c in range(SIZE)]}
                 for r, lv in enumerate(scale.status_levels)],
    }


def metric_grid(metric, snapshot, target_colour="Green", *, public_view=False):
    """What the metric page shows of `metric`'s Dashboard scale, or None without one.

    Reads the precomputed county-wide snapshot: its latest approved figure and the one
    before it, which counts as the prior year's only when it is for the period a year
    earlier, and the students behind the latest (`latest_n`: the Dashboard's minimum n
    for a colour).
    """
    scale = metric.dashboard_scale
    if scale is None:
        return None
    current = snapshot.latest_value if snapshot else None
    previous = snapshot.previous_value if _a_year_apart(snapshot) else None
    placement = place(scale, current, previous, n=snapshot.latest_n if snapshot else None,
                      show_n=not public_view)
    needed = change_needed(scale, current, target_colour) if current is not None else None
    return {
        "scale": scale,
        "indicator": dashboard_word(scale.indicator),
        "change_unit": dashboard_word(scale.change_unit),
        "placement": placement,
        "grid": grid(scale, placement),
        "needed": describe_needed(scale, needed, current) if current is not None else "",
        "target_colour": dashboard_word(target_colour),
    }


def _a_year_apart(snapshot):
    if snapshot is None or snapshot.previous_value is None:
        return False
    try:
        latest = Period.parse(snapshot.latest_period)
        previous = Period.parse(snapshot.previous_period)
    except ValidationError:
        return False
    return previous.start == latest.year_earlier().start and previous.kind == latest.kind


def validate_scale(scale):
    """What is wrong with `scale`, as sentences (empty when it is sound)."""
    errors = []
    for axis in ("status_levels", "change_levels"):
        errors += _check_levels(scale, axis, getattr(scale, axis) or [])
    colours = scale.colours or []
    if len(colours) != SIZE or any(len(row) != SIZE for row in colours):
        errors.append("The colour table needs 5 rows of 5 colours.")
    elif bad := sorted({c for row in colours for c in row if c not in COLOURS}):
        errors.append(f"Unknown colours {bad}: use {', '.join(COLOURS)}.")
    elif not errors and not _monotone(scale):
        errors.append("A better status or change never gives a worse colour in the "
                      "Dashboard's tables; this table does.")
    if not 0 <= scale.decimals <= MAX_DECIMALS or (
            Decimal(str(scale.value_max)) - Decimal(str(scale.value_min))
    ) / _step(scale) > MAX_FIGURES:
        errors.append(f"Round to at most {MAX_DECIMALS} decimals, over a range of at most "
                      f"{MAX_FIGURES:,} rounded figures.")
    if scale.small_n is not None and scale.small_n <= scale.min_n:
        errors.append("The small-population size must be above the minimum for a colour.")
    return errors


def _check_levels(scale, axis, levels):
    label = axis.replace("_", " ")
    if len(levels) != SIZE:
        return [f"The {label} need exactly 5 levels."]
    try:
        spans = sorted(((_bound(lv, "min"), _bound(lv, "max"), lv.get("name")) for lv in levels),
                       key=lambda s: (s[0] is not None, s[0] or 0))
    except (InvalidOperation, AttributeError, TypeError):
        return [f"The {label} need a name and numbers for min and max."]
    if any(not name for *_, name in spans) or len({n for *_, n in spans}) != SIZE:
        return [f"The {label} need 5 different names."]
    if spans[0][0] is not None or spans[-1][1] is not None:
        return [f"The {label} must be open at both ends (no min on the lowest level, no "
                f"max on the highest)."]
    for (_, high, name), (low, _, following) in zip(spans, spans[1:], strict=False):
        if high is None or low is None or low != high + _step(scale):
            return [f"The {label} leave a gap or overlap between {name} and {following}."]
    return []


def _ascending(levels):
    """Indexes of `levels` from the lowest values to the highest."""
    return sorted(range(SIZE), key=lambda i: (_bound(levels[i], "min") is not None,
                                              _bound(levels[i], "min") or 0))


def _monotone(scale):
    rows, columns = _ascending(scale.status_levels), _ascending(scale.change_levels)
    if scale.direction != LOWER_IS_BETTER:  # higher is better: best values last
        rows, columns = rows[::-1], columns[::-1]
    ranks = [[_rank(scale.colours[r][c]) for c in columns] for r in rows]
    # From the best corner, moving to worse values never improves the colour.
    return all(ranks[i][j] <= ranks[i][j + 1] for i in range(SIZE) for j in range(SIZE - 1)) \
        and all(ranks[i][j] <= ranks[i + 1][j] for i in range(SIZE - 1) for j in range(SIZE))
