"""The grouping engine: feasible, optimal on small cases, deterministic, and clear about
impossible input."""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from nextpractice.grouping import (
    Cancelled,
    GroupingError,
    Problem,
    choose_group_count,
    equal_bounds,
    kernels,
    mdgplib,
    solve,
)

DATA = Path(__file__).parent / "data" / "mdgplib"
SMALL = sorted(DATA.glob("*_n01[02]_*.txt"))


def random_scores(n: int, seed: int = 0, negative: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = rng.uniform(-50 if negative else 0, 100, (n, n))
    s = (s + s.T) / 2
    np.fill_diagonal(s, 0)
    return s


def brute_force(scores: np.ndarray, lower: list[int], upper: list[int]) -> float:
    """An independent optimum for tiny cases: every assignment, in plain Python."""
    n, m = scores.shape[0], len(lower)
    best = -np.inf
    for code in range(m**n):
        a = [(code // m**k) % m for k in range(n)]
        sizes = np.bincount(a, minlength=m)
        if all(lower[g] <= sizes[g] <= upper[g] for g in range(m)):
            same = np.equal.outer(a, a)
            best = max(best, float(np.triu(scores * same, 1).sum()))
    return best


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
def test_every_small_mdgplib_instance_is_solved_to_proven_optimum(path: Path) -> None:
    problem = mdgplib.read(path)
    optimum, _ = kernels.exhaustive(problem.scores, problem.lower, problem.upper)
    result = solve(problem, max_iterations=20_000, seed=1)
    problem.check(result.assignment)
    assert result.score == pytest.approx(optimum, abs=1e-6)


def test_the_enumeration_agrees_with_plain_python() -> None:
    scores = random_scores(7, seed=3)
    optimum, assignment = kernels.exhaustive(scores, np.array([1, 2, 2]), np.array([2, 3, 4]))
    assert optimum == pytest.approx(brute_force(scores, [1, 2, 2], [2, 3, 4]))
    assert Problem.build(scores, [1, 2, 2], [2, 3, 4]).objective(assignment) == pytest.approx(
        optimum
    )


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ([5, 5, 5, 5], [5, 5, 5, 5]),  # all the same size
        ([3, 4, 6, 2], [5, 6, 8, 9]),  # different sizes
        ([0, 0, 0, 0, 0], [20, 20, 20, 20, 20]),  # no lower bounds
        ([4] * 4, [7] * 4),  # the clusters' 4 to 7
    ],
)
def test_every_partition_is_feasible_and_scored_truthfully(
    lower: list[int], upper: list[int]
) -> None:
    problem = Problem.build(random_scores(20, seed=len(lower)), lower, upper)
    result = solve(problem, max_iterations=3000, seed=5)
    problem.check(result.assignment)
    assert result.score == pytest.approx(problem.objective(result.assignment), abs=1e-6)


def test_links_are_honoured() -> None:
    must = [(0, 1), (1, 2), (5, 9)]
    cannot = [(0, 3), (2, 4), (5, 6), (10, 11), (10, 12), (11, 12)]
    scores = random_scores(24, seed=9)
    # Make the cannot-linked pairs attractive, so that only the constraint keeps them apart.
    for i, j in cannot:
        scores[i, j] = scores[j, i] = 1000
    problem = Problem.build(scores, [4] * 5, [6] * 5, must_link=must, cannot_link=cannot)
    for seed in range(5):
        result = solve(problem, max_iterations=3000, seed=seed)
        a = result.assignment
        assert a[0] == a[1] == a[2] and a[5] == a[9]
        assert all(a[i] != a[j] for i, j in cannot)
        assert result.score == pytest.approx(problem.objective(a))


def test_same_seed_and_limits_give_the_same_answer() -> None:
    problem = Problem.build(random_scores(40, seed=2), [6, 7, 8, 9, 5], [9, 9, 10, 11, 9])
    first = solve(problem, max_iterations=5000, seed=11)
    again = solve(problem, max_iterations=5000, seed=11)
    assert np.array_equal(first.assignment, again.assignment)
    assert first.score == again.score and first.iterations == again.iterations


def test_progress_is_reported_and_cancelling_returns_the_best_so_far() -> None:
    problem = Problem.build(random_scores(30, seed=4), *equal_bounds(30))
    seen: list[tuple[float, float]] = []
    result = solve(
        problem, max_iterations=20_000, seed=1, progress=lambda f, best: seen.append((f, best))
    )
    assert seen and seen[-1][0] == pytest.approx(1.0)
    assert all(a[0] <= b[0] and a[1] <= b[1] + 1e-9 for a, b in pairwise(seen))
    assert seen[-1][1] == pytest.approx(result.score)
    calls = 0

    def cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    with pytest.raises(Cancelled) as stopped:
        solve(problem, max_iterations=10**9, seed=1, cancel=cancel)
    problem.check(stopped.value.result.assignment)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Problem.build(np.zeros((3, 4)), [1], [3]), "must be square"),
        (lambda: Problem.build([[0, np.nan], [np.nan, 0]], [2], [2]), "not a number"),
        (lambda: Problem.build([[0, 1], [2, 0]], [2], [2]), "not symmetric"),
        (lambda: Problem.build(np.zeros((10, 10)), [2, 2], [4, 4]), "cannot hold 10 people"),
        (lambda: Problem.build(np.zeros((10, 10)), [6, 6], [8, 8]), "cannot hold 10 people"),
        (lambda: Problem.build(np.zeros((4, 4)), [3, 1], [2, 3]), "not a valid size range"),
        (
            lambda: Problem.build(
                np.zeros((8, 8)), [4, 4], [4, 4], must_link=[(0, 1), (1, 2), (2, 3), (3, 4)]
            ),
            "5 people are linked by must-links, more than the largest group",
        ),
        (
            lambda: Problem.build(
                np.zeros((8, 8)), [4, 4], [4, 4], must_link=[(0, 1), (1, 2)], cannot_link=[(0, 2)]
            ),
            "together .* and apart",
        ),
        (
            lambda: Problem.build(np.zeros((4, 4)), [2, 2], [2, 2], cannot_link=[(0, 9)]),
            "outside 0..3",
        ),
        (
            lambda: Problem.build(np.zeros((4, 4)), [2, 2], [2, 2], must_link=[(1, 1)]),
            "with themself",
        ),
    ],
)
def test_impossible_input_is_refused_with_the_reason(build: object, message: str) -> None:
    with pytest.raises(GroupingError, match=message):
        build()  # type: ignore[operator]


