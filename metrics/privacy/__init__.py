"""The one suppression rule for everything published (issue 16, the equity lens).

`suppress(cells, threshold=plan.suppression_threshold)` decides, for every figure a
caller means to publish, whether it may be published, and if not why (the reason) and
what the footnote says. It is pure (no database, no clock), deterministic and fast, so
every publishing path calls the same function on the same cells and gets the same
answer. `public_text` writes a figure as the public sees it ("*", never 0 or blank);
`change_shown` says whether a change between two years may be written.

The rules, in order, per metric and period (one table of districts x student groups):

1. Primary: a figure whose students (`n`, the denominator; for a count metric the count
   itself) are fewer than the plan's threshold (`StrategicPlan.suppression_threshold`,
   11 unless the plan says otherwise) is suppressed. A figure
   whose `n` is not known is suppressed too: privacy cannot be checked without it, with
   one exception, the whole. The county-wide All-students figure without an `n` of its
   own takes the sum of its districts' known All-students `n` (they lie within it:
   `county_size`); when none is known (a rate without counts), or when it is a count that
   totals no partition among the cells (it stands alone), it is not judged on its size
   at all: it is the county, never a small group (every LACOE report figure is such a
   figure: LACOE's counts are of workshops, schools and years as well as students). It is
   then hidden only when rule 2 or 3 leaves no other choice, and chosen after every
   other candidate. No other figure of unknown `n` is published.
2. Complementary, over named partitions, each an equation `total = sum of parts`:
   the districts within the county total (for every student group); the race and
   ethnicity groups within All students (in every district and county-wide); each other
   group with its complement (English learners and not) within All students, only where
   the complement is among the cells too. When a total and all but one hidden part
   would let anyone recompute that part (or the parts a hidden total), the next-smallest
   published part is suppressed too (the total when no part is left). Likewise when the
   hidden parts of a published total add up to 0: each would be known to be 0.
3. Audit: exact linear algebra (`algebra.exposed`; `algebra.Audit` keeps one integer
   elimination up to date as figures are hidden, and falls back to `exposed` when its
   numbers outgrow 64 bits) finds a hidden figure that the
   published ones still determine through several partitions together (a figure hidden
   in a row and a column can be recomputed from both), or that no figure being negative
   pins down (a hidden 0); the smallest published figure of its partitions is
   suppressed too. Rules 2 and 3 repeat until nothing changes.
   Years are separate tables: no partition spans years (a school year's figure is not a
   sum of other years'), they meet only in a change, which is shown only when both years'
   figures are (`change_shown`), after all suppression of both years.

Sources: the threshold of 11 is the issue's default; complementary suppression "so that
the values of the suppressed cells may not be calculated by subtracting the reported
values from the row and column totals" (Delaware DOE, Data Suppression Rules,
https://www.doe.k12.de.us/Page/2283) and the next smallest group (NYSED, "Why are there
dashes...", https://datasupport.nysed.gov/hc/en-us/articles/115000765546).

Who must call it (every publishable figure below a county-wide All-students one, and
those too when `n` is known): the public pages and the API without a staff token; the
PDF, Word and PowerPoint exports and the public CSV. Today the one disaggregated
published figure is the annual report's "by district" chart of each headline metric
(reports/report.py `_charts`, fed by `reports.selectors.district_readings`), drawn into
the page, the PDF and Word by reports/render; reports/publication.py passes its district
cells (with the county-wide cell as the total) through `suppress` and writes
`public_text`. Staff pages
show the real value with `Decision.staff_label` ("suppressed in public"). The staff data
export that the import reads (reports.render.spreadsheets, metrics.rowformat) stays whole
and is marked internal, so export -> import still round-trips.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .algebra import Audit, Overflow, Reference

MARK = "*"
STAFF_LABEL = "suppressed in public"


class Reason(StrEnum):
    PRIMARY = "primary"
    UNKNOWN_SIZE = "unknown-size"
    COMPLEMENTARY = "complementary"


@dataclass(frozen=True, slots=True)
class Cell:
    """One figure a caller means to publish. District and group are codes (strings);
    the flags say which partitions the cell belongs to, so the rule needs no lookup."""

    metric: str
    period: str
    district: str
    group: str
    value: Decimal | int | float | None
    n: int | None = None  # the denominator; a count metric's count when not given
    is_count: bool = False
    district_is_total: bool = False  # "All districts" (the county)
    group_is_total: bool = False  # "All students"
    group_is_race: bool = False  # one of the race and ethnicity groups
    complement: str | None = None  # the group that with this one makes All students

    @property
    def key(self):
        return (self.metric, self.period, self.district, self.group)

    @property
    def size(self):
        """The students behind the figure, or None when not known."""
        if self.n is not None:
            return self.n
        if self.is_count and self.value is not None:
            return int(self.value)
        return None


@dataclass(frozen=True, slots=True)
class Decision:
    cell: Cell
    reason: Reason | None
    footnote: str = field(default="")

    @property
    def published(self):
        return self.reason is None

    @property
    def staff_label(self):
        """What a staff page writes beside the real value."""
        return "" if self.published else STAFF_LABEL


def footnote(reason, threshold):
    """The footnote a suppressed figure's "*" points to, in plain words."""
    if reason == Reason.PRIMARY:
        return f"{MARK} Fewer than {threshold} students: not published, to protect " \
               "student privacy."
    if reason == Reason.UNKNOWN_SIZE:
        return f"{MARK} Not published: the number of students is not known, so student " \
               "privacy cannot be checked."
    return f"{MARK} Not published: with the figures shown it would reveal a group of " \
           f"fewer than {threshold} students."


