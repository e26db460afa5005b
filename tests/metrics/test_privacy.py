"""The suppression rule (metrics.privacy), one rule at a time, on hand-made tables."""

from decimal import Decimal

import pytest

from metrics.privacy import (
    MARK,
    Cell,
    Reason,
    change_shown,
    county_size,
    partitions,
    public_text,
    suppress,
)
from metrics.privacy.algebra import pinned

YEAR, PRIOR = "2023-24", "2022-23"
RACES = ("asian", "hispanic", "white")


def cell(district, group, value, *, n=None, period=YEAR, metric="m", count=True,
         complement=None):
    return Cell(
        metric=metric, period=period, district=district, group=group,
        value=Decimal(value) if value is not None else None, n=n, is_count=count,
        district_is_total=district == "county", group_is_total=group == "all",
        group_is_race=group in RACES, complement=complement,
    )


def hidden(decisions):
    return {(k[2], k[3]): d.reason for k, d in decisions.items() if not d.published}


def districts_table(values, total=None, period=YEAR):
    """A county total over districts, All students only."""
    total = sum(values.values()) if total is None else total
    return [cell("county", "all", total, period=period)] + [
        cell(d, "all", v, period=period) for d, v in values.items()
    ]


def test_primary_a_count_below_the_threshold_is_suppressed_at_the_threshold_published():
    decisions = suppress([cell("d1", "all", 10), cell("d1", "all", 11, metric="m2")],
                         threshold=11)
    assert [d.reason for d in decisions.values()] == [Reason.PRIMARY, None]
    # The plan's own threshold decides.
    decisions = suppress([cell("d1", "all", 10)], threshold=5)
    assert next(iter(decisions.values())).published


def test_primary_a_rate_is_judged_on_its_denominator_not_its_value():
    decisions = suppress([
        cell("county", "all", "4.5", n=200, count=False),
        cell("county", "all", "92.0", n=8, count=False, metric="m2"),
        cell("d1", "all", "50.0", count=False, metric="m3"),  # n not known
    ], threshold=11)
    assert [d.reason for d in decisions.values()] == [
        None, Reason.PRIMARY, Reason.UNKNOWN_SIZE]


def test_the_county_wide_all_students_figure_of_unknown_size_is_published():
    """The whole (every LACOE report figure): a rate without counts, or a count that is
    the total of no partition, is not judged on its size; a rate's n is the sum of its
    districts' known n, and it is then judged like any other."""
    alone = suppress([
        cell("county", "all", "50.0", count=False),
        cell("county", "all", 9, metric="m2"),  # LACOE: "9 Seals of Biliteracy"
        cell("county", "hispanic", "40.0", count=False, metric="m3"),  # not the whole
    ], threshold=11)
    assert [d.reason for d in alone.values()] == [None, None, Reason.UNKNOWN_SIZE]
    summed = [cell("county", "all", "50.0", count=False),
              cell("d1", "all", "40.0", n=4, count=False),
              cell("d2", "all", "60.0", n=5, count=False)]
    assert county_size(summed) == 9
    assert hidden(suppress(summed, threshold=11)) == {
        ("county", "all"): Reason.PRIMARY, ("d1", "all"): Reason.PRIMARY,
        ("d2", "all"): Reason.PRIMARY}
    # A count with its districts is its own size: 10 students are 10 students.
    counted = districts_table({"d1": 4, "d2": 6})
    assert hidden(suppress(counted, threshold=11))[("county", "all")] == Reason.PRIMARY


def test_the_whole_of_unknown_size_is_hidden_only_when_nothing_else_protects():
    races = [cell("county", "all", "50.0", count=False),
             cell("county", "asian", "40.0", n=5, count=False),
             cell("county", "hispanic", "40.0", n=100, count=False),
             cell("county", "white", "40.0", n=200, count=False)]
    assert hidden(suppress(races, threshold=11)) == {
        ("county", "asian"): Reason.PRIMARY, ("county", "hispanic"): Reason.COMPLEMENTARY}
    # Its only district is of unknown size: publishing the county would publish it.
    lone = [cell("county", "all", "50.0", count=False), cell("d1", "all", "40.0", count=False)]
    assert hidden(suppress(lone, threshold=11)) == {
        ("county", "all"): Reason.COMPLEMENTARY, ("d1", "all"): Reason.UNKNOWN_SIZE}


