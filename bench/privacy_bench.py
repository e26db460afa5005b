"""The suppression rule (metrics.privacy) on a large plan: seconds for one full run.

    .venv/bin/python bench/privacy_bench.py [--runs 1] [--metrics 100]

100 metrics x 80 districts (with the county) x 15 student groups (All students, the
Dashboard's 8 race and ethnicity groups, 3 groups with their complements) x 3 school
years = 360,000 cells, seeded random district sizes (a few districts small, as in Los
Angeles County) so that the primary, complementary and audit rules all work. Pure
Python, no database. Prints the median of the runs as `privacy_suppression_large: x s`,
and `publication_decide_per_metric: x ms`, the median time of the rule on one metric's
three tables (what the worker's pass, metrics.privacy.decide, runs per changed metric),
with the load average beside them (the machine is shared). `make bench` runs it.
"""

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# metrics.privacy marks its words for translation, which reads the settings: no database.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lacoe_kpi.settings")
django.setup()

from metrics.privacy import Cell, suppress  # noqa: E402

RACES = ("african-american", "american-indian", "asian", "filipino", "hispanic",
         "pacific-islander", "white", "two-or-more")
PAIRS = (("el", "not-el"), ("sed", "not-sed"), ("swd", "not-swd"))


def cells(metrics=100, districts=79, years=3, seed=16):
    rng = random.Random(seed)
    shares = [rng.random() ** 3 for _ in RACES]
    made = []
    for year in range(years):
        period = f"{2022 + year}-{23 + year}"
        for m in range(metrics):
            metric = f"m{m}"
            county = {}
            for d in range(districts):
                size = int(rng.lognormvariate(6, 1.6))  # 2 to tens of thousands
                rows = {g: int(size * s / sum(shares) * rng.uniform(0.7, 1.3))
                        for g, s in zip(RACES, shares, strict=True)}
                rows["all"] = sum(rows.values())
                for group, other in PAIRS:
                    rows[group] = int(rows["all"] * rng.uniform(0.05, 0.4))
                    rows[other] = rows["all"] - rows[group]
                for g, n in rows.items():
                    county[g] = county.get(g, 0) + n
                made += _row(metric, period, f"d{d}", rows, total=False)
            made += _row(metric, period, "county", county, total=True)
    return made


def _row(metric, period, district, rows, *, total):
    complement = {a: b for pair in PAIRS for a, b in (pair, pair[::-1])}
    return [Cell(metric, period, district, g, Decimal(n), is_count=True,
                 district_is_total=total, group_is_total=g == "all", group_is_race=g in RACES,
                 complement=complement.get(g)) for g, n in rows.items()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--metrics", type=int, default=100,
                        help="metrics (100 is the large scale; fewer for a quick look)")
    args = parser.parse_args()
    made = cells(metrics=args.metrics)
    timings, hidden = [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        decisions = suppress(made, threshold=11)
        timings.append(time.perf_counter() - start)
        hidden = sum(not d.published for d in decisions.values())
    by_metric = {}
    for cell in made:
        by_metric.setdefault(cell.metric, []).append(cell)
    each = []
    for metric_cells in list(by_metric.values())[:20]:
        start = time.perf_counter()
        suppress(metric_cells, threshold=11)
        each.append(time.perf_counter() - start)
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() \
        else "?"
    name = "large" if args.metrics == 100 else f"{args.metrics}_metrics"
    print(f"privacy_suppression_{name}: {statistics.median(timings):.2f} s", flush=True)
    print(f"privacy_suppression_large_cells: {len(made)}", flush=True)
    print(f"privacy_suppression_large_suppressed: {hidden}", flush=True)
    print(f"publication_decide_per_metric: {statistics.median(each) * 1000:.0f} ms",
          flush=True)
    print(f"privacy_suppression_large_load_average: {load}", flush=True)


if __name__ == "__main__":
    main()
