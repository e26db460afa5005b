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
