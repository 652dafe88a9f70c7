"""Tabu-search iterations per second by pool size: whole neighbourhood, pair cache, candidates.

    .venv/bin/python bench/engine_scale_bench.py [--sizes 120 240 480 800 1500] [--seconds 2]

Random symmetric scores in -1..1 (a formation round's scale), groups of 4 to 7 as a round
makes them. Each size runs the search's two kernels for about the same time from the same
random feasible partition: tabu_run, which looks at every swap (u x u pairs an
iteration), tabu_run_pairs, the same neighbourhood with each pair of groups' best swap
kept between iterations (the one the search uses up to search.CANDIDATE_POOL units), and
tabu_run_candidates, the one the search uses beyond
search.CANDIDATE_POOL units (each unit's K best groups, first improvement). An iteration
makes one move either way; the table gives the rate and the score each reached.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nextpractice.grouping import Problem, equal_bounds, kernels, search, warm_up


def rate(problem: Problem, candidates: int, iterations: int) -> tuple[float, float]:
    """(iterations per second, score reached) over ``iterations`` iterations; candidates=0
    is the whole neighbourhood, -1 the same with the pair cache."""
    u, m = problem.n, problem.m
    w = np.ones(u, dtype=np.int64)
    cl = np.zeros((1, 1), dtype=np.uint8)
    assign, ok = kernels.random_feasible(w, problem.lower, problem.upper, cl, False, 1)
    assert ok
    best_assign = assign.copy()
    tabu = np.zeros((u, m), dtype=np.int64)
    counters = np.zeros(3, dtype=np.int64)
    tenure = max(2, u // search.TENURE_DIVISOR)
    args = (
        problem.scores, w, problem.lower, problem.upper, cl, False, assign, best_assign,
        tabu, counters, -1e301, iterations, 10**9, tenure, tenure, 1,
    )  # fmt: skip
    started = time.perf_counter()
    if candidates > 0:
        best, ran, _ = kernels.tabu_run_candidates(*args, candidates)
    elif candidates < 0:
        best, ran, _ = kernels.tabu_run_pairs(*args)
    else:
        best, ran, _ = kernels.tabu_run(*args)
    return ran / (time.perf_counter() - started), float(best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 240, 480, 800, 1500])
    parser.add_argument("--seconds", type=float, default=3.0, help="about this long per run")
    args = parser.parse_args()
    warm_up()
    print(
        "| leaders | groups | whole neighbourhood: it/s | score | pair cache: it/s | score "
        "| candidate lists: it/s | score |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        rng = np.random.default_rng(n)
        scores = rng.uniform(-1, 1, (n, n))
        scores = (scores + scores.T) / 2
        problem = Problem.build(scores, *equal_bounds(n))
        row = []
        for candidates in (0, -1, search.CANDIDATES):
            probe, _ = rate(problem, candidates, 20)
            its = max(20, int(probe * args.seconds))
            speed, reached = rate(problem, candidates, its)
            row += [f"{speed:,.0f}", f"{reached:.1f}"]
        print(f"| {n} | {problem.m} | {' | '.join(row)} |", flush=True)


if __name__ == "__main__":
    main()
