"""Benchmark the grouping engine on MDGPLIB against the best known values and two baselines.

    .venv/bin/python bench/mdgplib_bench.py [--data ../shared/bench/mdgplib] [--quick]

Writes bench/results/*.csv and prints a Markdown summary for bench/RESULTS.md.
The anti-clustering baseline needs `make bench-baseline` (its own venv); without it that
column is left out and the summary says so.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from nextpractice.grouping import Problem, kernels, mdgplib, solve
from nextpractice.grouping.__main__ import best_known

HERE = Path(__file__).parent
BASELINE_PY = HERE / ".venv-anticlust" / "bin" / "python"
SEED = 1


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba

    return (
        f"{cpu}, {os.cpu_count()} logical CPUs (the engine uses one); Python "
        f"{platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}"
    )


def random_greedy(problem: Problem, seed: int) -> float:
    """Baseline: a random assignment ignoring bounds, repaired greedily to feasibility
    (people moved out of over-full groups into short ones where they score best)."""
    rng = np.random.default_rng(seed)
    n, m = problem.n, problem.m
    assign = rng.integers(m, size=n)
    sizes = np.bincount(assign, minlength=m)
    M = kernels.unit_matrix(problem.scores, assign, m)
    while True:
        over = [g for g in range(m) if sizes[g] > problem.upper[g]]
        short = [g for g in range(m) if sizes[g] < problem.lower[g]]
        if not over and not short:
            break
        sources = over or [g for g in range(m) if sizes[g] > problem.lower[g]]
        targets = short or [g for g in range(m) if sizes[g] < problem.upper[g]]
        best = None
        for i in np.flatnonzero(np.isin(assign, sources)):
            for g in targets:
                gain = M[i, g] - M[i, assign[i]]
                if best is None or gain > best[0]:
                    best = (gain, i, g)
        assert best is not None
        _, i, g = best
        src = assign[i]
        M[:, src] -= problem.scores[:, i]
        M[:, g] += problem.scores[:, i]
        assign[i] = g
        sizes[src] -= 1
        sizes[g] += 1
    problem.check(assign)
    return problem.objective(assign)


def anticlust(problem: Problem, path: Path, seed: int, timeout: float) -> float | str:
    if not BASELINE_PY.exists():
        return "not installed"
    if len(set(problem.lower.tolist() + problem.upper.tolist())) != 1:
        return "cannot express"
    try:
        out = subprocess.run(
            [str(BASELINE_PY), str(HERE / "anticlust_baseline.py"), str(path), str(seed)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except subprocess.TimeoutExpired:
        return f"over {timeout:.0f} s"
    labels = np.array([int(x) for x in out.split()])
    try:
        problem.check(labels)
    except ValueError as e:
        return f"infeasible ({e})"
    return problem.objective(labels)


def jit_speed(path: Path) -> tuple[float, float]:
    """Tabu-search iterations per second with numba, and with the JIT turned off."""
    code = (
        "import sys,time,numpy as np\n"
        "from nextpractice.grouping import mdgplib, kernels as K\n"
        "p=mdgplib.read(sys.argv[1]); n=int(sys.argv[2])\n"
        "w=np.ones(p.n,np.int64); cl=np.zeros((1,1),np.uint8)\n"
        "a,_=K.random_feasible(w,p.lower,p.upper,cl,False,1)\n"
        "K.tabu_search(p.scores,w,p.lower,p.upper,cl,False,a.copy(),2,2,5,5,1)\n"
        "t=time.perf_counter()\n"
        "_,_,it=K.tabu_search(p.scores,w,p.lower,p.upper,cl,False,a.copy(),n,10**9,10,10,1)\n"
        "print(it/(time.perf_counter()-t))\n"
    )
    fast = float(
        subprocess.run(
            [sys.executable, "-c", code, str(path), "20000"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    slow = float(
        subprocess.run(
            [sys.executable, "-c", code, str(path), "20"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "NUMBA_DISABLE_JIT": "1"},
        ).stdout
    )
    return fast, slow


def run(
    files: list[Path], known: dict[str, float], limit: float, out: Path, baseline_timeout: float
) -> list[dict[str, object]]:
    rows = []
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "instance",
                "best_known",
                "objective",
                "gap_percent",
                "seconds",
                "random_greedy_gap_percent",
                "anticlust_gap_percent",
            ]
        )
        for path in files:
            problem = mdgplib.read(path)
            started = time.perf_counter()
            result = solve(problem, time_limit=limit, seed=SEED)
            seconds = time.perf_counter() - started
            problem.check(result.assignment)
            # The gap is computed from the partition itself, not from what the engine reports.
            objective = problem.objective(result.assignment)
            assert abs(objective - result.score) < 1e-6 * max(1.0, abs(objective))
            ref = known[path.stem]
            gap = (ref - objective) / ref * 100
            rg = (ref - random_greedy(problem, SEED)) / ref * 100
            ac = anticlust(problem, path, SEED, baseline_timeout)
            ac_gap = f"{(ref - ac) / ref * 100:.4f}" if isinstance(ac, float) else ac
            writer.writerow(
                [
                    path.stem,
                    ref,
                    f"{result.score:.6f}",
                    f"{gap:.4f}",
                    f"{seconds:.2f}",
                    f"{rg:.4f}",
                    ac_gap,
                ]
            )
            f.flush()
            print(
                f"{path.stem}: gap {gap:.4f}%  (random+greedy {rg:.2f}%, anticlust {ac_gap})",
                flush=True,
            )
            rows.append({"instance": path.stem, "gap": gap, "rg": rg, "ac": ac_gap})
    return rows


def summary(name: str, rows: list[dict[str, object]], limit: float) -> str:
    gaps = [float(r["gap"]) for r in rows]  # type: ignore[arg-type]
    at = sum(1 for g in gaps if g <= 1e-9)
    rg = [float(r["rg"]) for r in rows]  # type: ignore[arg-type]
    ac = [float(r["ac"]) for r in rows if _is_number(r["ac"])]
    lines = [
        f"| {name} | {len(rows)} | {limit:.0f} s | {np.mean(gaps):.4f}% | {max(gaps):.4f}% "
        f"| {at} of {len(rows)} | {np.mean(rg):.2f}% | "
        + (f"{np.mean(ac):.2f}% ({len(ac)} instances)" if ac else "n/a")
        + " |"
    ]
    return "\n".join(lines)


def _is_number(x: object) -> bool:
    try:
        float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(HERE.parent.parent / "shared" / "bench" / "mdgplib"))
    parser.add_argument("--quick", action="store_true", help="two instances per set, 2 s each")
    parser.add_argument("--only", choices=["n120", "n240"], default=None)
    args = parser.parse_args()
    data = Path(args.data)
    known = best_known(data)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    sets = [("n120", "*_n120_*.txt", 10.0, 120.0), ("n240", "RanReal_n240_*.txt", 30.0, 300.0)]
    print(f"Machine: {machine()}\nSeed: {SEED}\n")
    fast, slow = jit_speed(data / "instances" / "RanReal_n120_ss_01.txt")
    print(
        f"Tabu search on RanReal_n120_ss_01: {fast:,.0f} iterations/s with numba, "
        f"{slow:,.1f} without ({fast / slow:,.0f}x)\n"
    )
    table = [
        "| set | instances | time limit | average gap | worst gap | at or above best known "
        "| random + greedy repair | anti-clustering exchange |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, pattern, limit, timeout in sets:
        if args.only and name != args.only:
            continue
        files = sorted((data / "instances").glob(pattern))
        if args.quick:
            files, limit = files[:2], 2.0
        rows = run(files, known, limit, results / f"{name}.csv", timeout)
        table.append(summary(name, rows, limit))
    print("\n".join(table))


if __name__ == "__main__":
    main()
