"""A clearly synthetic plan, for load tests and demos: never LACOE's figures.

The plan is flagged `is_synthetic`, its name says "(synthetic data)" and its
organisation is made up, so no page or export can pass it off as real. Values are
plausible and depend only on the seed; each metric is drawn to come out on track,
at risk, off track, without a target, or without any reading at all.

- `design.py`: the kinds of metric, the designed statuses and the value series;
- `generator.py`: `generate()`, which builds the plan and writes its readings through
  metrics.bulk (set-based, no history, no signal per reading); the command is
  `manage.py generate_synthetic`;
- `equity.py`: the demo's equity metric (`--equity-demo`), small districts and groups
  for every case of the publication rule and every Dashboard colour.
"""

from .design import DEFAULT_SLUG, NAME_MARK, ORGANISATION, month_periods, plan_start_year
from .generator import Result, SyntheticError, generate

__all__ = [
    "DEFAULT_SLUG", "NAME_MARK", "ORGANISATION", "Result", "SyntheticError", "generate",
    "month_periods", "plan_start_year",
]