# The stored decisions (metrics.models.Publication) are the reasons' values and these two.
PUBLISHED = "published"
UNDECIDED = "undecided"


def publication_footnote(publication, threshold):
    """The footnote of a stored decision: "" when published; until the worker has decided,
    the figure is not published either (fail closed)."""
    if publication == PUBLISHED:
        return ""
    if publication == UNDECIDED:
        return f"{MARK} Not published yet: the figure is new or changed, and the check that " \
               "protects student privacy has not run on it yet."
    return footnote(Reason(publication), threshold)


def public_text(decision, text):
    """The figure as published: its text, or the mark (never 0, never blank)."""
    return text if decision.published else MARK


def change_shown(now, before):
    """A change between two years is shown only when both years' figures are."""
    return before is not None and now.published and before.published


def validate_threshold(threshold):
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ValueError(f"The suppression threshold must be a whole number of at least 1, "
                         f"not {threshold!r}.")


def suppress(cells, *, threshold):
    """{cell key: Decision} for every cell, by the rules of this module's docstring."""
    validate_threshold(threshold)
    tables = defaultdict(list)
    for cell in cells:
        tables[(cell.metric, cell.period)].append(cell)
    decisions = {}
    for name in sorted(tables):
        table = sorted(tables[name], key=lambda c: (c.district, c.group))
        reasons = _table(table, threshold)
        for index, cell in enumerate(table):
            reason = reasons.get(index)
            decisions[cell.key] = Decision(
                cell, reason, footnote(reason, threshold) if reason else ""
            )
    return decisions


def partitions(table):
    """The equations (total index, part indices) of one metric and period's cells."""
    at = {}
    for index, cell in enumerate(table):
        if (cell.district, cell.group) in at:
            raise ValueError(f"Two cells for {cell.key}.")
        at[(cell.district, cell.group)] = index
    totals = {c.district for c in table if c.district_is_total}
    alls = {c.group for c in table if c.group_is_total}
    if len(totals) > 1 or len(alls) > 1:
        raise ValueError("A table has one county total and one All students group.")
    county, everyone = next(iter(totals), None), next(iter(alls), None)
    districts = sorted({c.district for c in table if not c.district_is_total})
    groups = sorted({c.group for c in table})
    races = sorted({c.group for c in table if c.group_is_race and not c.group_is_total})
    equations = []
    for group in groups:  # the districts within the county total
        parts = [at[(d, group)] for d in districts if (d, group) in at]
        if (county, group) in at and parts:
            equations.append((at[(county, group)], tuple(parts)))
    pairs = sorted({
        tuple(sorted((c.group, c.complement))) for c in table
        if c.complement and not c.group_is_race and not c.group_is_total
    })
    for district in ([county] if county is not None else []) + districts:
        total = at.get((district, everyone))
        if total is None:
            continue
        parts = [at[(district, g)] for g in races if (district, g) in at]
        if parts:  # the race and ethnicity groups within All students
            equations.append((total, tuple(parts)))
        for pair in pairs:  # a group with its complement, where both are cells
            if all((district, g) in at for g in pair):
                equations.append((total, tuple(at[(district, g)] for g in pair)))
    return equations