def test_a_suppressed_figure_is_never_written_as_0_or_blank_and_has_a_footnote():
    decisions = suppress([cell("d1", "all", 0), cell("d1", "all", 3, metric="m2")],
                         threshold=11)
    for decision in decisions.values():
        assert public_text(decision, "0") == MARK == "*"
        assert "Fewer than 11 students" in decision.footnote
        assert decision.staff_label == "suppressed in public"
    published = suppress([cell("d1", "all", 40)], threshold=11)
    (decision,) = published.values()
    assert (public_text(decision, "40"), decision.footnote, decision.staff_label) == ("40", "",
                                                                                      "")


def test_a_change_is_hidden_when_either_year_is_suppressed():
    decisions = suppress([
        cell("d1", "all", 40, period=PRIOR), cell("d1", "all", 50),
        cell("d1", "all", 4, period=PRIOR, metric="m2"), cell("d1", "all", 50,
                                                                   metric="m2"),
        cell("d1", "all", 40, period=PRIOR, metric="m3"), cell("d1", "all", 5,
                                                                    metric="m3"),
    ], threshold=11)

    def shown(metric):
        return change_shown(decisions["m" if metric == 1 else f"m{metric}", YEAR, "d1",
                                      "all"],
                            decisions["m" if metric == 1 else f"m{metric}", PRIOR, "d1",
                                      "all"])
    assert (shown(1), shown(2), shown(3)) == (True, False, False)
    assert not change_shown(decisions["m", YEAR, "d1", "all"], None)


def test_complementary_districts_within_the_county_total_hide_the_next_smallest():
    decisions = suppress(districts_table({"a": 5, "b": 40, "c": 12, "d": 13}), threshold=11)
    # 5 alone could be recomputed from the total: the next-smallest (12), not 13 or 40.
    assert hidden(decisions) == {("a", "all"): Reason.PRIMARY,
                                 ("c", "all"): Reason.COMPLEMENTARY}
    assert "would reveal a group of fewer than 11" in decisions["m", YEAR, "c", "all"].footnote


def test_complementary_race_groups_within_all_students():
    cells = [cell("county", "all", 60)] + [
        cell("county", g, v) for g, v in zip(RACES, (3, 30, 27), strict=True)]
    assert hidden(suppress(cells, threshold=11)) == {
        ("county", "asian"): Reason.PRIMARY, ("county", "white"): Reason.COMPLEMENTARY}


def test_a_group_with_its_complement_only_where_the_complement_is_a_cell():
    with_complement = [
        cell("county", "all", 60),
        cell("county", "el", 6, complement="not-el"),
        cell("county", "not-el", 54, complement="el"),
    ]
    assert hidden(suppress(with_complement, threshold=11)) == {
        ("county", "el"): Reason.PRIMARY, ("county", "not-el"): Reason.COMPLEMENTARY}
    # Without the complement among the figures, All students reveals nothing of it.
    alone = with_complement[:2]
    assert hidden(suppress(alone, threshold=11)) == {("county", "el"): Reason.PRIMARY}
    # Not a race group: it is no part of the race partition.
    assert partitions(sorted(alone, key=lambda c: (c.district, c.group))) == []


def test_a_hidden_total_with_every_part_published_hides_its_smallest_part():
    # b's 5 hides a's All students (the next-smallest district); a's race groups would
    # add up to it, so the smallest of them is hidden too.
    cells = districts_table({"a": 40, "b": 5, "c": 60}) + [
        cell("a", g, v) for g, v in zip(RACES, (12, 13, 15), strict=True)]
    assert hidden(suppress(cells, threshold=11)) == {
        ("b", "all"): Reason.PRIMARY, ("a", "all"): Reason.COMPLEMENTARY,
        ("a", "asian"): Reason.COMPLEMENTARY}


def test_hidden_parts_that_add_up_to_0_hide_another_part():
    # Both hidden parts would be known to be 0 (total minus the published part).
    cells = districts_table({"a": 0, "b": 0, "c": 30, "d": 40})
    assert hidden(suppress(cells, threshold=11)) == {
        ("a", "all"): Reason.PRIMARY, ("b", "all"): Reason.PRIMARY,
        ("c", "all"): Reason.COMPLEMENTARY}


def _grid(values, period=YEAR):
    """Districts x race groups with every total; `values` {(district, race): count}."""
    districts = sorted({d for d, _ in values})
    cells = [cell(d, g, v, period=period) for (d, g), v in values.items()]
    for d in districts:
        cells.append(cell(d, "all", sum(v for (dd, _), v in values.items() if dd == d),
                          period=period))
    for g in RACES:
        cells.append(cell("county", g, sum(v for (_, gg), v in values.items() if gg == g),
                          period=period))
    cells.append(cell("county", "all", sum(values.values()), period=period))
    return cells


