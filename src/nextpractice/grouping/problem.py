"""The grouping problem and its validation. Pure Python and numpy; no Django.

Partition n people into m groups, group g holding between lower[g] and upper[g] people,
maximising the sum of scores s_ij over pairs placed in the same group (the Maximally
Diverse Grouping Problem with a general score matrix), with hard must-link and
cannot-link pairs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


class GroupingError(ValueError):
    """The input cannot be grouped as asked; the message says why."""


Pair = tuple[int, int]


@dataclass(frozen=True)
class Problem:
    scores: NDArray[np.float64]
    lower: NDArray[np.int64]
    upper: NDArray[np.int64]
    must_link: tuple[Pair, ...] = ()
    cannot_link: tuple[Pair, ...] = ()
    # Derived: people joined by must-links become one "unit" the search moves as a whole.
    units: list[list[int]] = field(default_factory=list, compare=False, repr=False)

    @property
    def n(self) -> int:
        return int(self.scores.shape[0])

    @property
    def m(self) -> int:
        return int(self.lower.shape[0])

    @classmethod
    def build(
        cls,
        scores: Sequence[Sequence[float]] | NDArray[np.float64],
        lower: Sequence[int] | NDArray[np.int64],
        upper: Sequence[int] | NDArray[np.int64],
        must_link: Iterable[Pair] = (),
        cannot_link: Iterable[Pair] = (),
    ) -> Problem:
        """Check the input and build a problem; raises GroupingError saying what is wrong."""
        s = np.array(scores, dtype=np.float64)
        if s.ndim != 2 or s.shape[0] != s.shape[1]:
            raise GroupingError(f"the score matrix must be square; it is {s.shape}")
        n = s.shape[0]
        if n == 0:
            raise GroupingError("there is nobody to group")
        if not np.all(np.isfinite(s)):
            bad = np.argwhere(~np.isfinite(s))[0]
            raise GroupingError(f"score ({bad[0]}, {bad[1]}) is not a number: {s[tuple(bad)]}")
        if not np.allclose(s, s.T, rtol=0, atol=1e-9):
            i, j = np.argwhere(~np.isclose(s, s.T, rtol=0, atol=1e-9))[0]
            raise GroupingError(
                f"the score matrix is not symmetric: s[{i},{j}]={s[i, j]} but s[{j},{i}]={s[j, i]}"
            )
        np.fill_diagonal(s, 0.0)
        lo = np.array(lower, dtype=np.int64)
        hi = np.array(upper, dtype=np.int64)
        if lo.ndim != 1 or lo.shape != hi.shape or lo.size == 0:
            raise GroupingError("give one lower and one upper size bound for each group")
        for g, (a, b) in enumerate(zip(lo, hi, strict=True)):
            if a < 0 or b < 1 or a > b:
                raise GroupingError(f"group {g}: bounds {a}..{b} are not a valid size range")
        if lo.sum() > n or hi.sum() < n:
            raise GroupingError(
                f"{len(lo)} groups of {int(lo.sum())} to {int(hi.sum())} people in all "
                f"cannot hold {n} people"
            )
        must = _pairs(must_link, n, "must-link")
        cannot = _pairs(cannot_link, n, "cannot-link")
        units = _components(n, must)
        unit_of = np.empty(n, dtype=np.int64)
        for u, members in enumerate(units):
            unit_of[members] = u
        largest = max(len(members) for members in units)
        if largest > hi.max():
            raise GroupingError(
                f"{largest} people are linked by must-links, more than the largest group "
                f"({int(hi.max())}) can hold"
            )
        for i, j in cannot:
            if unit_of[i] == unit_of[j]:
                raise GroupingError(
                    f"people {i} and {j} must be together (through must-links) and apart "
                    "(a cannot-link) at once"
                )
        return cls(s, lo, hi, tuple(must), tuple(cannot), units)

    def objective(self, assignment: Sequence[int] | NDArray[np.int64]) -> float:
        """The sum of scores over pairs in the same group, computed directly."""
        a = np.asarray(assignment)
        same = a[:, None] == a[None, :]
        return float(np.triu(self.scores * same, k=1).sum())

    def check(self, assignment: Sequence[int] | NDArray[np.int64]) -> None:
        """Raise GroupingError unless the assignment is a feasible partition."""
        a = np.asarray(assignment)
        if a.shape != (self.n,) or a.min() < 0 or a.max() >= self.m:
            raise GroupingError("the assignment does not give every person a group")
        sizes = np.bincount(a, minlength=self.m)
        for g in range(self.m):
            if not self.lower[g] <= sizes[g] <= self.upper[g]:
                raise GroupingError(
                    f"group {g} has {sizes[g]} people, outside {self.lower[g]}..{self.upper[g]}"
                )
        for i, j in self.must_link:
            if a[i] != a[j]:
                raise GroupingError(f"must-link {i}-{j} is broken")
        for i, j in self.cannot_link:
            if a[i] == a[j]:
                raise GroupingError(f"cannot-link {i}-{j} is broken")


def _pairs(pairs: Iterable[Pair], n: int, kind: str) -> list[Pair]:
    out = []
    for pair in pairs:
        i, j = (int(x) for x in pair)
        if not (0 <= i < n and 0 <= j < n):
            raise GroupingError(f"{kind} {i}-{j} names someone outside 0..{n - 1}")
        if i == j:
            raise GroupingError(f"{kind} {i}-{j} links a person with themself")
        out.append((min(i, j), max(i, j)))
    return sorted(set(out))


def _components(n: int, must: list[Pair]) -> list[list[int]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in must:
        parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values())


def choose_group_count(n: int, min_size: int = 4, max_size: int = 7) -> int:
    """How many groups of min_size..max_size for n people: the feasible count whose average
    size is nearest the middle of the range (5.5 people for 4 to 7)."""
    if min_size < 1 or min_size > max_size:
        raise GroupingError(f"group sizes {min_size}..{max_size} are not a valid range")
    fewest, most = math.ceil(n / max_size), n // min_size
    if fewest > most or n == 0:
        raise GroupingError(f"{n} people cannot be split into groups of {min_size} to {max_size}")
    middle = (min_size + max_size) / 2
    return min(range(fewest, most + 1), key=lambda m: (abs(n / m - middle), m))


def equal_bounds(
    n: int, min_size: int = 4, max_size: int = 7, groups: int | None = None
) -> tuple[list[int], list[int]]:
    """Bounds for the common case: ``groups`` groups (chosen if not given) of min..max."""
    m = groups if groups is not None else choose_group_count(n, min_size, max_size)
    if m < 1 or m * min_size > n or m * max_size < n:
        raise GroupingError(f"{n} people cannot form {m} groups of {min_size} to {max_size}")
    return [min_size] * m, [max_size] * m
