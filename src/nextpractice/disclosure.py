"""Statistical disclosure control for the figures researchers see.

Pure and typed: no Django, so it can be tested alone.

Why. A count of one, two, three or four leaders is small enough to point at people ("the
two leaders in Eastfield who have no cluster"), so every such figure is hidden: this is
*primary suppression*, with a threshold of 5 (MIN_GROUP). Hiding them is not enough when
totals are shown: if a row reads ``?, 12, 30`` and its total 45, the hidden figure is 3.
Nor is hiding two figures in a row enough when each of them is alone in its column. So
further figures are hidden, *complementary suppression*, until no hidden figure can be
worked out from the shown ones by any sum or difference (any linear combination) of the
table's rows, columns and totals.

What is shown.
- Zero is shown. "No one" points at no one, and a table of hidden zeros would hide the
  shape of the programme (areas with no forming cluster) for no gain. A zero may still be
  hidden as a complement, when nothing better is at hand; so a reader cannot assume that a
  hidden figure is at least 1.
- Totals are figures like any other: a total under 5 is hidden, and so can be a total
  chosen as a complement.
- A hidden figure is shown the same way whichever the reason (primary or complement).
  Marking which is which would tell the reader that one hidden figure is under 5 and the
  other is 0 or at least 5, and with the total that can pin both down.

How the complements are chosen. The table with its margins is a grid of
``(rows + 1) x (columns + 1)`` figures tied by one equation per row and per column
("the figures add up to the total"). A hidden figure can be worked out exactly when its unit
vector lies in the row space of those equations restricted to the unknown figures (hidden
ones, and margins that a one-column or one-row table does not print). While some hidden
figure can be worked out, one more figure in its row or column is hidden (first in a line
with a single unknown left: that is where a figure can be read off): preferably one that is
not zero (zeros show the shape of the programme), an inner figure rather than a total, one
whose other line already has a hidden figure (so that one complement protects two lines),
and the smallest (the least information lost). The check is exact (fractions, not floating
point) and the tables are small (areas by status), so one elimination per complement costs
nothing that matters.

What it does not promise. It stops exact derivation. A reader can still bound a hidden
figure (never below 0, never above its row's hidden remainder); the page says that hidden
figures are under 5 or hidden to protect one that is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

THRESHOLD = 5

Position = tuple[int, int]


@dataclass(frozen=True)
class ProtectedTable:
    """A table ready to publish: ``None`` where a figure is hidden.

    ``row_totals`` and ``column_totals`` are empty for a table of one row or one column
    (they would repeat its figures, or the grand total); ``total`` is the grand total.
    """

    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    total: int | None

    @property
    def hidden_count(self) -> int:
        figures = [v for row in self.cells for v in row]
        figures += [*self.row_totals, *self.column_totals, self.total]
        return sum(v is None for v in figures)


def protect(
    counts: Sequence[Sequence[int]],
    threshold: int = THRESHOLD,
    *,
    hide_total: bool = False,
    hide: Iterable[Position] = (),
) -> ProtectedTable:
    """Hide every figure from 1 to ``threshold - 1``, and as many others as needed so that
    no hidden figure follows from the shown ones and the totals.

    ``hide_total``: the grand total is hidden in another table that shares it (the same
    figure, broken down another way); hide it here too, and protect it like the others.
    ``hide``: other figures hidden elsewhere (a row's total shared with another table), by
    position in the grid with margins (row r's total is ``(r, columns)``); a position this
    table does not print is ignored."""
    n_rows = len(counts)
    n_cols = len(counts[0]) if n_rows else 0
    if any(len(row) != n_cols for row in counts):
        raise ValueError("every row needs the same number of figures")
    if any(v < 0 for row in counts for v in row):
        raise ValueError("counts cannot be negative")
    grid = _grid(counts)
    published = _published(n_rows, n_cols)
    lines = _lines(n_rows, n_cols)
    hidden = {p for p in published if 0 < grid[p] < threshold}
    if hide_total:
        hidden.add((n_rows, n_cols))
    hidden |= set(hide) & published
    while True:
        exposed = _exposed(hidden, published, lines)
        if not exposed:
            break
        complement = _choose_complement(exposed, grid, hidden, published, lines)
        if complement is None:  # everything is hidden already
            break
        hidden.add(complement)

    margins = n_rows > 1 and n_cols > 1

    def shown(p: Position) -> int | None:
        return None if p in hidden else grid[p]

    return ProtectedTable(
        cells=tuple(tuple(shown((r, c)) for c in range(n_cols)) for r in range(n_rows)),
        row_totals=tuple(shown((r, n_cols)) for r in range(n_rows)) if margins else (),
        column_totals=tuple(shown((n_rows, c)) for c in range(n_cols)) if margins else (),
        total=shown((n_rows, n_cols)),
    )


def _grid(counts: Sequence[Sequence[int]]) -> dict[Position, int]:
    """The figures with their margins: row r's total at (r, C), column c's at (R, c), the
    grand total at (R, C)."""
    n_rows, n_cols = len(counts), len(counts[0]) if counts else 0
    grid: dict[Position, int] = {}
    for r, row in enumerate(counts):
        for c, value in enumerate(row):
            grid[r, c] = value
        grid[r, n_cols] = sum(row)
    for c in range(n_cols + 1):
        grid[n_rows, c] = sum(grid[r, c] for r in range(n_rows))
    return grid


def _published(n_rows: int, n_cols: int) -> set[Position]:
    """The figures printed: every cell, the grand total, and row and column totals when the
    table has both several rows and several columns (otherwise they repeat other figures)."""
    published = {(r, c) for r in range(n_rows) for c in range(n_cols)}
    if n_rows > 1 and n_cols > 1:
        published |= {(r, n_cols) for r in range(n_rows)}
        published |= {(n_rows, c) for c in range(n_cols)}
    published.add((n_rows, n_cols))
    return published


def _lines(n_rows: int, n_cols: int) -> list[tuple[list[Position], Position]]:
    """Every equation of the grid: (the parts, their total)."""
    rows = [([(r, c) for c in range(n_cols)], (r, n_cols)) for r in range(n_rows + 1)]
    cols = [([(r, c) for r in range(n_rows)], (n_rows, c)) for c in range(n_cols + 1)]
    return rows + cols


def _exposed(
    hidden: set[Position],
    published: set[Position],
    lines: list[tuple[list[Position], Position]],
) -> list[Position]:
    """The hidden figures that the equations, with every shown figure known, fix exactly.

    A figure is fixed when its unit vector lies in the row space of the equations over the
    unknowns; in reduced row echelon form that is exactly when one of the rows is that unit
    vector (a pivot row with no other entry)."""
    every = {p for parts, total in lines for p in (*parts, total)}
    unknowns = sorted((every - published) | hidden)
    index = {p: i for i, p in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for parts, total in lines:
        row = [Fraction(0)] * len(unknowns)
        for p in parts:
            if p in index:
                row[index[p]] += 1
        if total in index:
            row[index[total]] -= 1
        if any(row):
            rows.append(row)
    fixed = set()
    for row in _reduced(rows):
        nonzero = [i for i, v in enumerate(row) if v != 0]
        if len(nonzero) == 1:
            fixed.add(unknowns[nonzero[0]])
    return sorted(fixed & hidden)


def _reduced(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """Reduced row echelon form (Gauss-Jordan, exact), zero rows dropped."""
    matrix = [row[:] for row in rows]
    rank = 0
    n_cols = len(matrix[0]) if matrix else 0
    for col in range(n_cols):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        lead = matrix[rank][col]
        matrix[rank] = [v / lead for v in matrix[rank]]
        for i in range(len(matrix)):
            if i != rank and matrix[i][col] != 0:
                factor = matrix[i][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank], strict=True)]
        rank += 1
    return matrix[:rank]


def _choose_complement(
    exposed: Sequence[Position],
    grid: dict[Position, int],
    hidden: set[Position],
    published: set[Position],
    lines: list[tuple[list[Position], Position]],
) -> Position | None:
    """One more figure to hide. First where a line has one unknown figure left (it is that
    line's total minus the rest); otherwise (a figure fixed only through several lines) in a
    line of the first exposed figure; failing both, anywhere in the table."""
    corner = max(published)  # the grand total's position: (R, C)
    unknown = hidden | (_all(lines) - published)
    shown = published - hidden

    def preference(p: Position, row_line: bool) -> tuple[bool, bool, bool, int, Position]:
        is_total = p[0] == corner[0] or p[1] == corner[1]
        # The line through p across this one: if it already has a hidden figure, hiding p
        # protects both lines at once.
        across = (
            any(h[1] == p[1] for h in hidden) if row_line else any(h[0] == p[0] for h in hidden)
        )
        return (grid[p] == 0, is_total, not across, grid[p], p)

    # _lines lists the rows (R + 1 of them) first, then the columns.
    every = [(set(parts) | {total}, i <= corner[0]) for i, (parts, total) in enumerate(lines)]
    singles = [
        (line, is_row) for line, is_row in every if len(line & unknown) == 1 and line & hidden
    ]
    around = [(line, is_row) for line, is_row in every if exposed[0] in line]
    for line, is_row in singles or around:
        candidates = sorted(shown & line, key=lambda p: preference(p, is_row))
        if candidates:
            return candidates[0]
    anywhere = sorted(shown, key=lambda p: preference(p, True))
    return anywhere[0] if anywhere else None


def _all(lines: list[tuple[list[Position], Position]]) -> set[Position]:
    return {p for parts, total in lines for p in (*parts, total)}
