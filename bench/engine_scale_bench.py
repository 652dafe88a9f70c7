"""Tabu-search iterations per second by pool size, whole neighbourhood against candidate lists.

    .venv/bin/python bench/engine_scale_bench.py [--sizes 120 240 480 800 1500]

Random symmetric scores in -1..1 (a formation round's scale), groups of 4 to 7 as a round
makes them. Each size runs the search's own kernel from a random feasible partition, first
scanning every swap (u x u pairs an iteration), then with the candidate lists the search
uses beyond search.CANDIDATE_POOL units (u x K x group size). An iteration makes one move
either way; the rate is what a second of a round's time limit buys.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nextpractice.grouping import Problem, equal_bounds, kernels, search, warm_up


def rate(problem: Problem, candidates: int, iterations: int) -> tuple[float, float]:
    """(iterations per second, score reached) over ``iterations`` iterations."""
    u, m = problem.n, problem.m
    w = np.ones(u, dtype=np.int64)
    cl = np.zeros((1, 1), dtype=np.uint8)
    assign, ok = kernels.random_feasible(w, problem.lower, problem.upper, cl, False, 1)
    assert ok
    best_assign = assign.copy()
    tabu = np.zeros((u, m), dtype=np.int64)
    counters = np.zeros(3, dtype=np.int64)
    tenure = max(2, u // search.TENURE_DIVISOR)
    started = time.perf_counter()
    best, ran, _ = kernels.tabu_run(
        problem.scores, w, problem.lower, problem.upper, cl, False, assign, best_assign,
        tabu, counters, -1e301, iterations, 10**9, tenure, tenure, 1, candidates,
    )  # fmt: skip
    return ran / (time.perf_counter() - started), float(best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 240, 480, 800, 1500])
    parser.add_argument("--seconds", type=float, default=3.0, help="about this long per run")
    args = parser.parse_args()
    warm_up()
    print("| leaders | groups | whole neighbourhood (it/s) | candidate lists (it/s) | speed-up |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        rng = np.random.default_rng(n)
        scores = rng.uniform(-1, 1, (n, n))
        scores = (scores + scores.T) / 2
        problem = Problem.build(scores, *equal_bounds(n))
        rates = []
        for candidates in (0, search.CANDIDATES):
            probe, _ = rate(problem, candidates, 20)
            its = max(20, int(probe * args.seconds))
            rates.append(rate(problem, candidates, its)[0])
        print(
            f"| {n} | {problem.m} | {rates[0]:,.0f} | {rates[1]:,.0f} | "
            f"{rates[1] / rates[0]:.1f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
