"""Which hidden figures the published ones still pin down: exact linear algebra.

A table's partitions are equations `total - part_1 - ... - part_k = 0`. Once every
published figure is moved to the right-hand side, the hidden figures are the unknowns.
A hidden figure is pinned down (anyone can recompute it) exactly when its unit vector
lies in the row space of the equations restricted to the hidden figures; in the reduced
row echelon form that is a pivot whose row holds no other unknown. Fractions keep the
elimination exact, so the answer never depends on rounding. Pure Python: the rule runs
in the app, where scipy is not installed (the tests prove the same with scipy's linear
programming, adding that no figure is negative).
"""

from fractions import Fraction


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
