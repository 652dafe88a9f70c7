"""The researcher's figures: nothing under 5, and nothing that sums and differences of the
shown figures and totals give back."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from nextpractice import disclosure
from nextpractice.disclosure import ProtectedTable, protect


def exposed(table: ProtectedTable, truth: list[list[int]]) -> list[tuple[int, int]]:
    """Hidden figures an attacker can compute: solve the table's equations (each row and
    column adds up to its total) over the unknowns, independently of the module's own
    elimination (floating-point ranks, numpy)."""
    n_rows, n_cols = len(truth), len(truth[0])
    known: dict[tuple[int, int], int] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            if table.cells[r][c] is not None:
                known[r, c] = table.cells[r][c]  # type: ignore[assignment]
    for r, v in enumerate(table.row_totals):
        if v is not None:
            known[r, n_cols] = v
    for c, v in enumerate(table.column_totals):
        if v is not None:
            known[n_rows, c] = v
    if table.total is not None:
        known[n_rows, n_cols] = table.total
    every = [(r, c) for r in range(n_rows + 1) for c in range(n_cols + 1)]
    unknowns = [p for p in every if p not in known]
    index = {p: i for i, p in enumerate(unknowns)}
    equations = []
    for r in range(n_rows + 1):
        equations.append({**{(r, c): 1 for c in range(n_cols)}, (r, n_cols): -1})
    for c in range(n_cols + 1):
        equations.append({**{(r, c): 1 for r in range(n_rows)}, (n_rows, c): -1})
    matrix = np.zeros((len(equations), len(unknowns)))
    for i, equation in enumerate(equations):
        for p, coefficient in equation.items():
            if p in index:
                matrix[i, index[p]] = coefficient
    rank = np.linalg.matrix_rank(matrix)
    published_hidden = [(r, c) for r in range(n_rows) for c in range(n_cols) if (r, c) not in known]
    published_hidden += [(r, n_cols) for r, v in enumerate(table.row_totals) if v is None]
    published_hidden += [(n_rows, c) for c, v in enumerate(table.column_totals) if v is None]
    if table.total is None:
        published_hidden.append((n_rows, n_cols))
    found = []
    for p in published_hidden:
        unit = np.zeros((1, len(unknowns)))
        unit[0, index[p]] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(p)
    return found


def check(truth: list[list[int]]) -> ProtectedTable:
    table = protect(truth)
    assert exposed(table, truth) == [], (truth, table)
    for r, row in enumerate(truth):
        for c, value in enumerate(row):
            shown = table.cells[r][c]
            if 0 < value < disclosure.THRESHOLD:
                assert shown is None, (truth, table)
            assert shown in (None, value)
    figures = [*table.row_totals, *table.column_totals, table.total]
    assert all(f is None or f == 0 or f >= disclosure.THRESHOLD for f in figures), table
    return table


def test_every_figure_under_five_is_hidden_and_zero_is_shown() -> None:
    table = check([[0, 12, 30], [7, 8, 9], [20, 0, 40]])
    assert table.cells == ((0, 12, 30), (7, 8, 9), (20, 0, 40))
    assert table.total == 126 and table.hidden_count == 0


def test_the_total_minus_the_rows_shown_does_not_give_the_hidden_one() -> None:
    # Before: areas 3, 12, 30 and a total of 45 gave the 3 back.
    table = check([[3], [12], [30]])
    assert table.cells[0] == (None,)
    assert table.cells[1] == (None,) or table.total is None


def test_a_lone_small_figure_in_a_row_and_a_column_takes_a_rectangle_with_it() -> None:
    table = check([[3, 12, 30], [7, 8, 9], [20, 11, 40]])
    # The 3 needs a partner in its row and in its column, and they a fourth: a rectangle.
    assert table.hidden_count == 4
    assert table.row_totals == (45, 24, 71) and table.total == 140


def test_small_totals_are_hidden_too() -> None:
    table = check([[0, 2], [0, 1]])
    assert table.total is None and table.column_totals[1] is None


@pytest.mark.parametrize("seed", range(300))
def test_no_hidden_figure_can_be_worked_out_in_random_tables(seed: int) -> None:
    rng = random.Random(seed)
    n_rows, n_cols = rng.randint(1, 6), rng.randint(1, 4)
    # Mostly small figures, where suppression is hard, with some zeros and some large ones.
    weights = [4, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    truth = [
        [
            rng.choices(range(len(weights)), weights)[0] * rng.choice([1, 1, 1, 5])
            for _ in range(n_cols)
        ]
        for _ in range(n_rows)
    ]
    check(truth)


def test_the_module_is_pure() -> None:
    source = Path(disclosure.__file__).read_text()
    assert "django" not in source.replace("Django", "").replace("no Django", "")


def test_a_total_hidden_in_a_linked_table_is_hidden_and_protected_here() -> None:
    table = protect([[6], [9], [12]], hide_total=True)
    assert table.total is None
    # With every figure shown the hidden total would be their sum: one more is hidden.
    assert sum(v is None for (v,) in table.cells) == 1
    assert exposed(table, [[6], [9], [12]]) == []
