"""Read MDGPLIB instance files (see bench/mdgplib/README.md in the shared data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .problem import GroupingError, Problem


def read(path: str | Path) -> Problem:
    """Line 1: ``n m flag a_1 b_1 ... a_m b_m``; then ``i j d_ij`` for each pair i < j."""
    lines = Path(path).read_text().split("\n")
    head = lines[0].split()
    try:
        n, m = int(head[0]), int(head[1])
        bounds = [int(x) for x in head[3 : 3 + 2 * m]]
    except (ValueError, IndexError):
        raise GroupingError(f"{path}: line 1 is not 'n m flag a_1 b_1 ...'") from None
    if len(bounds) != 2 * m:
        raise GroupingError(f"{path}: line 1 gives {len(bounds)} bounds for {m} groups")
    body = " ".join(lines[1:]).split()
    if len(body) % 3:
        raise GroupingError(f"{path}: the pair lines are not all 'i j d_ij'")
    data = np.array(body, dtype=np.float64).reshape(-1, 3)
    i, j = data[:, 0].astype(np.int64), data[:, 1].astype(np.int64)
    if data.shape[0] and (i.max() >= n or j.max() >= n or i.min() < 0 or j.min() < 0):
        raise GroupingError(f"{path}: a pair names someone outside 0..{n - 1}")
    scores = np.zeros((n, n))
    scores[i, j] = data[:, 2]
    scores[j, i] = data[:, 2]
    return Problem.build(scores, bounds[0::2], bounds[1::2])


def write_assignment(path: str | Path, assignment: np.ndarray) -> None:
    """One line per person: ``person group`` (0-based)."""
    Path(path).write_text("".join(f"{i} {g}\n" for i, g in enumerate(assignment)))
