"""Which hidden figures the published ones still pin down: exact linear algebra.

A table's partitions are equations `total - part_1 - ... - part_k = 0`. Once every
published figure is moved to the right-hand side, the hidden figures are the unknowns.
A hidden figure is pinned down (anyone can recompute it) exactly when its unit vector
lies in the row space of the equations restricted to the hidden figures; in the reduced
row echelon form that is a pivot whose row holds no other unknown.

No figure is negative, and that pins hidden zeros too (a partition whose other parts
already reach the total leaves 0 for the rest). Away from zero a small move along any
free direction keeps every figure positive, so for positive hidden figures the algebra
alone is exact; `exposed` stays safe for zeros by asking more: a hidden figure must move
while every other hidden zero stays put (a zero may only grow, the others may not move at
all). That is sufficient, never short of what linear programming would find. Fractions keep the
elimination exact, so the answer never depends on rounding. Pure Python: the rule runs
in the app, where scipy is not installed (the tests prove the same with scipy's linear
programming, adding that no figure is negative).
"""

from fractions import Fraction


def exposed(equations, hidden, zeros):
    """The members of `hidden` that are not provably free: pinned down by `equations`
    and, for `zeros` (hidden figures that are 0 or of unknown size), by no figure being
    negative. Ascending.

    Sufficient test: a figure is free when it moves along a direction that moves at most
    one hidden zero (made to grow), every other zero staying put."""
    zeros = set(zeros) & set(hidden)
    positive = set(hidden) - zeros
    found = set(pinned(equations, positive))
    by_cell = {}
    for number, (total, parts) in enumerate(equations):
        for member in (total, *parts):
            by_cell.setdefault(member, []).append(number)
    for zero in sorted(zeros):
        component, cells = _touching(equations, by_cell, zero, positive | {zero})
        stuck = set(pinned(component, cells))
        if zero in stuck:
            found.add(zero)
        found -= (cells & positive) - stuck  # free once this zero may grow
    return sorted(found)


def _touching(equations, by_cell, cell, unknown):
    """The equations linked to `cell` through shared unknowns (published figures are
    constants: they link nothing), and those unknowns."""
    reach, todo, chosen = {cell}, [cell], set()
    while todo:
        for number in by_cell.get(todo.pop(), ()):
            if number not in chosen:
                chosen.add(number)
                total, parts = equations[number]
                for member in (total, *parts):
                    if member in unknown and member not in reach:
                        reach.add(member)
                        todo.append(member)
    return [equations[n] for n in sorted(chosen)], reach


def pinned(equations, hidden):
    """The members of `hidden` that `equations` (pairs of a total and its parts, cell
    indices) determine once every other cell is known, in ascending order."""
    rows = []
    for total, parts in equations:
        row = {}
        if total in hidden:
            row[total] = Fraction(1)
        for part in parts:
            if part in hidden:
                row[part] = row.get(part, Fraction(0)) - 1
        row = {col: coef for col, coef in row.items() if coef}
        if row:
            rows.append(row)
    pivots = _reduce(rows)
    return sorted(col for col, row in pivots.items() if len(row) == 1)


def _reduce(rows):
    """Gauss-Jordan elimination of sparse rows: {pivot column: its row}, each pivot row
    free of every other pivot column (so a row of one entry is a determined unknown)."""
    pivots = {}
    uses = {}  # column -> pivot columns whose rows hold it (to eliminate a new pivot)
    for row in rows:
        row = dict(row)
        for col in [c for c in row if c in pivots]:
            factor = row.get(col)
            if not factor:
                continue
            for c, coef in pivots[col].items():
                value = row.get(c, 0) - factor * coef
                if value:
                    row[c] = value
                else:
                    row.pop(c, None)
        if not row:
            continue
        pivot = min(row)  # deterministic choice
        scale = row[pivot]
        row = {c: coef / scale for c, coef in row.items()}
        for other in sorted(uses.pop(pivot, ())):
            target = pivots[other]
            factor = target.get(pivot)
            if not factor:
                continue
            for c, coef in row.items():
                value = target.get(c, 0) - factor * coef
                if value:
                    target[c] = value
                    if c != other:
                        uses.setdefault(c, set()).add(other)
                else:
                    target.pop(c, None)
        pivots[pivot] = row
        for c in row:
            if c != pivot:
                uses.setdefault(c, set()).add(pivot)
    return pivots


