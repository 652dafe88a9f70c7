"""The statistics and the suppression behind the area's figures, against independently
computed values: numbers worked by hand, Python's statistics module, numpy, and published
tables of Student's t."""

from __future__ import annotations

import itertools
import math
import random
import statistics
from xml.etree import ElementTree

import numpy as np
import pytest

from nextpractice import disclosure
from nextpractice.impact import charts, stats

# Two-sided 95% critical values of Student's t (any printed table: e.g. NIST/SEMATECH
# e-Handbook of Statistical Methods, table 1.3.6.7.2).
T_TABLE = {1: 12.706, 2: 4.303, 4: 2.776, 5: 2.571, 9: 2.262, 10: 2.228, 19: 2.093, 29: 2.045}


@pytest.mark.parametrize(("df", "expected"), sorted(T_TABLE.items()))
def test_it_finds_the_t_quantiles_of_the_printed_tables(df: int, expected: float) -> None:
    assert stats.t_quantile(0.975, df) == pytest.approx(expected, abs=5e-4)


def test_its_t_cdf_matches_a_numerical_integral_of_the_density() -> None:
    # The density of Student's t, integrated with numpy's trapezoid rule: a second route.
    for df in (3, 7, 25):
        t = np.linspace(-60.0, 1.7, 400_001)
        c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
        density = c * (1 + t**2 / df) ** (-(df + 1) / 2)
        assert stats.t_cdf(1.7, df) == pytest.approx(float(np.trapezoid(density, t)), abs=2e-4)


def test_it_works_a_paired_change_as_by_hand() -> None:
    # Differences 1, 2, 0, 3, 1, 2, 1, 2: mean 1.5; squared deviations sum to 6, so the
    # sample variance is 6/7; half-width t(0.975, 7) * sqrt(6/7) / sqrt(8), t = 2.365.
    before = [5, 4, 6, 3, 5, 4, 6, 5]
    after = [6, 6, 6, 6, 6, 6, 7, 7]
    change = stats.paired_change(before, after)
    half = 2.365 * math.sqrt(6 / 7) / math.sqrt(8)
    assert change.n == 8
    assert change.mean == pytest.approx(1.5)
    assert change.low == pytest.approx(1.5 - half, abs=1e-3)
    assert change.high == pytest.approx(1.5 + half, abs=1e-3)


def test_it_agrees_with_the_statistics_module_on_random_data() -> None:
    rng = random.Random(14)
    for n in (5, 12, 40):
        before = [rng.randint(0, 10) for _ in range(n)]
        after = [min(10, max(0, b + rng.randint(-2, 4))) for b in before]
        diffs = [a - b for a, b in zip(after, before, strict=True)]
        change = stats.paired_change(before, after)
        assert change.mean == pytest.approx(statistics.fmean(diffs))
        half = stats.t_quantile(0.975, n - 1) * statistics.stdev(diffs) / math.sqrt(n)
        assert change.high - change.mean == pytest.approx(half)
        assert stats.median(diffs) == statistics.median(diffs)


def test_it_refuses_what_has_no_answer() -> None:
    with pytest.raises(ValueError, match="two pairs"):
        stats.paired_change([1], [2])
    with pytest.raises(ValueError, match="pair up"):
        stats.paired_change([1, 2], [2])
    with pytest.raises(ValueError, match="no values"):
        stats.median([])


# --- Suppression ---------------------------------------------------------------------------


def derivable(sizes: list[int], hidden: set[int], overall_hidden: bool) -> list[int]:
    """Every way a reader can work out a hidden group: the overall minus the shown groups
    leaves the hidden ones' sum; a sum about 1 to 4 people, or about one group, is exposed."""
    if overall_hidden or not hidden:
        return []
    rest = sum(sizes[i] for i in hidden)
    exposed = []
    if 0 < rest < stats.MIN_GROUP:
        exposed.append(rest)
    if len(hidden) == 1 and rest:
        exposed.append(rest)
    return exposed


