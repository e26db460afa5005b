"""Proof that no suppressed figure can be recomputed from what is published (issue 16).

Hypothesis builds random small plans: districts within the county, race and ethnicity
groups within All students, sometimes a group with its complement, one to three years,
counts and rates (a rate's partition is over its denominator). For every suppressed
figure, linear programming (scipy's HiGHS) finds its smallest and largest value over
every published figure and every partition sum, with no figure negative: the two must
differ, so the figure is not pinned down. The partitions are written here from the plan,
not taken from metrics.privacy, so the proof does not trust the rule it checks.
"""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from metrics import privacy
from metrics.privacy import Cell, algebra, suppress
from metrics.privacy.algebra import Audit, exposed

RACES = ("african-american", "asian", "hispanic", "white")
PAIR = ("el", "not-el")


@st.composite
def plans(draw):
    districts = [f"d{i}" for i in range(draw(st.integers(1, 3)))]
    races = list(RACES[: draw(st.integers(1, 3))])
    pair = draw(st.sampled_from(["none", "group only", "both"]))
    years = [f"{2020 + y}-{21 + y}" for y in range(draw(st.integers(1, 3)))]
    is_count = draw(st.booleans())
    # Zeros and figures at the threshold are where leaks hide: drawn often.
    small = st.one_of(st.sampled_from([0, 0, 1, 10, 11, 12]), st.integers(0, 30))
    drawn = []
    for _ in years:
        counts = {(d, g): draw(small) for d in districts for g in races}
        learners = {d: draw(st.integers(0, sum(counts[d, g] for g in races)))
                    for d in districts}
        drawn.append((counts, learners))
    threshold = draw(st.sampled_from([11, 11, 11, 5, 20]))
    return plan_of(drawn, districts, races, pair, years, is_count, threshold)


def plan_of(drawn, districts, races, pair, years, is_count, threshold):
    """Every cell of a plan from each year's (district, race) counts and English
    learners per district; the totals add up."""
    cells = []
    for year, (counts, learners) in zip(years, drawn, strict=True):
        rows = {}
        for d in districts + ["county"]:
            ds = districts if d == "county" else [d]
            for g in races:
                rows[d, g] = sum(counts[x, g] for x in ds)
            rows[d, "all"] = sum(rows[d, g] for g in races)
            if pair != "none":
                rows[d, "el"] = sum(learners[x] for x in ds)
            if pair == "both":
                rows[d, "not-el"] = rows[d, "all"] - rows[d, "el"]
        for (d, g), n in rows.items():
            cells.append(Cell(
                metric="m", period=year, district=d, group=g,
                value=Decimal(n) if is_count else Decimal("50.0"),
                n=None if is_count else n, is_count=is_count,
                district_is_total=d == "county", group_is_total=g == "all",
                group_is_race=g in RACES,
                complement=({"el": "not-el", "not-el": "el"}[g]
                            if g in PAIR and pair == "both" else None),
            ))
    return cells, districts, races, pair, years, threshold


# Found by this test before the audit knew that no figure is negative: d0 is all zeros,
# and d1's published 11 not-learners leave d0's All students 22 - 11 - 11 = 0 at most.
ZERO_PINNED = plan_of(
    [({("d0", "african-american"): 0, ("d1", "african-american"): 11,
       ("d2", "african-american"): 11}, {"d0": 0, "d1": 0, "d2": 1})],
    ["d0", "d1", "d2"], ["african-american"], "both", ["2020-21"], False, 11)
# Two blocks of small counts joined by one (tests/metrics/test_privacy.py has it too).
BRIDGE = plan_of(
    [({**{(d, g): 60 for d in ("d0", "d1", "d2") for g in RACES[:3]},
       ("d0", "african-american"): 5, ("d0", "asian"): 5, ("d1", "african-american"): 5,
       ("d1", "asian"): 5, ("d2", "hispanic"): 5, ("d0", "hispanic"): 5},
      {"d0": 0, "d1": 0, "d2": 0})],
    ["d0", "d1", "d2"], list(RACES[:3]), "none", ["2020-21"], True, 11)


def equations(districts, races, pair, year):
    """The sums anyone knows hold, as (total, parts) of (district, group) keys."""
    groups = [*races, "all"] + (["el"] if pair != "none" else []) + (
        ["not-el"] if pair == "both" else [])
    found = [(("county", g), [(d, g) for d in districts]) for g in groups]
    for d in districts + ["county"]:
        found.append(((d, "all"), [(d, g) for g in races]))
        if pair == "both":
            found.append(((d, "all"), [(d, "el"), (d, "not-el")]))
    return found


