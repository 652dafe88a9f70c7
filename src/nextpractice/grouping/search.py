"""The search: a memetic algorithm, after the strongest published MDGP methods.

A small population of solutions, each improved by tabu search over one-moves and swaps
(O(1) move evaluation from the unit-to-group matrix, compiled by numba); children are made
by a group-based crossover (whole groups taken alternately from two parents, the rest placed
greedily) and improved by tabu search; a child replaces the worst member when it is better
and not a copy. When the population stops improving, all but the best are rebuilt.
This follows the memetic framework of Lai & Hao (2016) and the population search of Yang
et al. (2022, TPSDP), simplified to one phase.

Deterministic: all randomness comes from ``seed``, and limits are checked only between
kernel calls, whose lengths never depend on the clock but for the last stretch of a large
pool's search under a time limit (cut to the time left). With an iteration limit the answer
is exactly reproducible; with a time limit only, a faster machine follows the same path
further.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import kernels
from .problem import GroupingError, Problem

# Tuned on MDGPLIB n=120 and n=240 instances (bench/RESULTS.md).
DEPTH_PER_UNIT = 8  # tabu iterations without a new best before a tabu search stops
# The same for pools beyond LARGE_POOL searched whole (tabu_run_pairs) in groups of 10 or
# more on average: on MDGPLIB n=480 (groups of 18 to 30) searches twice as deep did better
# in the same time. Formation pools (groups of 4 to 7) keep DEPTH_PER_UNIT.
DEPTH_PER_UNIT_LARGE = 16
TENURE_DIVISOR = 24  # tabu tenure: u/24 plus a random 0..u/24 iterations
FIXED_SIZES_SHARE = 0.4  # of the budget spent with group sizes fixed (see _likely_sizes)
# The same when every likely size sits at one of its group's bounds (different-size
# MDGPLIB instances): then any change of sizes loses pairs, the second phase can only
# polish, and the fixed phase, whose searches are faster, deserves most of the time.
FIXED_SIZES_SHARE_AT_BOUNDS = 0.8
LARGE_POOL = 250  # units beyond which a tabu search runs in stretches (see improve)
CANDIDATE_POOL = 600  # units beyond which swaps are drawn from candidate lists
CANDIDATES = 4  # groups in each unit's candidate list
STRETCH_WORK = 1e7  # move evaluations in one stretch of a large pool's tabu search
PAIR_CACHE = True  # keep each pair of groups' best swap between iterations (tabu_run_pairs)
GREEDY_START_POOL = 250  # units beyond which fresh partitions start greedy, not random
CHILD_AT_LIKELY = True  # crossovers after the fixed-sizes phase still build the likely sizes
POPULATION = 4  # a small population converges fast enough for limits of seconds
RESTART_AFTER = 4  # rebuild the population after this many generations per member without gain

Progress = Callable[[float, float], None]  # (fraction done, best score so far)


class Cancelled(Exception):
    """The caller asked the search to stop; the best partition so far is attached."""

    def __init__(self, result: Result) -> None:
        super().__init__("the search was cancelled")
        self.result = result


@dataclass(frozen=True)
class Result:
    assignment: NDArray[np.int64]  # group of each person
    score: float
    iterations: int
    seconds: float
    generations: int

    def groups(self) -> list[list[int]]:
        m = int(self.assignment.max()) + 1 if self.assignment.size else 0
        return [list(np.flatnonzero(self.assignment == g)) for g in range(m)]


@dataclass(frozen=True)
class _Units:
    D: NDArray[np.float64]
    w: NDArray[np.int64]
    CL: NDArray[np.uint8]
    has_cl: bool
    constant: float  # scores inside must-linked units, the same for every partition
    index: NDArray[np.int64]  # the unit of each person


def _contract(problem: Problem, candidate_pool: int) -> _Units:
    units = problem.units
    u = len(units)
    index = np.empty(problem.n, dtype=np.int64)
    for k, members in enumerate(units):
        index[members] = k
    if u == problem.n:  # no must-links: units are people
        D = problem.scores
        constant = 0.0
    else:
        onehot = np.zeros((problem.n, u))
        onehot[np.arange(problem.n), index] = 1.0
        block = onehot.T @ problem.scores @ onehot
        constant = float(np.trace(block) / 2)
        D = block.copy()
        np.fill_diagonal(D, 0.0)
    if u > candidate_pool and not np.array_equal(D, D.T):
        # The candidate lists read a unit's column from its row: make the two agree (the
        # problem is already symmetric to 1e-9).
        D = (D + D.T) / 2
    w = np.array([len(members) for members in units], dtype=np.int64)
    has_cl = bool(problem.cannot_link)
    CL = np.zeros((u, u) if has_cl else (1, 1), dtype=np.uint8)
    for i, j in problem.cannot_link:
        CL[index[i], index[j]] = CL[index[j], index[i]] = 1
    return _Units(np.ascontiguousarray(D), w, CL, has_cl, constant, index)


def solve(
    problem: Problem,
    *,
    time_limit: float | None = None,
    max_iterations: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    population: int | None = None,
    _pools: tuple[int, int] = (-1, -1),
) -> Result:
    """Search for the best partition within the limits; at least one limit is needed.

    ``max_iterations`` counts tabu-search iterations (each evaluates every move). Raises
    GroupingError when no feasible partition can be built, and Cancelled (carrying the best
    partition so far) when ``cancel()`` returns true.
    """
    if time_limit is None and max_iterations is None:
        raise GroupingError("give a time limit or an iteration limit")
    started = time.perf_counter()
    # The limit runs from the call: compiling the kernels (or loading them from numba's
    # cache), if no warm_up() did it before, is spent from it and the search gets the rest.
    warm_up()
    # (LARGE_POOL, CANDIDATE_POOL), lowered by warm_up to reach every kernel on a tiny problem.
    large_pool, candidate_pool = (LARGE_POOL, CANDIDATE_POOL) if _pools == (-1, -1) else _pools
    units = _contract(problem, candidate_pool)
    u = units.w.size
    rng = np.random.default_rng(seed)
    # Two phases: first with every group's size fixed at the most promising size vector
    # (only swaps move, so the search is fast and focused), then with the bounds as given,
    # so that any better size vector nearby is still found.
    phases: list[tuple[NDArray[np.int64], NDArray[np.int64], float]] = [
        (problem.lower, problem.upper, 1.0)
    ]
    likely = _likely_sizes(problem, units)
    if likely is not None:
        at_bounds = bool(np.all((likely == problem.lower) | (likely == problem.upper)))
        share = FIXED_SIZES_SHARE_AT_BOUNDS if at_bounds else FIXED_SIZES_SHARE
        phases.insert(0, (likely, likely, share))
    lo, hi, phase_end = phases[0]
    size = population or POPULATION
    big_groups = large_pool < u <= candidate_pool and u >= 10 * problem.m
    per_unit = DEPTH_PER_UNIT_LARGE if big_groups else DEPTH_PER_UNIT
    depth = max(200, per_unit * u)
    tmin = trand = max(2, u // TENURE_DIVISOR)
    used = 0
    generations = 0

    def next_seed() -> int:
        return int(rng.integers(2**31 - 1))

    def fraction() -> float:
        done = 0.0
        if time_limit:
            done = (time.perf_counter() - started) / time_limit
        if max_iterations:
            done = max(done, used / max_iterations)
        return min(1.0, done)

    def improve(assign: NDArray[np.int64]) -> tuple[float, NDArray[np.int64]]:
        nonlocal used
        budget = depth * 50 if max_iterations is None else max(1, max_iterations - used)
        if u <= large_pool:
            best, best_assign, its = kernels.tabu_search(
                units.D,
                units.w,
                lo,
                hi,
                units.CL,
                units.has_cl,
                assign.copy(),
                budget,
                depth,
                tmin,
                trand,
                next_seed(),
                PAIR_CACHE,
            )
            used += max(1, int(its))  # a search with no move to make still spends budget
            return float(best), best_assign
        # A large pool: one tabu search run to its end in stretches of a fraction of a
        # second (the clock, progress and cancel are looked at between them), with the
        # candidate list beyond CANDIDATE_POOL units so that an iteration costs about
        # u x (groups + candidates x group size) instead of u x u.
        current = assign.copy()
        best_assign = current.copy()
        tabu = np.zeros((u, lo.size), dtype=np.int64)
        counters = np.zeros(3, dtype=np.int64)
        listed = u > candidate_pool
        kernel = (
            kernels.tabu_run_candidates
            if listed
            else kernels.tabu_run_pairs
            if PAIR_CACHE
            else kernels.tabu_run
        )
        extra = (CANDIDATES,) if listed else ()
        if listed:
            per_iteration = u * CANDIDATES * (int(hi.max()) + 2)
        elif PAIR_CACHE:  # one-moves, and the pairs of groups a move touches
            per_iteration = u * (lo.size + 2 * int(hi.max()))
        else:
            per_iteration = u * (3 * lo.size + u // 2)
        stretch = max(10, int(STRETCH_WORK // per_iteration))
        best, ran = -1e301, 0
        pace = 0.0  # seconds an iteration took in the last stretch
        while True:
            length = min(stretch, budget - ran)
            if time_limit and pace > 0:
                # Under a time limit, the phase's last stretch stops about when it is up
                # (a loaded machine would otherwise overrun it by a whole stretch).
                left = phase_end * time_limit - (time.perf_counter() - started)
                length = max(1, min(length, int(left / pace) + 1))
            began = time.perf_counter()
            best, its, finished = kernel(
                units.D,
                units.w,
                lo,
                hi,
                units.CL,
                units.has_cl,
                current,
                best_assign,
                tabu,
                counters,
                best,
                length,
                depth,
                tmin,
                trand,
                next_seed(),
                *extra,
            )
            ran += int(its)
            used += max(1, int(its))
            pace = (time.perf_counter() - began) / max(1, int(its))
            if finished or ran >= budget or out_of_budget():
                return float(best), best_assign
            tick(float(best), best_assign)

    def fresh() -> NDArray[np.int64]:
        # After the fixed-sizes phase, new partitions still start at the likely sizes (the
        # bounds as given only widen the search): a start at random sizes within wide
        # bounds (different-size groups) spends its first iterations, and its crossovers,
        # walking back to them.
        shapes = [(lo, hi)]
        if likely is not None and lo is not likely:
            shapes.insert(0, (likely, likely))
        for start_lo, start_hi in shapes:
            if u > large_pool and u > GREEDY_START_POOL:
                # A large pool: a greedy start, the search's first hundreds of moves saved.
                assign, ok = kernels.greedy_feasible(
                    units.D, units.w, start_lo, start_hi, units.CL, units.has_cl, next_seed()
                )
                if ok:
                    return assign
            for _ in range(50):
                assign, ok = kernels.random_feasible(
                    units.w, start_lo, start_hi, units.CL, units.has_cl, next_seed()
                )
                if ok:
                    return assign
        raise GroupingError(
            "could not build any partition that keeps every link within the size bounds"
        )

    # The best partition seen, kept up to date between stretches too, so that a search
    # cancelled in the middle of a long tabu search returns the best it has.
    best_seen_partition: list[tuple[float, NDArray[np.int64]]] = []

    def result() -> Result:
        candidates = list(zip(scores, pool, strict=True)) + best_seen_partition
        score, partition = max(candidates, key=lambda c: c[0])
        people = partition[units.index]
        return Result(
            people, score + units.constant, used, time.perf_counter() - started, generations
        )

    def tick(best: float, partition: NDArray[np.int64]) -> None:
        """Between kernel calls: report progress, and stop if the caller asks."""
        if not best_seen_partition or best > best_seen_partition[0][0] + 1e-9:
            best_seen_partition[:] = [(best, partition.copy())]
        if progress is not None:
            progress(fraction(), max([best, *scores]) + units.constant)
        if cancel is not None and cancel():
            raise Cancelled(result())

    def out_of_budget() -> bool:
        return fraction() >= phase_end

    pool: list[NDArray[np.int64]] = []
    scores: list[float] = []
    try:
        first = fresh()
    except GroupingError:
        if len(phases) == 1:
            raise
        phases.pop(0)  # the links do not fit the fixed sizes: search the bounds as given
        lo, hi, phase_end = phases[0]
        first = fresh()
    for k in range(size):
        s, a = improve(first if k == 0 else fresh())
        pool.append(a)
        scores.append(s)
        if progress is not None:
            progress(fraction(), max(scores) + units.constant)
        if out_of_budget():
            break
    best_seen = max(scores)
    stale = 0
    resume = False
    while True:
        if out_of_budget():
            phases.pop(0)
            if not phases:
                break
            lo, hi, phase_end = phases[0]
            # A large pool whose first tabu search filled the phase: go on from its best
            # with the bounds as given, rather than start again from nothing.
            resume = len(pool) < 2
            continue
        if cancel is not None and cancel():
            raise Cancelled(result())
        generations += 1
        if resume:
            child, resume = pool[int(np.argmax(scores))].copy(), False
        elif len(pool) < 2:
            child = fresh()
        else:
            i, j = rng.choice(len(pool), size=2, replace=False)
            # Children too are made at the likely sizes when they fit (see fresh).
            shape = (likely, likely) if likely is not None and CHILD_AT_LIKELY else (lo, hi)
            child, ok = kernels.crossover(
                units.D, units.w, *shape, units.CL, units.has_cl, pool[i], pool[j], next_seed()
            )
            if not ok and shape[0] is not lo:
                child, ok = kernels.crossover(
                    units.D, units.w, lo, hi, units.CL, units.has_cl, pool[i], pool[j], next_seed()
                )
            if not ok:
                child = fresh()
        s, child = improve(child)
        worst = int(np.argmin(scores))
        if s > scores[worst] + 1e-9 and all(abs(s - t) > 1e-9 for t in scores):
            pool[worst], scores[worst] = child, s
        if max(scores) > best_seen + 1e-9:
            best_seen, stale = max(scores), 0
        else:
            stale += 1
        if stale >= RESTART_AFTER * size:  # the population has converged: rebuild all but the best
            keep = int(np.argmax(scores))
            for k in range(len(pool)):
                if k != keep and not out_of_budget():
                    scores[k], pool[k] = improve(fresh())
            stale = 0
        if progress is not None:
            progress(fraction(), max(scores) + units.constant)
    final = result()
    problem.check(final.assignment)
    return final


_warm = False
_warming = threading.Lock()  # a worker warms up in a thread of its own (see worker.py)


def warm_up() -> float:
    """Compile every kernel the search uses (or load it from numba's on-disk cache), with
    the argument types the search gives it; returns the seconds it took. Call it where the
    wait does not count: at install (``nextpractice warm_engine``) and when a worker starts,
    so that a run's time limit is spent searching. Cheap after the first call."""
    global _warm
    with _warming:
        if _warm:
            return 0.0
        _warm = True
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    n = 24
    scores = rng.random((n, n))
    scores = (scores + scores.T) / 2
    try:
        # Every path: fixed sizes then bounds, links (contracted units, cannot-links) or not.
        links = (((), ()), (((0, 1),), ((2, 3),)))
        for (must, cannot), pools in itertools.product(links, ((10**9, 0), (0, 10**9), (0, 0))):
            problem = Problem.build(scores, [4] * 5, [6] * 5, must, cannot)
            result = solve(problem, max_iterations=3000, seed=1, _pools=pools)
            if result.generations == 0:  # the crossover would compile in a real run
                raise RuntimeError("the warm-up ran too short to reach every kernel")
            kernels.score(problem.scores, np.zeros(n, dtype=np.int64))
            kernels.group_score(problem.scores, result.assignment, problem.m)
            kernels.greedy_feasible(
                problem.scores, np.ones(n, dtype=np.int64), problem.lower, problem.upper,
                np.zeros((n, n), dtype=np.uint8), True, 1,
            )  # fmt: skip
    except BaseException:
        _warm = False
        raise
    return time.perf_counter() - started


def _likely_sizes(problem: Problem, units: _Units) -> NDArray[np.int64] | None:
    """The group sizes worth fixing first, or None when sizes are already fixed.

    Every pair in a group adds about the mean score, so with positive scores the best
    partitions have as many pairs as the bounds allow (as few with negative scores): the
    size vector maximising mean score x pairs, found by dynamic programming over groups.
    """
    lo, hi = problem.lower, problem.upper
    if np.array_equal(lo, hi) or units.w.max() > 1 or problem.n < 20:
        return None
    n = problem.n
    mean = float(problem.scores.sum() / (n * (n - 1)))
    sign = 1.0 if mean >= 0 else -1.0
    neg = -np.inf
    value = np.full(n + 1, neg)
    value[0] = 0.0
    choice = np.zeros((problem.m, n + 1), dtype=np.int64)
    for g in range(problem.m):
        new = np.full(n + 1, neg)
        for size in range(int(lo[g]), int(hi[g]) + 1):
            gain = sign * size * (size - 1) / 2
            shifted = np.full(n + 1, neg)
            shifted[size:] = value[: n + 1 - size] + gain
            better = shifted > new
            new[better] = shifted[better]
            choice[g, better] = size
        value = new
    if value[n] == neg:
        return None
    sizes = np.zeros(problem.m, dtype=np.int64)
    total = n
    for g in range(problem.m - 1, -1, -1):
        sizes[g] = choice[g, total]
        total -= sizes[g]
    return sizes