# --- The same test, kept up to date as figures are hidden (what `suppress` runs) -------
#
# `exposed` eliminates the whole table again at every round of the rule; at 80 districts x
# 15 groups that is seconds per table. `Audit` keeps one elimination and updates it as each
# figure is hidden: its rows are combinations of the equations, over every cell, such that
# each hidden positive figure is either the pivot of exactly one row (no other row holds
# it) or free, and a row without a pivot holds no hidden positive figure (a "null" row: a
# sum of published figures and zeros that anyone can form). Then, exactly as in `exposed`:
# - a hidden positive figure is pinned down when its pivot row holds no other hidden
#   positive figure;
# - a hidden zero is pinned down when some null row holds it (that row then reads
#   "zero = published figures"); otherwise it is free, and every pinned figure whose row
#   holds it is freed (it may move while that zero grows).
# Integer rows, each step fraction-free and divided by its gcd, keep the arithmetic exact;
# a step that could leave int64 raises `Overflow` and the caller falls back to `exposed`.

INT64_HEADROOM = 2**62


class Overflow(ArithmeticError):
    """An exact step would not fit in 64-bit integers."""


class Audit:
    """`exposed(equations, hidden, zeros)` for a growing `hidden`: `hide(cell)` one figure
    more (never a zero: zeros are hidden from the start), then `exposed()`."""

    def __init__(self, equations, cells, hidden, zeros):
        import numpy as np  # the rule's only use of numpy; the bench and app import it here

        self.np = np
        self.rows = np.zeros((len(equations), cells), dtype=np.int64)
        for number, (total, parts) in enumerate(equations):
            self.rows[number, total] += 1
            for part in parts:
                self.rows[number, part] -= 1
        self.zeros = sorted(set(zeros) & set(hidden))
        self.unknown = np.zeros(cells, dtype=bool)  # the hidden positive figures
        self.pivot = np.full(len(equations), -1, dtype=np.int64)  # -1: a null row
        for cell in sorted(set(hidden) - set(self.zeros)):
            self.hide(cell)

    def hide(self, cell):
        np = self.np
        if cell in self.zeros:
            raise ValueError("A zero is hidden from the start.")
        if self.unknown[cell]:
            return
        self.unknown[cell] = True
        column = self.rows[:, cell]
        holding = column != 0
        null = np.flatnonzero(holding & (self.pivot < 0))
        if not len(null):
            return  # free: it only joins the rows that hold it
        row = int(null[np.argmin(np.abs(column[null]))])  # deterministic, smallest factor
        self.pivot[row] = cell
        others = np.flatnonzero(holding)
        others = others[others != row]
        if len(others):
            self._eliminate(row, cell, others)

    def _eliminate(self, row, cell, others):
        """Clear `cell` from the rows `others` with `row`, fraction-free and exact."""
        np = self.np
        rows = self.rows
        p = rows[row, cell]
        q = rows[others, cell]
        g = np.gcd(p, q)
        a, b = p // g, q // g
        if (int(np.abs(a).max()) * int(np.abs(rows[others]).max())
                + int(np.abs(b).max()) * int(np.abs(rows[row]).max())) >= INT64_HEADROOM:
            raise Overflow(cell)
        fresh = a[:, None] * rows[others] - b[:, None] * rows[row]
        divisor = np.gcd.reduce(fresh, axis=1)
        divisor[divisor == 0] = 1
        rows[others] = fresh // divisor[:, None]

    def exposed(self):
        np = self.np
        support = np.count_nonzero(self.rows[:, self.unknown], axis=1)
        has_pivot = self.pivot >= 0
        found = {int(c) for c in self.pivot[has_pivot & (support == 1)]}
        for zero in self.zeros:
            holding = self.rows[:, zero] != 0
            if (holding & ~has_pivot).any():
                found.add(zero)
            else:  # free: the pinned figures whose rows hold it may move with it
                found -= {int(c) for c in self.pivot[holding & has_pivot & (support == 1)]}
        return sorted(found)


class Reference:
    """The same interface over `exposed` itself: the exact fallback, and the check."""

    def __init__(self, equations, cells, hidden, zeros):
        self.equations, self.hidden, self.zeros = equations, set(hidden), set(zeros)

    def hide(self, cell):
        self.hidden.add(cell)

    def exposed(self):
        return exposed(self.equations, self.hidden, self.zeros)
