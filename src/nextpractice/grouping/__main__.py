"""Command line: ``python -m nextpractice.grouping solve|bench ...``."""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from . import mdgplib
from .problem import GroupingError
from .search import solve


def _progress_bar(fraction: float, best: float) -> None:
    filled = int(fraction * 30)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}  best {best:.3f}")
    sys.stderr.flush()


def _solve(args: argparse.Namespace) -> int:
    problem = mdgplib.read(args.instance)
    result = solve(
        problem,
        time_limit=args.time_limit,
        max_iterations=args.iterations,
        seed=args.seed,
        progress=None if args.quiet else _progress_bar,
    )
    if not args.quiet:
        sys.stderr.write("\n")
    out = Path(args.output or Path(args.instance).with_suffix(".solution.txt").name)
    mdgplib.write_assignment(out, result.assignment)
    print(f"objective {result.score:.6f}")
    print(f"iterations {result.iterations} seconds {result.seconds:.2f} assignment {out}")
    return 0


def best_known(folder: Path) -> dict[str, float]:
    for candidate in (folder / "best_known.csv", folder.parent / "best_known.csv"):
        if candidate.exists():
            with candidate.open() as f:
                return {r["instance"]: float(r["best_known"]) for r in csv.DictReader(f)}
    return {}


def _bench(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    known = best_known(folder)
    files = sorted(folder.glob(args.pattern))
    if not files:
        print(f"no instances matching {args.pattern} in {folder}", file=sys.stderr)
        return 2
    print("instance,objective,best_known,gap_percent,iterations,seconds")
    gaps = []
    for path in files:
        problem = mdgplib.read(path)
        started = time.perf_counter()
        result = solve(problem, time_limit=args.time_limit, seed=args.seed)
        elapsed = time.perf_counter() - started
        reference = known.get(path.stem)
        gap = "" if reference is None else f"{(reference - result.score) / reference * 100:.4f}"
        if reference is not None:
            gaps.append((reference - result.score) / reference * 100)
        print(
            f"{path.stem},{result.score:.6f},{'' if reference is None else reference},"
            f"{gap},{result.iterations},{elapsed:.2f}",
            flush=True,
        )
    if gaps:
        at_or_above = sum(1 for g in gaps if g <= 1e-9)
        print(
            f"# average gap {sum(gaps) / len(gaps):.4f}% over {len(gaps)} instances; "
            f"{at_or_above} at or above the best known"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nextpractice.grouping")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("solve", help="solve one MDGPLIB instance")
    s.add_argument("instance")
    s.add_argument("--time-limit", type=float, default=None)
    s.add_argument("--iterations", type=int, default=None)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--output", "-o", help="where to write the assignment")
    s.add_argument("--quiet", "-q", action="store_true")
    b = sub.add_parser("bench", help="solve every instance in a folder and report gaps")
    b.add_argument("folder")
    b.add_argument("--time-limit", type=float, required=True)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--pattern", default="*.txt")
    args = parser.parse_args(argv)
    if args.command == "solve" and args.time_limit is None and args.iterations is None:
        args.time_limit = 10.0
    try:
        return _solve(args) if args.command == "solve" else _bench(args)
    except GroupingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