def county_size(table):
    """The students behind the county-wide All-students figure of one table (the whole):
    its own size, else the sum of the known sizes of the districts' All-students figures
    (the districts lie within the county, so it has at least their students); None when
    neither is known. The one copy of this rule (the report's chart reads its decisions)."""
    whole = next((c for c in table if c.district_is_total and c.group_is_total), None)
    if whole is None or whole.size is not None:
        return None if whole is None else whole.size
    known = [c.size for c in table
             if c.group_is_total and not c.district_is_total and c.size is not None]
    return sum(known) if known else None


def _table(table, threshold):
    """{cell index: Reason} of the hidden cells of one table."""
    try:
        return _decide(table, threshold, Audit)
    except Overflow:  # numbers too large for the fast audit: the exact one decides
        return _decide(table, threshold, Reference)


def _decide(table, threshold, audit_class):
    equations = partitions(table)
    member_of = defaultdict(list)
    for number, (total, parts) in enumerate(equations):
        for member in (total, *parts):
            member_of[member].append(number)
    sizes = [c.size for c in table]
    whole = next((i for i, c in enumerate(table)
                  if c.district_is_total and c.group_is_total), None)
    exempt = None  # the whole, when it is not judged on its size (see WHOLE below)
    if whole is not None and table[whole].n is None:
        if table[whole].is_count and not member_of[whole]:
            exempt, sizes[whole] = whole, None
        elif not table[whole].is_count:
            sizes[whole] = county_size(table)
            exempt = whole if sizes[whole] is None else None
    reasons = {}
    for index, size in enumerate(sizes):
        if index == exempt:
            continue
        if size is None:
            reasons[index] = Reason.UNKNOWN_SIZE
        elif size < threshold:
            reasons[index] = Reason.PRIMARY
    if not reasons:
        return reasons
    # The exempt whole is chosen last (its students are not known, but it is the county).
    order = {i: ((math.inf if i == exempt else sizes[i]), c.district, c.group)
             for i, c in enumerate(table)}
    zeros = {i for i in reasons if not sizes[i]}  # a size of 0, or not known
    positive = [bool(s) or i == exempt for i, s in enumerate(sizes)]
    state = None

    def hide(index):
        reasons[index] = Reason.COMPLEMENTARY
        queue.update(member_of[index])
        if state is not None:
            state.hide(index)

    queue = {n for i in reasons for n in member_of[i]}
    while True:
        while queue:  # rule 2, one equation at a time until stable
            total, parts = equations[min(queue)]
            queue.discard(min(queue))
            pick = _complement(total, parts, reasons, sizes, positive, order)
            if pick is not None:
                hide(pick)
        if state is None:
            state = audit_class(equations, len(table), set(reasons), zeros)
        found = state.exposed()  # rule 3
        if not found:
            return reasons
        before = len(reasons)
        for index in found:
            candidates = [m for n in member_of[index] for m in (equations[n][0],
                          *equations[n][1]) if m not in reasons]
            if candidates:
                hide(min(candidates, key=order.__getitem__))
        if len(reasons) == before:  # every neighbour hidden already: widen to the table
            rest = [i for i in range(len(table)) if i not in reasons and member_of[i]]
            if not rest:
                return reasons
            hide(min(rest, key=order.__getitem__))


def _complement(total, parts, reasons, sizes, positive, order):
    """The cell to hide so that this equation protects its hidden members, or None."""
    hidden_parts = [p for p in parts if p in reasons]
    hidden = len(hidden_parts) + (total in reasons)
    if hidden == 0:
        return None
    open_parts = [p for p in parts if p not in reasons]
    if hidden == 1:
        if open_parts:
            return min(open_parts, key=order.__getitem__)
        return total if total not in reasons else None
    if total not in reasons and not sum(sizes[p] or 0 for p in hidden_parts):
        candidates = [p for p in open_parts if positive[p]]
        if candidates:
            return min(candidates, key=order.__getitem__)
    return None
