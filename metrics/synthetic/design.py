"""What a synthetic plan is made of: kinds of metric, designed statuses, value series.

Nothing here touches the database; generator.py builds the plan from it.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from ..models import Direction, Status
from ..periods import Kind as PeriodKind
from ..periods import Period, school_year_bounds, span_label
from ..units import Unit

DEFAULT_SLUG = "synthetic-bench"
ORGANISATION = "Synthetic County Office of Education"
NAME_MARK = "(synthetic data)"
DISTRICT_CODE = "synthetic-district-{:03d}"
GROUP_CODE = "synthetic-group-{:03d}"
MAX_SLICES = 999

PILLARS = (
    ("Whole child", "whole-child"),
    ("Equity and access", "equity-and-access"),
    ("Teaching and learning", "teaching-and-learning"),
    ("Family and community", "family-and-community"),
    ("Organisational excellence", "organisational-excellence"),
)
AREAS_PER_PILLAR = 2
GOALS_PER_AREA = 2

@dataclass(frozen=True)
class Kind:
    """A kind of metric: its unit, which way is better, a baseline range and the gain
    the target asks for. `additive` values split over districts and groups (counts,
    money); the others are rates that vary around the county-wide figure."""

    name: str
    unit: str
    direction: str
    baseline: tuple
    gain: tuple
    decimals: int
    additive: bool = False
    spread: float = 0.0
    low: float | None = 0.0
    high: float | None = None
    scale_min: int | None = None
    scale_max: int | None = None


KINDS = (
    Kind("Students meeting reading standards", Unit.PERCENT, Direction.HIGHER,
         (35, 55), (8, 15), 1, spread=8, high=100),
    Kind("Educators completing professional learning", Unit.COUNT, Direction.HIGHER,
         (800, 3000), (400, 1200), 0, additive=True),
    Kind("Chronic absenteeism rate", Unit.PERCENT, Direction.LOWER,
         (18, 30), (-8, -4), 1, spread=5, high=100),
    Kind("Grant funding secured", Unit.CURRENCY, Direction.HIGHER,
         (1_500_000, 5_000_000), (500_000, 2_000_000), 2, additive=True),
    Kind("Family satisfaction rating", Unit.RATING, Direction.HIGHER,
         (3.2, 3.8), (0.4, 0.7), 2, spread=0.3, low=1, high=5, scale_min=1, scale_max=5),
    Kind("Rank among county offices", Unit.RANK, Direction.LOWER,
         (28, 40), (-22, -16), 0, spread=4, low=1, high=58, scale_max=58),
    Kind("Students per counselor", Unit.RATIO, Direction.LOWER,
         (420, 520), (-120, -60), 1, spread=40),
    Kind("Change in graduation rate", Unit.PERCENT_CHANGE, Direction.HIGHER,
         (0, 1), (3, 6), 1, spread=1.5, low=None),
    Kind("Families reached by outreach", Unit.COUNT, Direction.HIGHER,
         (5000, 20000), (2000, 6000), 0, additive=True),
    Kind("Suspension rate", Unit.PERCENT, Direction.LOWER,
         (4, 9), (-3, -1.5), 1, spread=1.5, high=100),
)

# Share of the target's gain each design reaches by the last month; with the
# default thresholds (95 / 80) and the last month at the end of the target
# period, progress is the score, so the bands sit well clear of both thresholds.
DESIGNS = (
    Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.ON_TRACK, Status.NO_TARGET,
    Status.ON_TRACK, Status.AT_RISK,
)
REACH = {
    Status.ON_TRACK: (1.0, 1.12),
    Status.AT_RISK: (0.85, 0.9),
    Status.OFF_TRACK: (0.3, 0.65),
    Status.NO_TARGET: (0.4, 1.1),
}


def plan_start_year(months, end_year):
    """Whole school years, at least one, so that every month lies inside the plan."""
    return end_year - max(1, math.ceil(months / 12))


def plan_name(months, end_year):
    return f"Synthetic Strategic Plan {span_label(plan_start_year(months, end_year), end_year)} " \
           f"{NAME_MARK}"


def month_periods(months, end_year):
    """The last `months` months of a plan ending with the school year `end_year` closes
    (its last day, 30 June), oldest first."""
    last_day = school_year_bounds(plan_start_year(months, end_year), end_year)[1]
    last = Period.containing(last_day, PeriodKind.MONTH)
    return [last.shifted(step) for step in range(1 - months, 1)]


def round_to(value, decimals):
    return Decimal(f"{value:.{decimals}f}")


def formatter(kind):
    """Values as the decimal text the bulk writer loads."""
    if kind.decimals == 0:
        return lambda v: str(int(math.floor(v + 0.5)))
    spec = f"{{:.{kind.decimals}f}}"
    return spec.format


def county_series(kind, baseline, target, reach, months, rng):
    """The county-wide values, oldest first: baseline to the designed reach, with wobble."""
    baseline = float(baseline)
    gain = float(target) - baseline if target is not None else rng.uniform(*kind.gain)
    final = baseline + reach * gain
    series = []
    for t in range(months):
        share = 1.0 if months == 1 else t / (months - 1)
        value = baseline + (final - baseline) * share
        if 0 < t < months - 1:  # the ends are exact so the status is the designed one
            value += rng.uniform(-0.04, 0.04) * abs(gain)
        series.append(clamp(kind, value))
    return series


def clamp(kind, value):
    if kind.low is not None and value < kind.low:
        value = kind.low
    if kind.high is not None and value > kind.high:
        value = kind.high
    return value


def shares(rng, count):
    weights = [rng.uniform(0.3, 1.7) for _ in range(count)]
    total = sum(weights) or 1.0
    return [w / total for w in weights]
