"""Render bench/RESULTS.md's per-instance tables from bench/results/*.csv.

.venv/bin/python bench/render_results.py > /tmp/tables.md
"""

from __future__ import annotations

import csv
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def table(name: str) -> str:
    rows = list(csv.DictReader((RESULTS / f"{name}.csv").open()))
    out = [
        "| instance | best known | found | gap | random + greedy | anti-clustering |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ac = r["anticlust_gap_percent"]
        ac = f"{float(ac):.2f}%" if ac.replace(".", "", 1).replace("-", "", 1).isdigit() else ac
        found, gap = float(r["objective"]), float(r["gap_percent"])
        baseline = float(r["random_greedy_gap_percent"])
        out.append(
            f"| {r['instance']} | {float(r['best_known']):.3f} | {found:.3f} | {gap:.4f}% "
            f"| {baseline:.2f}% | {ac} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    for name in ("n120", "n240"):
        print(f"### {name}\n\n{table(name)}\n")