def test_a_group_mean_never_follows_from_the_overall_and_the_others() -> None:
    for sizes in itertools.product([0, 1, 2, 4, 5, 6, 9], repeat=4):
        hidden, overall_hidden = stats.protect_groups(list(sizes))
        assert all(sizes[i] == 0 or sizes[i] >= 5 for i in set(range(4)) - hidden)
        assert not derivable(list(sizes), hidden, overall_hidden), sizes


def test_a_group_of_two_beside_big_ones_takes_the_smallest_with_it() -> None:
    assert stats.protect_groups([30, 2, 12, 7]) == ({1, 3}, False)
    assert stats.protect_groups([3, 1]) == ({0, 1}, True)
    assert stats.protect_groups([5, 0, 6]) == (set(), False)


def solve_hidden(tables: list[tuple[disclosure.ProtectedTable, list[list[int]]]]) -> set[tuple]:
    """An attacker with every published figure of tables that break the same people down
    different ways (the same rows, so the same row totals and grand total): the hidden
    figures that exact linear algebra over all their equations pins down. Independent of
    disclosure's own check (numpy's rank, not its elimination)."""
    value: dict[tuple, int | None] = {}
    auxiliary: set[tuple] = set()  # totals a table does not print (they repeat a figure)
    equations: list[tuple[list[tuple], tuple]] = []
    for k, (table, counts) in enumerate(tables):
        n_rows, n_cols = len(counts), len(counts[0])
        margins = bool(table.row_totals)
        for r in range(n_rows):
            for c in range(n_cols):
                value[("cell", k, r, c)] = table.cells[r][c]
            shown = table.row_totals[r] if margins else (table.total if n_rows == 1 else None)
            # Shown in either table, a shared total is known to the attacker.
            if shown is not None or ("row", r) not in value:
                value[("row", r)] = shown
        for c in range(n_cols):
            value[("col", k, c)] = table.column_totals[c] if margins else None
            if not margins:
                auxiliary.add(("col", k, c))
        if table.total is not None or ("total",) not in value:
            value[("total",)] = table.total
        for r in range(n_rows):
            equations.append(([("cell", k, r, c) for c in range(n_cols)], ("row", r)))
        for c in range(n_cols):
            equations.append(([("cell", k, r, c) for r in range(n_rows)], ("col", k, c)))
        equations.append(([("row", r) for r in range(n_rows)], ("total",)))
        equations.append(([("col", k, c) for c in range(n_cols)], ("total",)))
    unknown = sorted(p for p, v in value.items() if v is None)
    if not unknown:
        return set()
    rows = []
    for parts, total in equations:
        row = np.zeros(len(unknown))
        for p in parts:
            if p in unknown:
                row[unknown.index(p)] += 1
        if total in unknown:
            row[unknown.index(total)] -= 1
        rows.append(row)
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    pinned = set()
    for k, p in enumerate(unknown):
        unit = np.zeros(len(unknown))
        unit[k] = 1
        # p is determined iff its unit vector lies in the row space of the equations.
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            pinned.add(p)
    return pinned - auxiliary


@pytest.mark.parametrize("seed", range(40))
def test_totals_minus_shown_rows_never_reveal_a_hidden_figure(seed: int) -> None:
    rng = random.Random(seed)
    counts = [[rng.choice([0, 1, 2, 3, 5, 8, 13]) for _ in range(4)] for _ in range(3)]
    table = disclosure.protect(counts)
    assert table.hidden_count or all(v == 0 or v >= 5 for row in counts for v in row)
    assert not solve_hidden([(table, counts)]), (counts, table)


def people_counts(rng: random.Random, areas: int) -> tuple[list[list[int]], list[list[int]]]:
    """Leaders of a few areas, each with a setting type (4) and a deprivation band (4)."""
    by_type = [[0] * 4 for _ in range(areas)]
    by_band = [[0] * 4 for _ in range(areas)]
    for area in range(areas):
        for _ in range(rng.choice([2, 4, 9, 15, 30])):
            by_type[area][min(3, int(rng.expovariate(1.0)))] += 1
            by_band[area][rng.randrange(4)] += 1
    return by_type, by_band