def bounds_of(target, cells, decisions, sums):
    """The smallest and largest value of `target` over the published figures and sums."""
    keys = sorted((c.district, c.group) for c in cells)
    column = {k: i for i, k in enumerate(keys)}
    by_key = {(c.district, c.group): c for c in cells}
    bounds = []
    for k in keys:
        c = by_key[k]
        if decisions[c.key].published:
            bounds.append((c.size, c.size))
        else:
            bounds.append((0, None))
    rows = []
    for total, parts in sums:
        row = [0] * len(keys)
        row[column[total]] += 1
        for p in parts:
            row[column[p]] -= 1
        rows.append(row)
    found = []
    for sign in (1, -1):
        objective = [0] * len(keys)
        objective[column[target]] = sign
        result = linprog(objective, A_eq=rows, b_eq=[0] * len(rows), bounds=bounds,
                         method="highs")
        if result.status == 3:  # unbounded: not pinned from that side
            found.append(None)
            continue
        assert result.status == 0, result.message
        found.append(sign * result.fun)
    return found


def check_plan(plan):
    """Every suppressed figure of `plan` is free over the published ones (the proof)."""
    cells, districts, races, pair, years, threshold = plan
    decisions = suppress(cells, threshold=threshold)
    assert set(decisions) == {c.key for c in cells}
    for year in years:
        table = [c for c in cells if c.period == year]
        sums = equations(districts, races, pair, year)
        for c in table:
            if c.size is not None and c.size < threshold:
                assert not decisions[c.key].published  # primary
            if decisions[c.key].published:
                continue
            low, high = bounds_of((c.district, c.group), table, decisions, sums)
            assert high is None or high - low > 0.5, (
                f"{c.key} (n={c.size}) is pinned to {low}..{high}")


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(plans())
@example(ZERO_PINNED)
@example(BRIDGE)
def test_no_suppressed_figure_is_pinned_down_by_the_published_ones(plan):
    check_plan(plan)


# One small district beside large ones: only the complementary rule protects it.
SMALL_DISTRICT = plan_of(
    [({("d0", "asian"): 5, ("d1", "asian"): 60, ("d2", "asian"): 70}, {})],
    ["d0", "d1", "d2"], ["asian"], "none", ["2020-21"], True, 11)


class _NoAudit:
    def __init__(self, *args):
        pass

    def hide(self, cell):
        pass

    def exposed(self):
        return []


@pytest.mark.parametrize("plan", [SMALL_DISTRICT, BRIDGE, ZERO_PINNED])
def test_the_proof_fails_when_the_complementary_rule_is_removed(plan, monkeypatch):
    check_plan(plan)  # the rule as it is passes
    monkeypatch.setattr(privacy, "_complement", lambda *args: None)
    monkeypatch.setattr(privacy, "Audit", _NoAudit)
    with pytest.raises(AssertionError, match="is pinned to"):
        check_plan(plan)


@st.composite
def hiding_orders(draw):
    """A plan's table, a first hidden set with zeros among it, and cells hidden later."""
    cells = draw(plans())[0]
    period = cells[0].period
    table = sorted((c for c in cells if c.period == period), key=lambda c: (c.district, c.group))
    indices = list(range(len(table)))
    hidden = draw(st.sets(st.sampled_from(indices), max_size=len(indices)))
    zeros = draw(st.sets(st.sampled_from(sorted(hidden)), max_size=len(hidden))) if hidden \
        else set()
    later = draw(st.lists(st.sampled_from(indices), max_size=len(indices), unique=True))
    return table, hidden, zeros, [i for i in later if i not in hidden]


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(hiding_orders())
def test_the_incremental_audit_finds_what_the_exact_elimination_finds(case):
    """algebra.Audit (what suppress runs) against algebra.exposed, after every hide."""
    table, hidden, zeros, later = case
    equations = privacy.partitions(table)
    fast = Audit(equations, len(table), hidden, zeros)
    hidden = set(hidden)
    assert fast.exposed() == exposed(equations, hidden, zeros)
    for index in later:
        fast.hide(index)
        hidden.add(index)
        assert fast.exposed() == exposed(equations, hidden, zeros)


def test_numbers_too_large_for_the_fast_audit_fall_back_to_the_exact_one(monkeypatch):
    monkeypatch.setattr(algebra, "INT64_HEADROOM", 1)  # every elimination overflows
    cells = BRIDGE[0]
    slow = suppress(cells, threshold=11)
    monkeypatch.undo()
    assert {k: d.reason for k, d in slow.items()} == {
        k: d.reason for k, d in suppress(cells, threshold=11).items()}
    assert any(not d.published for d in slow.values())