def test_links_that_cannot_all_fit_are_refused_not_broken() -> None:
    # Three people who must each be apart from the other two, but only two groups.
    problem = Problem.build(np.zeros((6, 6)), [3, 3], [3, 3], cannot_link=[(0, 1), (1, 2), (0, 2)])
    with pytest.raises(GroupingError, match="could not build any partition"):
        solve(problem, max_iterations=100)


def test_a_limit_is_required() -> None:
    with pytest.raises(GroupingError, match="time limit or an iteration limit"):
        solve(Problem.build(np.zeros((4, 4)), [2, 2], [2, 2]))


@pytest.mark.parametrize(
    ("n", "groups"), [(4, 1), (7, 1), (8, 2), (11, 2), (30, 5), (58, 11), (1500, 273)]
)
def test_the_engine_picks_how_many_groups_of_4_to_7(n: int, groups: int) -> None:
    assert choose_group_count(n) == groups
    lower, upper = equal_bounds(n)
    assert sum(lower) <= n <= sum(upper)


def test_too_few_people_for_a_group_is_refused() -> None:
    with pytest.raises(GroupingError, match="3 people cannot be split"):
        choose_group_count(3)


def test_the_command_line_solves_and_benchmarks(tmp_path: Path) -> None:
    out = tmp_path / "solution.txt"
    instance = DATA / "RanReal_n030_ds_01.txt"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nextpractice.grouping",
            "solve",
            str(instance),
            "--iterations",
            "3000",
            "--seed",
            "3",
            "-o",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    objective = float(done.stdout.split()[1])
    assignment = [int(line.split()[1]) for line in out.read_text().splitlines()]
    assert mdgplib.read(instance).objective(assignment) == pytest.approx(objective, abs=1e-5)
    bench = subprocess.run(
        [
            sys.executable,
            "-m",
            "nextpractice.grouping",
            "bench",
            str(DATA),
            "--time-limit",
            "0.2",
            "--pattern",
            "RanInt_n010_ss_0[12].txt",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = bench.stdout.splitlines()
    assert lines[0] == "instance,objective,best_known,gap_percent,iterations,seconds"
    assert [line.split(",")[0] for line in lines[1:3]] == ["RanInt_n010_ss_01", "RanInt_n010_ss_02"]


def test_a_malformed_instance_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("ten 2 ss 5 5 5 5\n")
    with pytest.raises(GroupingError, match="line 1"):
        mdgplib.read(bad)


@pytest.mark.parametrize(
    "n", [300, 700], ids=["large pool: tabu in stretches", "larger: candidate lists"]
)
def test_large_pools_give_the_same_answer_for_the_same_seed(n: int) -> None:
    problem = Problem.build(random_scores(n, seed=n), *equal_bounds(n))
    first = solve(problem, max_iterations=1500, seed=3)
    again = solve(problem, max_iterations=1500, seed=3)
    other = solve(problem, max_iterations=1500, seed=4)
    assert np.array_equal(first.assignment, again.assignment)
    assert first.score == again.score and first.iterations == again.iterations
    assert not np.array_equal(first.assignment, other.assignment)
    problem.check(first.assignment)
    assert first.score == pytest.approx(problem.objective(first.assignment))


def test_the_candidate_list_search_keeps_its_books_right_move_by_move() -> None:
    """Its scores with each group are updated move by move, never recomputed: after every
    stretch the score it reports is the partition's own, and the partition is feasible,
    with group sizes that differ and links to keep."""
    n = 80
    problem = Problem.build(
        random_scores(n, seed=8),
        [4, 5, 6, 3, 5, 4, 6, 5, 4, 5, 6, 4, 5, 3],
        [7, 7, 8, 6, 7, 8, 9, 6, 7, 7, 8, 6, 9, 7],
        cannot_link=[(0, 1), (2, 3), (0, 5)],
    )
    w = np.ones(n, dtype=np.int64)
    cl = np.zeros((n, n), dtype=np.uint8)
    for i, j in problem.cannot_link:
        cl[i, j] = cl[j, i] = 1
    assign, ok = kernels.random_feasible(w, problem.lower, problem.upper, cl, True, 1)
    assert ok
    best_assign, tabu = assign.copy(), np.zeros((n, problem.m), dtype=np.int64)
    counters = np.zeros(3, dtype=np.int64)
    best = -1e301
    for stretch in range(20):
        best, ran, _ = kernels.tabu_run_candidates(
            problem.scores, w, problem.lower, problem.upper, cl, True, assign, best_assign,
            tabu, counters, best, 25, 10**9, 4, 4, stretch, 3,
        )  # fmt: skip
        assert ran == 25
        problem.check(best_assign)
        problem.check(assign)
        assert best == pytest.approx(problem.objective(best_assign), abs=1e-6)


def test_a_long_search_of_a_large_pool_reports_progress_and_can_be_cancelled() -> None:
    problem = Problem.build(random_scores(700, seed=5), *equal_bounds(700))
    seen: list[float] = []

    def cancel() -> bool:
        return len(seen) >= 3

    with pytest.raises(Cancelled) as stopped:
        solve(
            problem,
            max_iterations=10**9,
            seed=1,
            progress=lambda fraction, best: seen.append(best),
            cancel=cancel,
        )
    # Cancelled within the first tabu search of the first partition: it was not waited out.
    assert stopped.value.result.generations == 0
    problem.check(stopped.value.result.assignment)
    assert stopped.value.result.score == pytest.approx(
        problem.objective(stopped.value.result.assignment)
    )


def test_the_pair_cache_makes_the_moves_a_full_scan_makes() -> None:
    """tabu_run_pairs reads again only the pairs of groups a move touched: with no tabu
    (tenure 0) and scores without ties, it must take the same steepest moves, one by one,
    as tabu_run, which looks at every swap each iteration; with tabu and links, its books
    must stay right stretch after stretch."""
    n = 90
    problem = Problem.build(
        random_scores(n, seed=12),
        [4, 5, 6, 3, 5, 4, 6, 5, 4, 5, 6, 4],
        [8, 9, 10, 7, 9, 8, 11, 9, 8, 9, 10, 8],
        cannot_link=[(0, 1), (2, 3), (0, 5)],
    )
    w = np.ones(n, dtype=np.int64)
    cl = np.zeros((n, n), dtype=np.uint8)
    for i, j in problem.cannot_link:
        cl[i, j] = cl[j, i] = 1
    start, ok = kernels.random_feasible(w, problem.lower, problem.upper, cl, True, 2)
    assert ok
    args = (problem.scores, w, problem.lower, problem.upper, cl, True)
    for steps in (1, 5, 40):
        paths = []
        for kernel in (kernels.tabu_run, kernels.tabu_run_pairs):
            assign, best_assign = start.copy(), start.copy()
            tabu = np.zeros((n, problem.m), dtype=np.int64)
            counters = np.zeros(2, dtype=np.int64)
            best, _, _ = kernel(
                *args, assign, best_assign, tabu, counters, -1e301, steps, 10**9, 0, 0, 1
            )
            paths.append((best, assign))
        assert paths[0][0] == pytest.approx(paths[1][0], abs=1e-9)
        assert np.array_equal(paths[0][1], paths[1][1])
    assign, best_assign = start.copy(), start.copy()
    tabu = np.zeros((n, problem.m), dtype=np.int64)
    counters = np.zeros(2, dtype=np.int64)
    best = -1e301
    for stretch in range(15):
        best, ran, _ = kernels.tabu_run_pairs(
            *args, assign, best_assign, tabu, counters, best, 30, 10**9, 5, 5, stretch
        )
        assert ran == 30
        problem.check(best_assign)
        problem.check(assign)
        assert best == pytest.approx(problem.objective(best_assign), abs=1e-6)


def test_the_crossover_reads_groups_not_their_numbers() -> None:
    """Two parents holding the same grouping under different group numbers are one parent:
    the child is that grouping, whole groups whatever their numbers, sizes kept. (Before,
    a parent's group could only go to the slot of its own number.)"""
    n = 60
    scores = random_scores(n, seed=6)
    w = np.ones(n, dtype=np.int64)
    cl = np.zeros((1, 1), dtype=np.uint8)
    lo = hi = np.array([10] * 6)
    parent, ok = kernels.random_feasible(w, lo, hi, cl, False, 4)
    assert ok
    renumbered = np.array([3, 5, 0, 1, 4, 2])[parent]
    for seed in range(4):
        child, ok = kernels.crossover(scores, w, lo, hi, cl, False, parent, renumbered, seed)
        assert ok
        assert np.array_equal(child[:, None] == child[None, :], parent[:, None] == parent[None, :])
    # Different sizes: the same parent twice gives itself back.
    lo = hi = np.array([4, 6, 8, 10, 12, 20])
    parent, ok = kernels.random_feasible(w, lo, hi, cl, False, 3)
    assert ok
    child, ok = kernels.crossover(scores, w, lo, hi, cl, False, parent, parent, 1)
    assert ok and np.array_equal(child, parent)
