"""What a proposal's fit is made of, in words. Pure Python and numpy, no Django.

A cluster's fit is the sum, over each pair of its members, of the pair's score
(``scoring.score_matrix``). Here the same score is split into its parts (shared values,
similar context, strengths meeting needs, travel, wishes, two new leaders together) so the
coordinator can read what a number means, and a total is set against what a random
grouping of the same leaders into clusters of the same sizes would be expected to reach.

The yardstick is exact in expectation: in a random partition with the same sizes every
pair is equally likely to be together, so the expected total is the number of pairs inside
clusters times the mean pair score of the pool. The mean (and the spread) of pair scores is
estimated from a fixed sample of pairs, so the page stays fast for a pool of any size and
reads the same on every visit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .scoring import Leader, Weights, complement, context_similarity, travel_penalty
from .scoring import value_similarity as _value_similarity

PARTS = ("values", "context", "complement", "travel", "wishes", "novices")
LABELS = {
    "values": "shared values",
    "context": "similar settings",
    "complement": "strengths meeting needs",
    "travel": "journeys beyond what people will travel",
    "wishes": "leaders' wishes to work together",
    "novices": "new leaders without an experienced colleague",
}
SAMPLE_PAIRS = 3000
MINUS = "\u2212"


@dataclass(frozen=True)
class Parts:
    """A fit split into its parts; travel and novices are zero or negative."""

    values: float = 0.0
    context: float = 0.0
    complement: float = 0.0
    travel: float = 0.0
    wishes: float = 0.0
    novices: float = 0.0

    @property
    def total(self) -> float:
        return sum(getattr(self, name) for name in PARTS)

    def __add__(self, other: Parts) -> Parts:
        return Parts(*(getattr(self, n) + getattr(other, n) for n in PARTS))

    def scaled(self, k: float) -> Parts:
        return Parts(*(getattr(self, n) * k for n in PARTS))

    def lines(self) -> list[tuple[str, float]]:
        """(label, amount) for each part that is not zero, in a fixed order."""
        return [(LABELS[n], getattr(self, n)) for n in PARTS if abs(getattr(self, n)) >= 0.05]

    def words(self) -> str:
        """The parts in words, such as "shared values +3.1 and similar settings +1.2"; a loss
        takes a true minus sign, which screen readers say as "minus"."""
        said = [f"{label} {'+' if v >= 0 else MINUS}{abs(v):.1f}" for label, v in self.lines()]
        if not said:
            return "nothing yet"
        return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def pair_parts(a: Leader, b: Leader, w: Weights) -> Parts:
    """The parts of one pair's score; they add up to ``score_matrix``'s entry."""
    return Parts(
        values=w.values * _value_similarity(a, b),
        context=w.context * context_similarity(a, b),
        complement=w.complement * complement(a, b),
        travel=-w.travel * travel_penalty(a, b),
        wishes=w.wish if (b.key in a.would_like or a.key in b.would_like) else 0.0,
        novices=-w.novices if (not a.experienced and not b.experienced) else 0.0,
    )


def group_parts(group: Sequence[Leader], w: Weights) -> Parts:
    """A cluster's fit, by part: the sum over its pairs."""
    out = Parts()
    for i, a in enumerate(group):
        for b in group[i + 1 :]:
            out = out + pair_parts(a, b, w)
    return out


@dataclass(frozen=True)
class PoolPairs:
    """The pool's pairs, summarised: the mean pair by part, and how much pairs differ."""

    mean: Parts
    spread: float  # standard deviation of a pair's score
    sampled: int


def pool_pairs(pool: Sequence[Leader], w: Weights, seed: int = 1) -> PoolPairs:
    """Every pair of a small pool, or a fixed sample of ``SAMPLE_PAIRS`` pairs of a large one."""
    n = len(pool)
    if n < 2:
        return PoolPairs(Parts(), 0.0, 0)
    if n * (n - 1) // 2 <= SAMPLE_PAIRS:
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    else:
        rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
        pairs = []
        while len(pairs) < SAMPLE_PAIRS:
            i, j = rng.randrange(n), rng.randrange(n)
            if i != j:
                pairs.append((i, j))
    total = Parts()
    scores = []
    for i, j in pairs:
        p = pair_parts(pool[i], pool[j], w)
        total = total + p
        scores.append(p.total)
    mean = sum(scores) / len(scores)
    spread = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    return PoolPairs(total.scaled(1 / len(pairs)), spread, len(pairs))


def pairs_inside(sizes: Sequence[int]) -> int:
    return sum(k * (k - 1) // 2 for k in sizes)


@dataclass(frozen=True)
class Verdict:
    """The total set against chance, with the reasons when there is little to gain."""

    total: Parts
    random: Parts
    gain: float
    poor: bool
    reasons: list[str]
    best_part: str  # the part that gains most over chance ("" when none does)


# A grouping gains little when it beats chance by less than a quarter of a pair's usual
# difference from the average pair, per pair inside the clusters.
POOR_GAIN_PER_PAIR = 0.25
# Pairs whose scores differ by less than this leave little for any grouping to choose.
ALIKE_SPREAD = 0.15


def judge(
    total: Parts,
    pairs: PoolPairs,
    sizes: Sequence[int],
    w: Weights,
    *,
    locked: int = 0,
    avoid: int = 0,
    moved: bool = False,
) -> Verdict:
    """Set a proposal's total against a random grouping of the same sizes, and explain a
    poor result: a pool whose leaders are alike, locked clusters, wishes kept apart, travel
    that no grouping can avoid, or moves made since the run."""
    inside = pairs_inside(sizes)
    chance = pairs.mean.scaled(inside)
    gain = total.total - chance.total
    gains = {n: getattr(total, n) - getattr(chance, n) for n in PARTS}
    best = max(gains, key=lambda n: gains[n])
    poor = inside > 0 and gain < POOR_GAIN_PER_PAIR * max(pairs.spread, 0.01) * inside
    reasons: list[str] = []
    if poor:
        weight = max(w.values + w.context + w.complement, 0.01)
        if pairs.spread < ALIKE_SPREAD * weight:
            reasons.append(
                f"The leaders in this pool are much alike: the fit of any two of them differs "
                f"from the average pair by about {pairs.spread:.2f}, so no grouping can do "
                "much better than chance. The proposal is as good as this pool allows."
            )
        if locked:
            reasons.append(
                f"{locked} cluster{'s are' if locked != 1 else ' is'} locked and kept as "
                f"{'they are' if locked != 1 else 'it is'}: only the others were regrouped."
            )
        if avoid:
            reasons.append(
                f'{avoid} "prefers not to be with" wish{"es are" if avoid != 1 else " is"} '
                "always kept, which narrows the choice."
            )
        if chance.travel < -0.5 and gains["travel"] < 0.5 * abs(chance.travel):
            reasons.append(
                "Many leaders are further apart than they say they will travel, and no "
                "grouping avoids it: consider asking them how far they would go, or lowering "
                "the weight of travel."
            )
        if moved:
            reasons.append(
                "Leaders have been moved by hand since the run: re-run the clusters that are "
                "not locked to let the search try again around them."
            )
        if not reasons:
            reasons.append(
                "The search may have needed longer: raise the time limit and run it again."
            )
    return Verdict(
        total=total,
        random=chance,
        gain=gain,
        poor=poor,
        reasons=reasons,
        best_part=LABELS[best] if gains[best] > 0.05 else "",
    )