@pytest.mark.parametrize("seed", range(40))
def test_two_overlapping_breakdowns_reveal_nothing_together(seed: int) -> None:
    from nextpractice.impact.figures import protect_jointly

    rng = random.Random(seed)
    by_type, by_band = people_counts(rng, rng.choice([1, 2, 3]))
    one, two = protect_jointly([by_type, by_band])
    # A margin the two share is shown in both or hidden in both...
    assert one.total == two.total
    assert one.row_totals == two.row_totals
    # ... and an attacker holding both tables at once pins down no hidden figure.
    assert not solve_hidden([(one, by_type), (two, by_band)]), (by_type, by_band)
    for table in (one, two):
        shown = [v for row in table.cells for v in row if v is not None]
        assert all(v == 0 or v >= 5 for v in shown)


def test_the_same_table_filtered_twice_hides_the_same_figures() -> None:
    from nextpractice.impact.figures import protect_jointly

    counts = [[3, 7, 12], [6, 1, 9], [0, 4, 15]]
    assert disclosure.protect(counts) == disclosure.protect([row[:] for row in counts])
    assert protect_jointly([counts, counts]) == protect_jointly([counts, counts])[::-1]


# --- Charts ----------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def test_a_line_chart_carries_the_values_it_draws() -> None:
    points = [
        charts.Point("When you joined", 4),
        charts.Point("Spring 2027", None),
        charts.Point("Summer 2027", 7),
    ]
    text = charts.line_chart("c", "Confidence", "0 to 10", points, 0, 10)
    svg = ElementTree.fromstring(text)  # noqa: S314 - markup the test itself just drew
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.find(f"{SVG}title").text == "Confidence"
    assert svg.find(f"{SVG}desc").text == "0 to 10"
    marks = svg.findall(f".//{SVG}circle[@class='mark']")
    assert [(m.get("data-label"), float(m.get("data-value"))) for m in marks] == [
        ("When you joined", 4.0),
        ("Summer 2027", 7.0),
    ]
    assert [m.find(f"{SVG}title").text for m in marks] == [
        "When you joined: 4.0",
        "Summer 2027: 7.0",
    ]
    # Higher values are drawn higher: y grows downwards in SVG.
    assert float(marks[1].get("cy")) < float(marks[0].get("cy"))


def test_an_interval_chart_draws_each_mean_between_its_limits() -> None:
    ivs = [
        charts.Interval("Confidence <as a leader>", 1.2, 0.4, 2.0),
        charts.Interval("Isolation", -0.8, -1.5, -0.1),
    ]
    text = charts.interval_chart("x", "Change", "Since joining", ivs, -3, 3)
    svg = ElementTree.fromstring(text)  # noqa: S314 - well-formed: the markup in the label was escaped
    marks = svg.findall(f".//{SVG}g[@class='mark']")
    assert [m.get("data-label") for m in marks] == ["Confidence <as a leader>", "Isolation"]
    for mark, iv in zip(marks, ivs, strict=True):
        assert float(mark.get("data-value")) == pytest.approx(iv.mean)
        assert float(mark.get("data-low")) == pytest.approx(iv.low)
        line, dot = mark.find(f"{SVG}line"), mark.find(f"{SVG}circle")
        assert float(line.get("x1")) < float(dot.get("cx")) < float(line.get("x2"))
    zero_x = 170 + (520 - 170 - 16) * 0.5
    assert float(marks[0].find(f"{SVG}circle").get("cx")) > zero_x
    assert float(marks[1].find(f"{SVG}circle").get("cx")) < zero_x


def test_groups_hidden_for_their_counts_take_enough_others_with_them() -> None:
    # Group 0's count was hidden (a complement, though it holds nobody) beside three in
    # group 1: their combined change would be the overall's less the others', about three
    # people, so one more group is hidden.
    assert stats.protect_groups([0, 3, 8, 9], hidden={0}) == ({0, 1, 2}, False)
    assert stats.protect_groups([6, 7, 8], hidden={0, 1}) == ({0, 1}, False)