def _stable(decisions, cells):
    """Every partition holds no hidden figure or at least two."""
    table = sorted(cells, key=lambda c: (c.district, c.group))
    hidden_keys = {k for k, d in decisions.items() if not d.published}
    for total, parts in partitions(table):
        count = sum(table[i].key in hidden_keys for i in (total, *parts))
        assert count != 1, (table[total].key, count)


def test_iteration_across_districts_and_groups_until_stable():
    values = {(d, g): 50 for d in ("a", "b", "c") for g in RACES}
    values.update({("a", "asian"): 4, ("a", "hispanic"): 20, ("b", "hispanic"): 21,
                   ("b", "white"): 22, ("c", "white"): 23, ("c", "asian"): 24})
    cells = _grid(values)
    decisions = suppress(cells, threshold=11)
    found = hidden(decisions)
    # a's 4 -> a's next-smallest (hispanic 20) -> hispanic's next-smallest district (b, 21)
    # -> b's next-smallest group (white 22) -> white's (c, 23) -> c's (asian 24), which
    # closes the cycle in the asian column with a's 4.
    assert found == {("a", "asian"): Reason.PRIMARY,
                     **{k: Reason.COMPLEMENTARY for k in (
                         ("a", "hispanic"), ("b", "hispanic"), ("b", "white"),
                         ("c", "white"), ("c", "asian"))}}
    _stable(decisions, cells)


def test_years_are_separate_tables_that_meet_in_the_change():
    before = districts_table({"a": 30, "b": 40, "c": 50}, period=PRIOR)
    now = districts_table({"a": 5, "b": 40, "c": 50})
    decisions = suppress(before + now, threshold=11)
    assert all(d.published for k, d in decisions.items() if k[1] == PRIOR)
    assert hidden(decisions) == {("a", "all"): Reason.PRIMARY,
                                 ("b", "all"): Reason.COMPLEMENTARY}
    # b's change would give b's value this year: hidden although 40 >= 11 both years.
    assert not change_shown(decisions["m", YEAR, "b", "all"], decisions["m", PRIOR, "b", "all"])
    assert change_shown(decisions["m", YEAR, "c", "all"], decisions["m", PRIOR, "c", "all"])


def test_the_audit_hides_a_figure_two_partitions_pin_down_together():
    # Two 2x2 blocks of small counts joined by one small cell (a, white): each row and
    # column holds two hidden figures or more, yet rows a and b minus columns asian and
    # hispanic give (a, white) exactly. The audit must hide one more figure.
    races = RACES + ("filipino",)
    values = {(d, g): 60 for d in ("a", "b", "c", "d") for g in races}
    small = [("a", "asian"), ("a", "hispanic"), ("b", "asian"), ("b", "hispanic"),
             ("c", "white"), ("c", "filipino"), ("d", "white"), ("d", "filipino"),
             ("a", "white")]
    values.update({k: 5 for k in small})
    cells = [Cell("m", YEAR, d, g, v, is_count=True, group_is_race=True)
             for (d, g), v in values.items()]
    for d in "abcd":
        cells.append(Cell("m", YEAR, d, "all", sum(v for (dd, _), v in values.items()
                                                    if dd == d), is_count=True,
                          group_is_total=True))
    for g in races:
        cells.append(Cell("m", YEAR, "county", g, sum(v for (_, gg), v in values.items()
                                                       if gg == g), is_count=True,
                          district_is_total=True, group_is_race=True))
    cells.append(Cell("m", YEAR, "county", "all", sum(values.values()), is_count=True,
                      district_is_total=True, group_is_total=True))
    table = sorted(cells, key=lambda c: (c.district, c.group))
    index = {(c.district, c.group): i for i, c in enumerate(table)}
    equations = partitions(table)
    # Without the audit the primary pattern is locally stable but leaks (a, white).
    assert index["a", "white"] in pinned(equations, {index[k] for k in small})
    decisions = suppress(cells, threshold=11)
    found = hidden(decisions)
    assert set(small) < set(found)
    assert pinned(equations, {index[k] for k in found}) == []


@pytest.mark.parametrize("threshold", [0, -1, True, 2.5, "11"])
def test_a_threshold_below_1_or_not_whole_is_refused(threshold):
    with pytest.raises(ValueError, match="at least 1"):
        suppress([cell("county", "all", 5)], threshold=threshold)


def test_two_cells_for_one_slice_are_refused():
    with pytest.raises(ValueError, match="Two cells"):
        suppress([cell("a", "all", 5), cell("a", "all", 6)], threshold=11)
